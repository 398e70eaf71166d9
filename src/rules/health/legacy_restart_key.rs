//! SA607: the Compose `restart:` key. docker stack deploy warns "Ignoring unsupported options:
//! restart" but still converts it when `deploy.restart_policy` is absent (`always` and
//! `unless-stopped` → `any`, `on-failure[:N]` → `on-failure`, `no` → swarm's default `any`).
//! Whether the resulting policy is unbounded is SA606's business; this rule names the key.

use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        let Some(r) = &svc.restart else { continue };
        let msg = if svc.deploy.restart_policy.is_some() {
            format!(
                "legacy `restart: {}` has no effect: `deploy.restart_policy` is set and wins; remove `restart:`",
                r.text
            )
        } else {
            let becomes = match r.text.trim() {
                t if t.starts_with("on-failure") => "condition `on-failure`",
                "no" => {
                    "swarm's default (condition `any`: `no` does not disable restarts in swarm)"
                }
                _ => "condition `any`",
            };
            format!(
                "legacy `restart: {}`: docker stack deploy warns \"Ignoring unsupported options: restart\" yet converts it to {becomes}; write `deploy.restart_policy` instead",
                r.text
            )
        };
        sink.service(svc, &r.loc, "restart", msg);
    }
}
