//! SA001: a hardening key that `docker stack deploy` ignores: the control the user believes in is off.

use crate::model::Deployment;
use crate::rules::stack_deploy::HARDENING_KEYS;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for k in svc
            .ignored
            .iter()
            .filter(|k| HARDENING_KEYS.contains(&k.key.as_str()))
        {
            let msg = match k.key.as_str() {
                "security_opt" => "`security_opt` is ignored by docker stack deploy: its no-new-privileges, seccomp or AppArmor settings are not applied to the service; enforce them daemon-wide on every node (daemon.json)".to_string(),
                _ => "service-level `tmpfs` is silently dropped by docker stack deploy; mount it as a `volumes:` entry with `type: tmpfs` instead".to_string(),
            };
            sink.service(svc, &k.loc, &k.key, msg);
        }
    }
}
