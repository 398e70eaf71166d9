//! SA305: a replicated service with one replica has no redundancy: a node failure or an update
//! is an outage.

use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc.mode() != "replicated" {
            continue; // global services and jobs
        }
        match &svc.deploy.replicas {
            None => {
                sink.service(
                    svc,
                    svc.deploy.loc.as_ref().unwrap_or(&svc.loc),
                    "replicas",
                    "no `deploy.replicas`: the service runs a single replica, so a node failure or a stop-first update takes it down",
                );
            }
            Some(r) if r.is_known() => {
                if let Some(n) = r.as_u64().filter(|n| *n <= 1) {
                    sink.service(
                        svc,
                        &r.loc,
                        "replicas",
                        format!("`replicas: {n}`: a single replica has no redundancy; a node failure or a stop-first update takes the service down"),
                    );
                }
            }
            Some(_) => {}
        }
    }
}
