//! SA704: managers are `active` while workers exist: application tasks share the nodes that hold
//! the raft log and the swarm's secrets.

use crate::model::Deployment;
use crate::rules::control_plane::{managers, node_loc, node_object};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    let Some(c) = &d.cluster else { return };
    let workers = c.nodes.iter().filter(|n| n.role == "worker").count();
    if workers == 0 {
        return; // a manager-only swarm has nowhere else to run tasks
    }
    for m in managers(c).filter(|m| m.availability == "active") {
        sink.report(
            node_object(m),
            &node_loc(m, "Spec.Availability"),
            "availability",
            format!(
                "manager {} accepts workloads although {workers} worker{} exist: application tasks run next to the raft log and secrets (`docker node update --availability drain {}`)",
                m.hostname,
                if workers == 1 { "" } else { "s" },
                m.hostname
            ),
        );
    }
}
