//! SA307: no placement constraint keeps the service off manager nodes, so its tasks can run
//! next to the raft log and the swarm's secrets. Live: only when the swarm has active managers
//! and workers to run on instead (in a manager-only swarm there is nowhere else).

use crate::model::{Deployment, Service};
use crate::rules::locate::missing_at;
use crate::rules::Sink;

/// `node.role == worker`, `node.role != manager`, or the deliberate `node.role == manager`.
fn role_constrained(svc: &Service) -> bool {
    svc.deploy.constraints.iter().any(|c| {
        if !c.is_known() {
            return true; // unknown: do not guess
        }
        let t: String = c.text.chars().filter(|ch| !ch.is_whitespace()).collect();
        matches!(
            t.as_str(),
            "node.role==worker" | "node.role!=manager" | "node.role==manager"
        )
    })
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    let live_managers: Option<Vec<&str>> = d.swarm.as_ref().map(|s| {
        let workers = s.nodes.iter().any(|n| n.role == "worker");
        s.nodes
            .iter()
            .filter(|n| workers && n.role == "manager" && n.availability == "active")
            .map(|n| n.hostname.as_str())
            .collect()
    });
    if live_managers.as_ref().is_some_and(Vec::is_empty) {
        return; // drained managers, or a manager-only swarm
    }
    for svc in &d.services {
        if role_constrained(svc) {
            continue;
        }
        let file_loc = svc
            .deploy
            .constraints
            .first()
            .map(|c| &c.loc)
            .or(svc.deploy.loc.as_ref())
            .unwrap_or(&svc.loc);
        let loc = missing_at(svc, file_loc, "Spec.TaskTemplate.Placement.Constraints");
        let msg = match &live_managers {
            Some(m) => format!(
                "no `node.role == worker` constraint: tasks can be scheduled on the active manager{} {}, next to the raft log and the swarm's secrets",
                if m.len() == 1 { "" } else { "s" },
                m.join(", ")
            ),
            None => "no `node.role == worker` constraint: unless the managers are drained, tasks can be scheduled on manager nodes, next to the raft log and the swarm's secrets".to_string(),
        };
        sink.service(svc, &loc, "placement.constraints", msg);
    }
}
