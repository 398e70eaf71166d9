//! SA302: no `deploy.resources.limits.cpus`.

use crate::model::Deployment;
use crate::rules::resources::limits_anchor;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc.deploy.limits.cpus.is_none() {
            sink.service(
                svc,
                limits_anchor(svc),
                "cpus",
                "no `deploy.resources.limits.cpus`: one task can starve every other task on its node of CPU",
            );
        }
    }
}
