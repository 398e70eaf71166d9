//! SA404: a secret-named environment entry without a value (`- DB_PASSWORD`, `DB_PASSWORD:`)
//! or whose value is only an unset `${VAR}`: stack deploy fills it from the deploying shell,
//! and the secret lands in the service spec.

use crate::detect::is_secret_name;
use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    if d.live {
        return; // a live spec holds the value itself (SA401)
    }
    for svc in &d.services {
        for kv in &svc.environment {
            if !is_secret_name(&kv.key) {
                continue;
            }
            // `DB_PASSWORD:` (null) is lowered like `- DB_PASSWORD`: no value
            let how = match &kv.value {
                None => "has no value, so stack deploy takes it from the deploying shell",
                // `${VAR}` with VAR known here is judged by SA401 as the value it becomes
                Some(v) if !v.is_known() && v.text.trim().is_empty() => {
                    "is only a variable reference, filled from the deploying shell"
                }
                Some(_) => continue,
            };
            let loc = kv.value.as_ref().map_or(&kv.loc, |v| &v.loc);
            sink.service(
                svc,
                loc,
                &kv.key,
                format!(
                    "environment variable `{}` {how}: whatever secret the shell holds is stored in the service spec and shown by `docker service inspect`; deliver it as a Docker secret (`{}_FILE=/run/secrets/…`)",
                    kv.key, kv.key
                ),
            );
        }
    }
}
