//! SA708: the swarm control port 2377 listens on every interface of a manager: the raft and
//! node-join endpoint is reachable from every network the host is on.

use crate::model::host::HostFact;
use crate::model::Deployment;
use crate::rules::host::node_object;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for h in &d.hosts {
        match &h.control_port {
            // workers do not listen on 2377: nothing to report there
            HostFact::Known(found) if found.is_empty() => {}
            HostFact::Known(found) => {
                sink.report(
                    node_object(h),
                    &h.loc("/proc/net/tcp :2377"),
                    "control-port",
                    format!(
                        "the swarm control port listens on every interface of {} ({}): the manager's raft and join endpoint is reachable from every network the host is on (re-join with `--listen-addr <management-ip>:2377`)",
                        h.hostname,
                        found.join(", ")
                    ),
                );
            }
            HostFact::Unknown(reason) => {
                let f = sink.report(
                    node_object(h),
                    &h.loc("/proc/net/tcp :2377"),
                    "control-port",
                    format!(
                        "the listeners on the swarm control port 2377 of {} could not be read: {reason}",
                        h.hostname
                    ),
                );
                f.unknown = true;
            }
        }
    }
}
