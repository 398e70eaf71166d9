//! SA410: credentials in volume driver options (CIFS `o: …,password=…`), in secret-named logging
//! options (`splunk-token`) or in secret-named labels. Labels holding htpasswd/bcrypt hashes
//! (Traefik basic auth) are reported low: a hash, not the password, but crackable offline.

use crate::detect::{contains_password_hash, is_non_secret_value, is_secret_name};
use crate::finding::{ObjectKind, ObjectRef, Severity};
use crate::model::{Deployment, KeyVal, Val};
use crate::rules::Sink;

/// Mount options that carry a password (`mount.cifs`, `sshfs`, `davfs` …).
const PASSWORD_OPTIONS: &[&str] = &["password", "pass", "passwd", "secret"];

/// A literal credential: not a reference, template, boolean, path or URL (URLs: SA405).
fn is_literal_secret(v: &Val) -> bool {
    (v.is_known() || !v.text.is_empty()) && !is_non_secret_value(&v.text) && !v.text.contains("://")
}

/// The names of the password options in a driver option (`o: addr=…,username=u,password=p`), or
/// the option's own key when it is secret-named.
fn secret_driver_options(kv: &KeyVal) -> Vec<String> {
    let Some(v) = &kv.value else { return vec![] };
    if is_secret_name(&kv.key) && is_literal_secret(v) {
        return vec![kv.key.clone()];
    }
    v.text
        .split(',')
        .filter_map(|opt| {
            let (name, value) = opt.split_once('=')?;
            let name = name.trim();
            let lower = name.to_ascii_lowercase();
            let secret = PASSWORD_OPTIONS.contains(&lower.as_str()) || is_secret_name(name);
            (secret && !is_non_secret_value(value) && !value.trim().is_empty())
                .then(|| format!("{}: {name}=…", kv.key))
        })
        .collect()
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    // live volumes are lowered from the services' mounts: reported there, with the service
    let volumes = if d.live { &[][..] } else { &d.volumes[..] };
    for vol in volumes {
        for kv in &vol.driver_opts {
            for what in secret_driver_options(kv) {
                let loc = kv.value.as_ref().map_or(&kv.loc, |v| &v.loc);
                sink.report(
                    ObjectRef::new(ObjectKind::Volume, &vol.name),
                    loc,
                    &what,
                    format!(
                        "volume `{}` driver option `{what}` holds a password (value hidden): it is stored in the stack file and in the volume's options on every node; use the driver's credentials file (CIFS `credentials=/root/.smb-creds`) or a volume plugin with secret support",
                        vol.name
                    ),
                );
            }
        }
    }
    for svc in &d.services {
        for m in &svc.mounts {
            for kv in &m.driver_opts {
                for what in secret_driver_options(kv) {
                    let loc = kv.value.as_ref().map_or(&kv.loc, |v| &v.loc);
                    sink.service(
                        svc,
                        loc,
                        format!("mount {what}"),
                        format!(
                            "volume mount driver option `{what}` holds a password (value hidden): it is stored in the service spec; use the driver's credentials file or a volume plugin with secret support"
                        ),
                    );
                }
            }
        }
        for kv in &svc.logging_options {
            let Some(v) = &kv.value else { continue };
            if is_secret_name(&kv.key) && is_literal_secret(v) {
                sink.service(
                    svc,
                    &v.loc,
                    format!("logging {}", kv.key),
                    format!(
                        "logging option `{}` holds a credential (value hidden): it is stored in the service spec and shown by `docker service inspect`; configure the token in the daemon's `log-opts` on each node instead",
                        kv.key
                    ),
                );
            }
        }
        for (what, labels) in [("label", &svc.labels), ("deploy label", &svc.deploy.labels)] {
            for kv in labels {
                let Some(v) = &kv.value else { continue };
                if contains_password_hash(&v.text) {
                    let f = sink.service(
                        svc,
                        &v.loc,
                        format!("{what} {}", kv.key),
                        format!(
                            "{what} `{}` holds a password hash (value hidden): anyone who can read the spec can try to crack it offline; prefer a users file delivered as a Docker secret (Traefik `basicauth.usersfile`)",
                            kv.key
                        ),
                    );
                    f.severity = Severity::Low;
                } else if is_secret_name(&kv.key) && is_literal_secret(v) {
                    sink.service(
                        svc,
                        &v.loc,
                        format!("{what} {}", kv.key),
                        format!(
                            "{what} `{}` holds a credential (value hidden): labels are readable by anyone with API access and by every container that can query the API; deliver it as a Docker secret",
                            kv.key
                        ),
                    );
                }
            }
        }
    }
}
