//! SA304: no `deploy.resources.reservations`: the scheduler places tasks without knowing what
//! they need, so a node can be overcommitted and tasks land where they are starved.

use crate::model::Deployment;
use crate::rules::locate::missing_at;
use crate::rules::resources::is_set;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        let r = &svc.deploy.reservations;
        if is_set(r.cpus.as_ref()) || is_set(r.memory.as_ref()) {
            continue;
        }
        let file_loc = r
            .loc
            .as_ref()
            .or(svc.deploy.limits.loc.as_ref())
            .or(svc.deploy.loc.as_ref())
            .unwrap_or(&svc.loc);
        sink.service(
            svc,
            &missing_at(svc, file_loc, "Spec.TaskTemplate.Resources.Reservations"),
            "reservations",
            "no `deploy.resources.reservations` (cpus or memory): the scheduler places tasks without knowing what they need, so nodes can be overcommitted and tasks starved (reservations are not limits: set both)",
        );
    }
}
