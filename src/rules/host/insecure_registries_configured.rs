//! SA711: the daemon reaches registries without TLS (or without verifying it): images and
//! credentials can be read or replaced on the way. Loopback entries are skipped: docker treats
//! 127.0.0.0/8 as insecure anyway.

use crate::model::Deployment;
use crate::registry::reference::is_loopback;
use crate::rules::host::{each_daemon, node_object};
use crate::rules::Sink;

/// `127.0.0.1:5000`, `localhost:5000`, `127.0.0.0/8`, `::1/128`: only reachable on the host.
pub fn loopback_entry(entry: &str) -> bool {
    let e = entry
        .trim()
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    match e.split_once('/') {
        Some((ip, prefix)) => {
            let Ok(bits) = prefix.parse::<u8>() else {
                return false;
            };
            match ip.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(v4)) => v4.is_loopback() && bits >= 8,
                Ok(std::net::IpAddr::V6(v6)) => v6.is_loopback() && bits == 128,
                Err(_) => false,
            }
        }
        None => is_loopback(e.trim_start_matches('[').replace("]", "").as_str()) || is_loopback(e),
    }
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    each_daemon(d, sink, "insecure-registries", |h, s, sink| {
        for r in &s.insecure_registries {
            if loopback_entry(&r.text) {
                continue;
            }
            sink.report(
                node_object(h),
                &r.loc,
                r.text.clone(),
                format!(
                    "{} pulls from `{}` without TLS verification: images and registry credentials can be read or swapped on the network (serve the registry over TLS and remove the entry)",
                    h.hostname, r.text
                ),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::loopback_entry;

    #[test]
    fn loopback_entries() {
        for e in [
            "127.0.0.1:5000",
            "localhost:5000",
            "127.0.0.0/8",
            "127.0.0.1/32",
            "::1/128",
            "[::1]:5000",
        ] {
            assert!(loopback_entry(e), "{e}");
        }
        for e in [
            "registry.corp:5000",
            "10.0.0.0/8",
            "0.0.0.0/0",
            "127.0.0.0/7",
            "192.168.1.5:5000",
        ] {
            assert!(!loopback_entry(e), "{e}");
        }
    }
}
