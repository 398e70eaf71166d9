//! SA703: a manager is unreachable or a node is down: the swarm runs with less redundancy
//! than it was built for.

use crate::model::Deployment;
use crate::rules::control_plane::{node_loc, node_object};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    let Some(c) = &d.cluster else { return };
    for n in &c.nodes {
        if n.reachability.as_deref() == Some("unreachable") {
            sink.report(
                node_object(n),
                &node_loc(n, "ManagerStatus.Reachability"),
                "unreachable",
                format!(
                    "manager {} is unreachable: the raft quorum has lost a member",
                    n.hostname
                ),
            );
        }
        if matches!(n.state.as_str(), "down" | "unknown" | "disconnected") {
            sink.report(
                node_object(n),
                &node_loc(n, "Status.State"),
                "state",
                format!(
                    "node {} is {}: its tasks are rescheduled elsewhere and it receives no updates",
                    n.hostname, n.state
                ),
            );
        }
    }
}
