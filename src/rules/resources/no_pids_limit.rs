//! SA303: no `deploy.resources.limits.pids`.

use crate::model::Deployment;
use crate::rules::resources::limits_anchor;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if !crate::rules::resources::is_set(svc.deploy.limits.pids.as_ref()) {
            sink.service(
                svc,
                limits_anchor(svc),
                "pids",
                "no `deploy.resources.limits.pids` (absent or 0, which swarm reads as unlimited): a fork bomb in one task can exhaust the node's process table",
            );
        }
    }
}
