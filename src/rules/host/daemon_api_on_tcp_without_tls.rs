//! SA710: the daemon serves its API on TCP without verified TLS: anyone who reaches the port is
//! root on the host (and, on a manager, controls the swarm).

use crate::finding::Severity;
use crate::model::host::HostFact;
use crate::model::Deployment;
use crate::rules::host::{each_daemon, node_object};
use crate::rules::Sink;

/// `tcp://…` or a bare `host:port` (dockerd reads it as TCP).
pub fn tcp_address(host: &str) -> Option<&str> {
    match host.split_once("://") {
        Some(("tcp", rest)) => Some(rest),
        Some(_) => None,
        None => Some(host),
    }
}

/// `localhost`, 127.0.0.0/8, `[::1]`: only reachable from the host itself.
pub fn loopback(addr: &str) -> bool {
    let host = match addr.rsplit_once(':') {
        Some((h, _)) => h,
        None => addr,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    each_daemon(d, sink, "the daemon's TCP API", |h, s, sink| {
        let verify = s.tlsverify.as_ref().and_then(|v| v.as_bool()) == Some(true);
        let tls = verify || s.tls.as_ref().and_then(|v| v.as_bool()) == Some(true);
        let missing: Vec<&str> = [
            ("tlscacert", &s.tlscacert),
            ("tlscert", &s.tlscert),
            ("tlskey", &s.tlskey),
        ]
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| *k)
        .collect();
        for host in &s.hosts {
            let Some(addr) = tcp_address(&host.text) else {
                continue;
            };
            let local = loopback(addr);
            let problem = if !tls {
                Some((
                    "without TLS: anyone who reaches the port runs containers as root on the host",
                    false,
                ))
            } else if !verify {
                Some((
                    "with TLS but without client verification (`tlsverify`): anyone who reaches the port is accepted",
                    false,
                ))
            } else if missing.is_empty() {
                None
            } else {
                match s.default_certs.as_ref() {
                    Some(HostFact::Known(true)) => None,
                    Some(HostFact::Unknown(reason)) => Some((reason.as_str(), true)),
                    _ => Some((
                        "with `tlsverify` but without its certificates (no tlscacert/tlscert/tlskey and none in /root/.docker)",
                        false,
                    )),
                }
            };
            let Some((why, unknown)) = problem else {
                continue;
            };
            let message = if unknown {
                format!(
                    "the daemon on {} serves its API on {} with `tlsverify`, but whether the default certificates ({}) exist could not be read: {why}",
                    h.hostname,
                    host.text,
                    missing.join(", ")
                )
            } else {
                format!(
                    "the daemon on {} serves its API on {} {why} (remove the TCP host, or set `tlsverify` with tlscacert/tlscert/tlskey; prefer `ssh://` access)",
                    h.hostname, host.text
                )
            };
            let f = sink.report(node_object(h), &host.loc, host.text.clone(), message);
            f.unknown = unknown;
            if local && !unknown {
                // dockerd itself exempts localhost from mandatory TLS: local users only
                f.severity = Severity::Low;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_hosts_and_loopback() {
        assert_eq!(tcp_address("tcp://0.0.0.0:2375"), Some("0.0.0.0:2375"));
        assert_eq!(tcp_address("0.0.0.0:2375"), Some("0.0.0.0:2375"));
        assert_eq!(tcp_address("unix:///var/run/docker.sock"), None);
        assert_eq!(tcp_address("fd://"), None);
        for a in [
            "127.0.0.1:2375",
            "localhost:2375",
            "[::1]:2375",
            "127.1.2.3",
        ] {
            assert!(loopback(a), "{a}");
        }
        for a in ["0.0.0.0:2375", ":2375", "10.0.0.5:2376", "[::]:2375"] {
            assert!(!loopback(a), "{a}");
        }
    }
}
