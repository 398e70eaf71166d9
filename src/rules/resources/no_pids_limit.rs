//! SA303: no `deploy.resources.limits.pids`.

use crate::model::Deployment;
use crate::rules::resources::limits_anchor;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc.deploy.limits.pids.is_none() {
            sink.service(
                svc,
                limits_anchor(svc),
                "pids",
                "no `deploy.resources.limits.pids`: a fork bomb in one task can exhaust the node's process table",
            );
        }
    }
}
