//! SA412: an environment variable switches a database image's authentication off: the MySQL and
//! MariaDB images' empty root password, PostgreSQL's `trust`, Bitnami's `ALLOW_EMPTY_PASSWORD`.

use crate::model::Deployment;
use crate::rules::Sink;

/// Does this entry disable authentication? The docker-library MySQL/MariaDB entrypoints test
/// for a non-empty value (`false` and `no` enable it too); Postgres compares with `trust`;
/// Bitnami accepts `yes`/`true`/`1`.
fn disables_auth(key: &str, value: &str) -> Option<&'static str> {
    let v = value.trim();
    match key {
        "MYSQL_ALLOW_EMPTY_PASSWORD"
        | "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD"
        | "MARIADB_ALLOW_EMPTY_PASSWORD" => (!v.is_empty()).then_some(
            "lets the database root account log in without a password (the image treats any non-empty value as yes)",
        ),
        "POSTGRES_HOST_AUTH_METHOD" => v
            .eq_ignore_ascii_case("trust")
            .then_some("makes PostgreSQL accept every connection without a password"),
        "ALLOW_EMPTY_PASSWORD" => matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1")
            .then_some("lets the database start without a password (Bitnami images)"),
        _ => None,
    }
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for kv in &svc.environment {
            let Some(v) = &kv.value else { continue };
            if let Some(what) = disables_auth(&kv.key, &v.text) {
                sink.service(
                    svc,
                    &v.loc,
                    &kv.key,
                    format!(
                        "environment variable `{}` {what}: set a password from a Docker secret (`*_PASSWORD_FILE=/run/secrets/…`) instead",
                        kv.key
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::disables_auth;

    #[test]
    fn each_image_convention() {
        // docker-library: any non-empty value, even `false`
        for v in ["yes", "false", "0", "x"] {
            assert!(
                disables_auth("MYSQL_ALLOW_EMPTY_PASSWORD", v).is_some(),
                "{v}"
            );
            assert!(disables_auth("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", v).is_some());
        }
        assert!(disables_auth("MYSQL_ALLOW_EMPTY_PASSWORD", " ").is_none());
        assert!(disables_auth("POSTGRES_HOST_AUTH_METHOD", "TRUST").is_some());
        assert!(disables_auth("POSTGRES_HOST_AUTH_METHOD", "md5").is_none());
        for (v, on) in [
            ("yes", true),
            ("True", true),
            ("1", true),
            ("on", false),
            ("no", false),
        ] {
            assert_eq!(
                disables_auth("ALLOW_EMPTY_PASSWORD", v).is_some(),
                on,
                "{v}"
            );
        }
        assert!(disables_auth("OTHER", "yes").is_none());
    }
}
