//! SA4xx: secrets and sensitive data. Secret values are never put in a message: rules name the
//! key and the kind of secret, with at most a masked hint.

pub mod credential_pattern_in_value;
pub mod credentials_in_options_or_labels;
pub mod credentials_in_url;
pub mod database_auth_disabled;
pub mod plaintext_secret_in_environment;
pub mod secret_file_next_to_stack;
pub mod secret_mounted_world_readable;
pub mod secret_name_convention;
pub mod secret_passed_from_deploy_shell;
pub mod secrets_in_env_file;
pub mod sensitive_data_in_config;
pub mod swarm_token_exposed;

use crate::detect::{
    find_credentials, find_url_credentials, is_non_secret_value, is_secret_name, SecretKind,
};
use crate::model::{Service, Val};

/// Swarm join tokens and unlock keys are SA411's; the other secret rules leave them to it.
pub fn is_swarm_token(kind: SecretKind) -> bool {
    matches!(
        kind,
        SecretKind::SwarmJoinToken | SecretKind::SwarmUnlockKey
    )
}

/// What a `KEY=value` assignment from a file (env file, config) holds, in words for a message,
/// when it looks like a secret by SA401's name heuristic or SA402's patterns (a password in a
/// URL counts too). Never the value. Swarm tokens are left to SA411.
pub fn secret_assignment(key: &str, value: &str) -> Option<String> {
    if let Some(hit) = find_credentials(value)
        .into_iter()
        .find(|h| !is_swarm_token(h.kind))
    {
        return Some(format!("a {}", hit.kind.label()));
    }
    if !find_url_credentials(value).is_empty() {
        return Some("a password in a URL".into());
    }
    (is_secret_name(key) && !is_non_secret_value(value) && !value.contains("://"))
        .then(|| "a plaintext secret".into())
}

/// One hit in a file's text: the 1-based line and what it holds (`` `KEY` holds a … ``).
pub struct TextHit {
    pub line: usize,
    pub what: String,
}

/// `KEY=value`, `KEY: value`, `key = "value"` lines of a text (env files, `.properties`, YAML,
/// TOML, INI), quotes around the value dropped; other lines are scanned for patterns only.
pub fn scan_text(text: &str) -> Vec<TextHit> {
    let mut out = vec![];
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let assignment = line
            .find(['=', ':'])
            .map(|at| (line[..at].trim(), line[at + 1..].trim()))
            .filter(|(k, _)| {
                !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            });
        let found = match assignment {
            Some((k, v)) => {
                let v = v.trim_matches(['"', '\'']);
                secret_assignment(k, v).map(|what| format!("`{k}` holds {what}"))
            }
            None => find_credentials(line)
                .into_iter()
                .find(|h| !is_swarm_token(h.kind))
                .map(|h| format!("a {}", h.kind.label())),
        };
        if let Some(what) = found {
            out.push(TextHit { line: i + 1, what });
        }
    }
    // a private key block spans lines: look at the whole text once
    if out.is_empty() {
        if let Some(h) = find_credentials(text)
            .into_iter()
            .find(|h| !is_swarm_token(h.kind))
        {
            let line = text[..h.start].matches('\n').count() + 1;
            out.push(TextHit {
                line,
                what: format!("a {}", h.kind.label()),
            });
        }
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_in_files() {
        assert_eq!(
            secret_assignment("DB_PASSWORD", "changeme").as_deref(),
            Some("a plaintext secret")
        );
        assert_eq!(
            secret_assignment("CACHE", "redis://u:Vq8rT2mZ9p@cache/0").as_deref(),
            Some("a password in a URL")
        );
        for (k, v) in [
            ("DB_PASSWORD", "${DB_PASSWORD}"),
            ("DB_PASSWORD_FILE", "/run/secrets/db"),
            ("DATABASE_URL", "postgres://db:5432/app"),
            ("TOKEN_TTL", "3600"),
            ("password", "{{ secret \"db\" }}"),
        ] {
            assert_eq!(secret_assignment(k, v), None, "{k}");
        }
    }

    #[test]
    fn text_scan_finds_lines_of_every_syntax() {
        let text =
            "# c\nserver.port=8080\ndb.password = \"changeme\"\napi_key: 'Zr4pK9wQx2Lm'\n[x]\n";
        let hits = scan_text(text);
        let lines: Vec<usize> = hits.iter().map(|h| h.line).collect();
        assert_eq!(lines, vec![3, 4]);
        assert!(hits[0].what.contains("`db.password`"), "{}", hits[0].what);
        assert!(!hits.iter().any(|h| h.what.contains("changeme")));
        let pem = ["-----BEGIN RSA PRIVATE", " KEY-----"].concat();
        assert_eq!(scan_text(&format!("a=1\n{pem}\nMIIE\n")).len(), 1);
        assert!(scan_text("password: '{{ secret \"db\" }}'\nurl: https://x/\n").is_empty());
    }
}
