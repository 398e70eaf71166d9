//! SA606: the effective restart policy restarts forever. Without `deploy.restart_policy` swarm
//! restarts on any exit with no attempt limit; a legacy `restart:` is converted by stack deploy
//! only when `deploy.restart_policy` is absent (`no` does not disable restarts in swarm).

use crate::model::Deployment;
use crate::rules::health::deploy_anchor;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc.is_job() {
            continue;
        }
        match &svc.deploy.restart_policy {
            Some(rp) => {
                let any = rp.condition.as_ref().is_none_or(|c| c.text == "any");
                // swarmkit: MaxAttempts 0 means unlimited
                let unbounded = rp
                    .max_attempts
                    .as_ref()
                    .is_none_or(|m| m.is_known() && m.as_u64() == Some(0));
                if any && unbounded {
                    let loc = rp.condition.as_ref().map_or(&rp.loc, |c| &c.loc);
                    sink.service(svc, loc, "restart_policy", "`restart_policy` restarts on any exit without `max_attempts`: a crashing task restarts forever");
                }
            }
            None => match &svc.restart {
                Some(r) if r.text.starts_with("on-failure") => {
                    // converted to condition on-failure (with max_attempts when `:N` is given)
                }
                Some(r) => {
                    sink.service(
                        svc,
                        &r.loc,
                        "restart_policy",
                        format!(
                            "`restart: {}` is converted by docker stack deploy to condition `any` with unlimited attempts (`no` does not disable restarts in swarm); set `deploy.restart_policy` instead",
                            r.text
                        ),
                    );
                }
                None => {
                    sink.service(svc, deploy_anchor(svc), "restart_policy", "no `deploy.restart_policy`: swarm restarts the task on any exit with unlimited attempts");
                }
            },
        }
    }
}
