//! SA105: a sensitive host path is bind-mounted (CIS 5.6), or with shared propagation (5.20).

use crate::finding::Severity;
use crate::model::{Deployment, Mount, MountKind, Service};
use crate::rules::identity::runtime_socket_mounted::is_runtime_socket;
use crate::rules::Sink;

const SENSITIVE: &[&str] = &[
    "/",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/proc",
    "/sys",
    "/usr",
    "/var/lib/docker",
    "/root",
    "/run",
    "/var/run",
];
/// Harmless read-only binds every time-aware container uses.
const BENIGN_READ_ONLY: &[&str] = &["/etc/localtime", "/etc/timezone"];

/// The sensitive prefix a path equals or lies under (path-segment match: `/etcd` is not `/etc`).
pub fn sensitive_prefix(path: &str) -> Option<&'static str> {
    let p = path.trim();
    if !p.starts_with('/') {
        return None;
    }
    let cleaned = crate::model::clean_path(p);
    let p = cleaned.as_str();
    SENSITIVE
        .iter()
        .filter(|s| {
            p == **s
                || (**s == "/" && p == "/")
                || (**s != "/" && p.starts_with(*s) && p.as_bytes().get(s.len()) == Some(&b'/'))
        })
        .max_by_key(|s| s.len())
        .copied()
}

fn flagged(m: &Mount) -> Option<(&str, &'static str)> {
    if m.kind != MountKind::Bind {
        return None;
    }
    let src = m.source.as_ref().filter(|s| s.is_known())?;
    if is_runtime_socket(&src.text) {
        return None; // SA104
    }
    let prefix = sensitive_prefix(&src.text)?;
    if m.read_only && BENIGN_READ_ONLY.contains(&crate::model::clean_path(&src.text).as_str()) {
        return None;
    }
    Some((src.text.as_str(), prefix))
}

pub fn writable_sensitive_mounts(svc: &Service) -> Vec<&Mount> {
    svc.mounts
        .iter()
        .filter(|m| !m.read_only && flagged(m).is_some())
        .collect()
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for m in &svc.mounts {
            if let Some((src, prefix)) = flagged(m) {
                let f = sink.service(
                    svc,
                    &m.loc,
                    src,
                    format!(
                        "host path {src} (under {prefix}) is bind-mounted {}",
                        if m.read_only {
                            "read-only: the container can read host configuration or state"
                        } else {
                            "read-write: the container can change the host"
                        }
                    ),
                );
                if !m.read_only {
                    f.severity = Severity::High;
                }
            }
            let shared = m
                .propagation
                .as_ref()
                .is_some_and(|p| matches!(p.text.as_str(), "shared" | "rshared"));
            if m.kind == MountKind::Bind && shared {
                let src = m.source.as_ref().map_or("", |s| s.text.as_str());
                sink.service(
                    svc,
                    &m.loc,
                    format!("{src}#propagation"),
                    format!("bind mount of {src} uses shared propagation: mounts made in the container appear on the host"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sensitive_prefix;

    #[test]
    fn segment_prefixes() {
        assert_eq!(sensitive_prefix("/etc/nginx"), Some("/etc"));
        assert_eq!(sensitive_prefix("/etc"), Some("/etc"));
        assert_eq!(sensitive_prefix("/etcd-data"), None);
        assert_eq!(sensitive_prefix("/"), Some("/"));
        assert_eq!(
            sensitive_prefix("/var/lib/docker/volumes"),
            Some("/var/lib/docker")
        );
        assert_eq!(sensitive_prefix("/srv/data"), None);
        assert_eq!(sensitive_prefix("./conf"), None);
        assert_eq!(sensitive_prefix("//etc"), Some("/etc"));
        assert_eq!(sensitive_prefix("/srv/../etc"), Some("/etc"));
        assert_eq!(sensitive_prefix("/./etc/shadow"), Some("/etc"));
    }
}
