//! SA403: an `env_file` of a service holds secrets. Stack deploy reads the file and copies every
//! entry into the service spec's `Env`, where `docker service inspect` shows it.

use crate::model::interpolate::parse_env_file;
use crate::model::Deployment;
use crate::rules::secrets::secret_assignment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for ef in &svc.env_file_contents {
            let shown = &ef.file.shown;
            let parsed = match &ef.file.text {
                None => Err(format!(
                    "cannot be read ({})",
                    ef.file.error.as_deref().unwrap_or("not read")
                )),
                Some(text) => {
                    parse_env_file(text).map_err(|(line, why)| format!("line {line}: {why}"))
                }
            };
            let entries = match parsed {
                Ok(e) => e,
                Err(why) => {
                    sink.service(
                        svc,
                        &ef.path.loc,
                        format!("env_file {shown}"),
                        format!(
                            "env_file `{shown}` {why}: docker stack deploy fails on it, and its entries were not checked for secrets"
                        ),
                    )
                    .unknown = true;
                    continue;
                }
            };
            for e in entries {
                let Some(value) = &e.value else { continue };
                if let Some(what) = secret_assignment(&e.key, value) {
                    sink.service(
                        svc,
                        &ef.path.loc,
                        format!("env_file {shown} {}", e.key),
                        format!(
                            "env_file `{shown}:{}` sets `{}` to {what} (value hidden): stack deploy copies it into the service spec's environment; deliver it as a Docker secret (`{}_FILE=/run/secrets/…`)",
                            e.line, e.key, e.key
                        ),
                    );
                }
            }
        }
    }
}
