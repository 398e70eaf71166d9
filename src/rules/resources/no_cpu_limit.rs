//! SA302: no `deploy.resources.limits.cpus`.

use crate::model::Deployment;
use crate::rules::resources::limits_anchor;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if !crate::rules::resources::is_set(svc.deploy.limits.cpus.as_ref()) {
            sink.service(
                svc,
                limits_anchor(svc),
                "cpus",
                "no `deploy.resources.limits.cpus` (absent or 0, which swarm reads as unlimited): one task can starve every other task on its node of CPU",
            );
        }
    }
}
