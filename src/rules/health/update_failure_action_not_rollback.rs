//! SA603: a failed update does not roll back: swarmkit's default failure action is `pause`,
//! which leaves a half-updated service.

use crate::model::Deployment;
use crate::rules::health::deploy_anchor;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc.is_job() {
            continue;
        }
        match svc.deploy.update_config.as_ref() {
            None => {
                sink.service(svc, deploy_anchor(svc), "update_config", "no `deploy.update_config`: a failed update pauses (swarm's default failure_action) and leaves the service half-updated instead of rolling back");
            }
            Some(u) => match &u.failure_action {
                None => {
                    sink.service(svc, &u.loc, "update_config", "`update_config` has no `failure_action`: a failed update pauses (swarm's default) instead of rolling back");
                }
                Some(a) if a.is_known() && a.text != "rollback" => {
                    sink.service(
                        svc,
                        &a.loc,
                        "update_config",
                        format!(
                            "`failure_action: {}`: a failed update is not rolled back",
                            a.text
                        ),
                    );
                }
                Some(_) => {}
            },
        }
    }
}
