//! SA411: a swarm join token (`SWMTKN-…`) or unlock key (`SWMKEY-1-…`) in a value that lands in
//! the service spec, an env file, a config, or volume options. A join token lets any machine
//! join the swarm (as a manager, for the manager token); the unlock key decrypts the managers'
//! Raft data. Never printed, not even masked.

use crate::detect::{find_credentials, SecretKind};
use crate::finding::{ObjectKind, ObjectRef};
use crate::model::{Deployment, Loc};
use crate::rules::secrets::{fields, is_swarm_token};
use crate::rules::Sink;

/// The swarm token kinds in `text`, each once.
fn swarm_tokens(text: &str) -> Vec<SecretKind> {
    let mut kinds: Vec<SecretKind> = find_credentials(text)
        .into_iter()
        .map(|h| h.kind)
        .filter(|k| is_swarm_token(*k))
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

fn remedy(kind: SecretKind) -> &'static str {
    if kind == SecretKind::SwarmUnlockKey {
        "rotate it at once (`docker swarm unlock-key --rotate`)"
    } else {
        "rotate it at once (`docker swarm join-token --rotate worker` and `… manager`)"
    }
}

fn report(sink: &mut Sink, object: ObjectRef, loc: &Loc, place: &str, text: &str) {
    for kind in swarm_tokens(text) {
        sink.report(
            object.clone(),
            loc,
            format!("{place}#{}", kind.label()),
            format!(
                "{place} contains a {} (value hidden): {}, then remove it from the file",
                kind.label(),
                remedy(kind)
            ),
        );
    }
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        let mut object = ObjectRef::new(ObjectKind::Service, &svc.name);
        object.full_name = svc.full_name.clone();
        for f in fields(svc) {
            report(sink, object.clone(), &f.val.loc, &f.place, &f.val.text);
        }
        for ef in &svc.env_file_contents {
            if let Some(text) = &ef.file.text {
                let place = format!("env_file `{}`", ef.file.shown);
                report(sink, object.clone(), &ef.path.loc, &place, text);
            }
        }
        for m in &svc.mounts {
            for kv in &m.driver_opts {
                if let Some(v) = &kv.value {
                    let place = format!("volume mount driver option `{}`", kv.key);
                    report(sink, object.clone(), &v.loc, &place, &v.text);
                }
            }
        }
    }
    for vol in &d.volumes {
        for kv in &vol.driver_opts {
            if let Some(v) = &kv.value {
                let place = format!("volume `{}` driver option `{}`", vol.name, kv.key);
                report(
                    sink,
                    ObjectRef::new(ObjectKind::Volume, &vol.name),
                    &v.loc,
                    &place,
                    &v.text,
                );
            }
        }
    }
    for c in &d.configs {
        let object = ObjectRef::new(ObjectKind::Config, &c.name);
        if let (Some(path), Some(text)) = (&c.file, c.local.as_ref().and_then(|l| l.text.as_ref()))
        {
            let place = format!("config `{}` file", c.name);
            report(sink, object.clone(), &path.loc, &place, text);
        }
        if let Some(data) = &c.data {
            let place = format!("config `{}` data", c.name);
            report(sink, object, &data.loc, &place, &data.text);
        }
    }
}
