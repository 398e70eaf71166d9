//! SA1xx: identity and privileges.

pub mod capabilities_not_dropped;
pub mod dangerous_capability_added;
pub mod host_network;
pub mod no_new_privileges_not_enforced;
pub mod root_filesystem_writable;
pub mod runtime_socket_mounted;
pub mod seccomp_or_apparmor_disabled;
pub mod sensitive_host_path_mounted;
pub mod service_runs_as_root;
