//! SA507: the image comes from a registry outside `settings.allowed_registries`, or from one
//! reached without TLS (loopback registries, `--insecure-registry`, the daemon's
//! `insecure-registries`).

use crate::model::Deployment;
use crate::registry::reference::{is_loopback, Reference, DOCKER_HUB};
use crate::rules::Sink;

/// `docker.io`, `ghcr.io/acme` (a registry and path prefix), `*.corp.example` (any subdomain).
pub fn allowed(r: &Reference, allowlist: &[String]) -> bool {
    let name = r.name();
    allowlist.iter().any(|entry| {
        let e = entry
            .trim()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_ascii_lowercase();
        let e = match e.as_str() {
            "index.docker.io"
            | "index.docker.io/v1"
            | "registry-1.docker.io"
            | "hub.docker.com" => DOCKER_HUB.to_string(),
            _ => e,
        };
        if let Some(suffix) = e.strip_prefix("*.") {
            let host = r.host_only();
            return host.ends_with(&format!(".{suffix}"));
        }
        e == r.registry || name.starts_with(&format!("{e}/"))
    })
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    let allowlist = &sink.settings.allowed_registries;
    for svc in &d.services {
        let Some(img) = svc.image.as_ref().filter(|i| i.is_known()) else {
            continue;
        };
        let Ok(r) = Reference::parse(&img.text) else {
            continue;
        };
        let mut why = vec![];
        if !allowlist.is_empty() && !allowed(&r, allowlist) {
            why.push(format!(
                "registry {} is not in `settings.allowed_registries` ({})",
                r.registry,
                allowlist.join(", ")
            ));
        }
        if is_loopback(&r.registry) {
            why.push(format!(
                "registry {} is a loopback address: docker pulls from it over plain HTTP, and each node pulls from its own {}",
                r.registry,
                r.host_only()
            ));
        } else if let Some(reason) = &svc.image_info.insecure_registry {
            why.push(reason.clone());
        }
        if !why.is_empty() {
            sink.service(
                svc,
                &img.loc,
                "image",
                format!("image `{}`: {}", img.text, why.join("; ")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist_entries() {
        let list: Vec<String> = [
            "docker.io",
            "ghcr.io/acme",
            "*.corp.example",
            "registry.local:5000",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let ok = |s: &str| allowed(&Reference::parse(s).expect("ref"), &list);
        assert!(ok("nginx"));
        assert!(ok("ghcr.io/acme/app:1"));
        assert!(!ok("ghcr.io/other/app:1"));
        assert!(!ok("ghcr.io/acmeevil/app:1"));
        assert!(ok("reg.corp.example/app"));
        assert!(!ok("corp.example.evil.io/app"));
        assert!(ok("registry.local:5000/app"));
        assert!(!ok("registry.local:5001/app"));
        let hub = vec!["https://index.docker.io/v1/".to_string()];
        assert!(allowed(
            &Reference::parse("prom/prometheus").expect("ref"),
            &hub
        ));
    }
}
