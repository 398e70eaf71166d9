//! SA4xx: secrets and sensitive data. Secret values are never put in a message: rules name the
//! key and the kind of secret, with at most a masked hint.

pub mod credential_pattern_in_value;
pub mod credentials_in_url;
pub mod plaintext_secret_in_environment;

use crate::model::{Service, Val};

/// A scanned value of a service: where it is (for the message) and the value.
pub struct Field<'a> {
    /// `environment DB_URL`, `label traefik.x`, `command`, `healthcheck test`, …
    pub place: String,
    pub val: &'a Val,
}

/// Every string value of a service that lands in its spec and may carry a credential.
pub fn fields(svc: &Service) -> Vec<Field<'_>> {
    let mut out = vec![];
    for kv in &svc.environment {
        if let Some(v) = &kv.value {
            out.push(Field {
                place: format!("environment variable `{}`", kv.key),
                val: v,
            });
        }
    }
    for (what, labels) in [("label", &svc.labels), ("deploy label", &svc.deploy.labels)] {
        for kv in labels {
            if let Some(v) = &kv.value {
                out.push(Field {
                    place: format!("{what} `{}`", kv.key),
                    val: v,
                });
            }
        }
    }
    for kv in &svc.logging_options {
        if let Some(v) = &kv.value {
            out.push(Field {
                place: format!("logging option `{}`", kv.key),
                val: v,
            });
        }
    }
    for (what, vals) in [("command", &svc.command), ("entrypoint", &svc.entrypoint)] {
        for v in vals {
            out.push(Field {
                place: format!("`{what}`"),
                val: v,
            });
        }
    }
    if let Some(test) = svc.healthcheck.as_ref().and_then(|h| h.test.as_ref()) {
        for v in test.iter().skip(1) {
            out.push(Field {
                place: "healthcheck `test`".into(),
                val: v,
            });
        }
    }
    out
}
