//! SA605: no `deploy.rollback_config`: rollbacks run with swarm's defaults (one task at a time,
//! pause on failure, 5 s monitor), which may be too slow or stop halfway.

use crate::model::Deployment;
use crate::rules::health::deploy_anchor;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc.is_job() || svc.deploy.rollback_config.is_some() {
            continue;
        }
        sink.service(svc, deploy_anchor(svc), "rollback_config", "no `deploy.rollback_config`: a rollback uses swarm's defaults (parallelism 1, failure_action pause, monitor 5s) and can stop halfway");
    }
}
