//! SA003: keys that make `docker stack deploy` fail: docker/cli's forbidden properties, keys its
//! v3 schema rejects (compose-spec-only keys), and unsupported `version:` values.

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::lower::FORBIDDEN_SERVICE_KEYS;
use crate::model::{Deployment, KeyUse};
use crate::rules::Sink;

fn message(k: &KeyUse) -> String {
    if let Some((_, hint)) = FORBIDDEN_SERVICE_KEYS.iter().find(|(f, _)| *f == k.key) {
        return format!(
            "`{}` makes docker stack deploy fail (forbidden property); {hint}",
            k.key
        );
    }
    if k.key == "version" {
        let v = k.value.as_ref().map_or("", |v| v.text.as_str());
        return format!(
            "`version: \"{v}\"` is not supported by docker stack deploy, which needs a 3.x version (or none)"
        );
    }
    format!(
        "`{}` is not allowed by the schema docker stack deploy validates with: deploy fails with \"Additional property {} is not allowed\"",
        k.key,
        k.key.rsplit('.').next().unwrap_or(&k.key)
    )
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for k in &d.rejected {
        sink.report(
            ObjectRef::new(ObjectKind::Stack, &d.stack),
            &k.loc,
            &k.key,
            message(k),
        );
    }
    for svc in &d.services {
        for k in &svc.rejected {
            sink.service(svc, &k.loc, &k.key, message(k));
        }
    }
}
