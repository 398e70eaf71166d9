//! Host checks: facts about one node's host (`/proc/net/tcp`, the Docker socket, daemon.json,
//! the running dockerd's flags), read with plain file reads and lowered into
//! [`crate::model::host::HostFacts`] for the rules SA708–SA714.
//!
//! `collect` reads (never writes) under a root directory (`/`, a fixture tree, or the host's
//! root mounted into a probe container); the result is a [`collect::HostReport`], which is also
//! what `swarmaudit host-report --json` prints. `lower` turns a report into model facts.

pub mod collect;

use std::path::PathBuf;

use crate::model::host::{DaemonSettings, HostFact, HostFacts, SocketFile};
use crate::model::{Deployment, Loc, Val};
use crate::source::{SourceFile, SourceMap};
use crate::yaml::Span;

pub use collect::{collect, Collected, HostReport, Options};

/// The rules that judge host facts.
pub const RULE_IDS: [&str; 7] = [
    "SA708", "SA709", "SA710", "SA711", "SA712", "SA713", "SA714",
];

/// The root directory to read the host under: `--host-root`, else `SWARMAUDIT_HOST_ROOT`, else `/`.
pub fn root_from(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| {
        std::env::var_os("SWARMAUDIT_HOST_ROOT")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .unwrap_or_else(|| PathBuf::from("/"))
}

/// Lower a report into model facts. With the daemon.json text (read on this machine) its
/// settings point into the file; without (a report from another node) they name the file, line
/// and column on that host.
pub fn lower(report: &HostReport, text: Option<SourceFile>, sources: &mut SourceMap) -> HostFacts {
    let object = format!("host {}", report.hostname);
    let api = |path: String| Loc::Api {
        object: object.clone(),
        path,
    };
    let file = text.map(|t| sources.add(t));
    let json_path = report.daemon_json.path.clone();
    let setting_loc = |s: &collect::Setting| match file {
        Some(f) => Loc::file(Span {
            file: f,
            start: s.start as u32,
            end: s.end as u32,
        }),
        None => api(format!("{json_path}:{}:{} {}", s.line, s.column, s.key)),
    };
    let top_loc = match file {
        Some(f) => Loc::file(Span::point(f, 0)),
        None => api(json_path.clone()),
    };
    let flags: Vec<(String, Val)> = match &report.dockerd {
        HostFact::Known(Some(d)) => d
            .flags
            .iter()
            .map(|f| {
                let loc = api(format!(
                    "dockerd --{}={} (/proc/{}/cmdline)",
                    f.name, f.value, d.pid
                ));
                (f.name.clone(), Val::api(f.value.clone(), loc))
            })
            .collect(),
        _ => vec![],
    };
    let daemon = match (&report.daemon_json.settings, &report.dockerd) {
        (HostFact::Unknown(r), _) => HostFact::Unknown(r.clone()),
        (_, HostFact::Unknown(r)) => {
            HostFact::Unknown(format!("the dockerd command line is unknown: {r}"))
        }
        (HostFact::Known(settings), HostFact::Known(_)) => {
            let from_file: Vec<(String, Val)> = settings
                .iter()
                .map(|s| (s.key.clone(), Val::api(s.value.clone(), setting_loc(s))))
                .collect();
            let all = |keys: &[&str]| -> Vec<Val> {
                from_file
                    .iter()
                    .chain(&flags)
                    .filter(|(k, _)| keys.contains(&k.as_str()))
                    .map(|(_, v)| v.clone())
                    .collect()
            };
            // dockerd refuses a setting given both as a flag and in the file, so the last
            // one found is the one in force
            let one = |keys: &[&str]| all(keys).pop();
            let log_max_size = from_file
                .iter()
                .find(|(k, _)| k == "log-opts.max-size")
                .map(|(_, v)| v.clone())
                .or_else(|| {
                    flags
                        .iter()
                        .filter(|(k, _)| k == "log-opt")
                        .find_map(|(_, v)| {
                            let size = v.text.strip_prefix("max-size=")?;
                            Some(Val::api(size, v.loc.clone()))
                        })
                });
            HostFact::Known(DaemonSettings {
                hosts: all(&["hosts", "host"]),
                tls: one(&["tls"]),
                tlsverify: one(&["tlsverify"]),
                tlscacert: one(&["tlscacert"]),
                tlscert: one(&["tlscert"]),
                tlskey: one(&["tlskey"]),
                default_certs: Some(report.default_certs.clone()),
                insecure_registries: all(&["insecure-registries", "insecure-registry"]),
                no_new_privileges: one(&["no-new-privileges"]),
                userns_remap: one(&["userns-remap"]),
                icc: one(&["icc"]),
                log_driver: one(&["log-driver"]),
                log_max_size,
                userland_proxy: one(&["userland-proxy"]),
                loc: top_loc,
            })
        }
    };
    HostFacts {
        hostname: report.hostname.clone(),
        node_id: report.node_id.clone(),
        control_port: report.control_port.clone(),
        sockets: report
            .sockets
            .iter()
            .map(|s| SocketFile {
                path: s.path.clone(),
                stat: s.stat.clone(),
                loc: api(s.path.clone()),
            })
            .collect(),
        daemon_json_path: json_path,
        daemon_json: report.daemon_json.stat.clone(),
        daemon,
    }
}

/// A node whose facts could not be read at all (its probe task failed): every fact is unknown
/// for the same reason, so every host rule says so.
pub fn unknown_facts(hostname: &str, node_id: &str, reason: &str) -> HostFacts {
    HostFacts {
        hostname: hostname.to_string(),
        node_id: Some(node_id.to_string()),
        control_port: HostFact::Unknown(reason.to_string()),
        sockets: vec![SocketFile {
            path: collect::DEFAULT_SOCKET.into(),
            stat: HostFact::Unknown(reason.to_string()),
            loc: Loc::Api {
                object: format!("host {hostname}"),
                path: collect::DEFAULT_SOCKET.into(),
            },
        }],
        daemon_json_path: collect::DEFAULT_DAEMON_JSON.into(),
        daemon_json: HostFact::Unknown(reason.to_string()),
        daemon: HostFact::Unknown(reason.to_string()),
    }
}

/// A deployment holding only this host's facts (`scan --host-checks`).
pub fn deployment(facts: HostFacts) -> Deployment {
    Deployment {
        stack: format!("host {}", facts.hostname),
        hosts: vec![facts],
        host_only: true,
        ..Deployment::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(text: &str, flags: &[&str]) -> Collected {
        let src = SourceFile::new("/etc/docker/daemon.json".into(), text.into());
        let args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
        Collected {
            report: HostReport {
                version: collect::REPORT_VERSION,
                hostname: "node-2".into(),
                node_id: Some("abc".into()),
                control_port: HostFact::Known(vec![]),
                dockerd: HostFact::Known(Some(collect::Dockerd {
                    pid: 7,
                    flags: collect::parse_flags(&args),
                })),
                daemon_json: collect::DaemonJsonReport {
                    path: "/etc/docker/daemon.json".into(),
                    stat: HostFact::Known(None),
                    settings: HostFact::Known(collect::settings(&src).expect("settings")),
                },
                sockets: vec![],
                default_certs: HostFact::Known(false),
            },
            daemon_json: Some(src),
        }
    }

    #[test]
    fn a_remote_report_names_file_line_and_key_a_local_one_the_span() {
        let c = report("{\n  \"icc\": true\n}\n", &["--userland-proxy=false"]);
        let mut sources = SourceMap::default();
        let remote = lower(&c.report, None, &mut sources);
        let HostFact::Known(s) = &remote.daemon else {
            panic!("known")
        };
        let icc = s.icc.as_ref().expect("icc");
        assert_eq!(
            icc.loc,
            Loc::Api {
                object: "host node-2".into(),
                path: "/etc/docker/daemon.json:2:10 icc".into()
            }
        );
        // a flag names the command line it came from
        let proxy = s.userland_proxy.as_ref().expect("flag");
        assert_eq!(proxy.text, "false");
        assert!(
            matches!(&proxy.loc, Loc::Api { path, .. } if path == "dockerd --userland-proxy=false (/proc/7/cmdline)")
        );
        assert!(sources.is_empty());
        let local = lower(&c.report, c.daemon_json, &mut sources);
        let HostFact::Known(s) = &local.daemon else {
            panic!("known")
        };
        let span = s.icc.as_ref().and_then(|v| v.loc.span()).expect("span");
        assert_eq!(&sources.get(span.file).text[span.range()], "true");
    }
}
