//! SA708–SA714: the hosts of the swarm's nodes (daemon configuration, the Docker socket, the
//! control port), from facts read on the host itself (`crate::host`).

pub mod control_port_on_all_interfaces;
pub mod daemon_api_on_tcp_without_tls;
pub mod daemon_hardening_defaults;
pub mod daemon_json_permissions;
pub mod docker_socket_permissions;
pub mod insecure_registries_configured;
pub mod no_new_privileges_off;

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::host::{DaemonSettings, HostFact, HostFacts};
use crate::model::Deployment;
use crate::rules::Sink;

/// Findings on a host name its node.
pub fn node_object(h: &HostFacts) -> ObjectRef {
    let mut o = ObjectRef::new(ObjectKind::Node, &h.hostname);
    o.full_name = Some(h.hostname.clone());
    o
}

/// Run `check` on each host whose daemon settings are known; report the others as unknown
/// (`what` names what could not be checked).
pub fn each_daemon(
    d: &Deployment,
    sink: &mut Sink,
    what: &str,
    mut check: impl FnMut(&HostFacts, &DaemonSettings, &mut Sink),
) {
    for h in &d.hosts {
        match &h.daemon {
            HostFact::Known(s) => check(h, s, sink),
            HostFact::Unknown(reason) => {
                let f = sink.report(
                    node_object(h),
                    &h.loc(h.daemon_json_path.clone()),
                    "unknown",
                    format!("{what} could not be checked on {}: {reason}", h.hostname),
                );
                f.unknown = true;
            }
        }
    }
}
