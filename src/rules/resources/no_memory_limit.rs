//! SA301: no `deploy.resources.limits.memory`.

use crate::model::Deployment;
use crate::rules::resources::limits_anchor;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if !crate::rules::resources::is_set(svc.deploy.limits.memory.as_ref()) {
            sink.service(
                svc,
                limits_anchor(svc),
                "memory",
                "no `deploy.resources.limits.memory` (absent or 0, which swarm reads as unlimited): a runaway or compromised task can exhaust the node's memory and get other services' tasks OOM-killed",
            );
        }
    }
}
