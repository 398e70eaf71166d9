//! SA408: a secret is mounted readable by every user in the container: the long syntax without
//! `mode` and the short syntax get swarm's default 0444.

use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for r in &svc.secrets {
            let (mode, loc) = match &r.mode {
                None => (0o444, &r.loc),
                Some(m) if !m.is_known() => continue, // SA004 reports the unset variable
                Some(m) => match m.as_u64() {
                    Some(x) => (x, &m.loc),
                    None => continue, // not a number: stack deploy rejects it
                },
            };
            if mode & 0o004 == 0 {
                continue;
            }
            let how = if r.mode.is_none() {
                "without `mode`, so with the default 0444".to_string()
            } else {
                format!("with mode {mode:04o}")
            };
            sink.service(
                svc,
                loc,
                format!("secret {}", r.source.text),
                format!(
                    "secret `{}` is mounted {how}: every user in the container can read it; use the long syntax with `uid`/`gid` of the process and `mode: 0400`",
                    r.source.text
                ),
            );
        }
    }
}
