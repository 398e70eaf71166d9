//! SA1xx: identity and privileges.

pub mod dangerous_capability_added;
pub mod host_network;
pub mod runtime_socket_mounted;
pub mod sensitive_host_path_mounted;
pub mod service_runs_as_root;
