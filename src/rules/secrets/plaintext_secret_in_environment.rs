//! SA401: a secret-named environment variable holds a literal value: it is stored in the
//! service spec, shown by `docker service inspect`, and visible in every container's env.

use crate::detect::{find_url_credentials, is_non_secret_value, is_secret_name, mask};
use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for kv in &svc.environment {
            let Some(v) = &kv.value else { continue };
            // an unset variable becomes "" at deploy: literal text around it is still deployed
            let literal_part = v.is_known() || !v.text.is_empty();
            if !literal_part || !is_secret_name(&kv.key) || is_non_secret_value(&v.text) {
                continue;
            }
            if !find_url_credentials(&v.text).is_empty() {
                continue; // a URL with a password: SA405 names it precisely
            }
            if v.text.contains("://") {
                continue; // a URL without credentials (DATABASE_URL=postgres://db/app)
            }
            sink.service(
                svc,
                &v.loc,
                &kv.key,
                format!(
                    "environment variable `{}` holds a plaintext secret (value {}): it is stored in the service spec and shown by `docker service inspect`; deliver it as a Docker secret (`{}_FILE=/run/secrets/…`)",
                    kv.key,
                    mask(&v.text),
                    kv.key
                ),
            );
        }
    }
}
