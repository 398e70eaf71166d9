//! SA602: `healthcheck: {disable: true}` or `test: ["NONE"]` turns off the image's healthcheck too.

use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        let Some(h) = &svc.healthcheck else { continue };
        if !h.is_disabled() {
            continue;
        }
        let loc = h
            .disable
            .as_ref()
            .filter(|v| v.as_bool() == Some(true))
            .map(|v| &v.loc)
            .or(h.test_loc.as_ref())
            .unwrap_or(&h.loc);
        sink.service(svc, loc, "healthcheck", "the healthcheck is disabled (also the image's own): swarm cannot tell a broken task from a healthy one");
    }
}
