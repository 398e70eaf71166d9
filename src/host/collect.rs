//! Read this host's facts with plain file reads: never a write, never a privileged call. What
//! cannot be read (permission denied, not mounted) is recorded as unknown with the reason.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::host::{FileStat, HostFact};
use crate::source::{FileId, SourceFile};

pub const REPORT_VERSION: u32 = 1;
pub const DEFAULT_DAEMON_JSON: &str = "/etc/docker/daemon.json";
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
pub const CONTROL_PORT: u16 = 2377;

/// Where to read and what to call this host.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Treat this directory as `/` (fixture trees, or the host's root mounted in a container).
    pub root: PathBuf,
    /// The host's name; default: the kernel's hostname under the root.
    pub hostname: Option<String>,
    pub node_id: Option<String>,
}

/// A dockerd flag that matters to the host rules, as written on its command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// Long name without dashes: `host`, `tlsverify`, `log-opt`.
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dockerd {
    pub pid: u32,
    pub flags: Vec<Flag>,
}

/// A daemon.json setting: the key path (`hosts`, `log-opts.max-size`), its value as text, and
/// where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketReport {
    pub path: String,
    pub stat: HostFact<FileStat>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonJsonReport {
    /// The path on the host (`/etc/docker/daemon.json`, or dockerd's `--config-file`).
    pub path: String,
    /// `None`: the file does not exist (all defaults).
    pub stat: HostFact<Option<FileStat>>,
    /// The settings the host rules read; empty when the file does not exist.
    pub settings: HostFact<Vec<Setting>>,
}

/// Everything read on one host: the output of `swarmaudit host-report --json` (the node probe
/// collects one per node). It holds settings and file metadata, never file contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostReport {
    pub version: u32,
    pub hostname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    /// Wildcard listeners on port 2377.
    pub control_port: HostFact<Vec<String>>,
    /// The running dockerd (`None`: no dockerd process on this host).
    pub dockerd: HostFact<Option<Dockerd>>,
    pub daemon_json: DaemonJsonReport,
    pub sockets: Vec<SocketReport>,
    /// Whether root's default TLS files (`/root/.docker/{ca,cert,key}.pem`) exist.
    pub default_certs: HostFact<bool>,
}

/// A report plus the daemon.json text when it was read here (for file locations).
pub struct Collected {
    pub report: HostReport,
    pub daemon_json: Option<SourceFile>,
}

/// `/etc/docker` → `<root>/etc/docker`.
pub fn under(root: &Path, abs: &str) -> PathBuf {
    root.join(abs.trim_start_matches('/'))
}

fn io_reason(path: &Path, e: &std::io::Error) -> String {
    let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
        " (run as root to check it)"
    } else {
        ""
    };
    format!("cannot read {}: {e}{hint}", path.display())
}

/// `name:x:id:…` lines of `/etc/passwd` or `/etc/group`.
fn names(root: &Path, file: &str) -> Vec<(u32, String)> {
    std::fs::read_to_string(under(root, file))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut parts = l.split(':');
            let name = parts.next()?;
            let id = parts.nth(1)?.parse().ok()?;
            Some((id, name.to_string()))
        })
        .collect()
}

struct Ids {
    users: Vec<(u32, String)>,
    groups: Vec<(u32, String)>,
}

impl Ids {
    fn stat(&self, path: &Path) -> Result<Option<FileStat>, String> {
        match std::fs::metadata(path) {
            Ok(m) => Ok(Some(FileStat {
                uid: m.uid(),
                gid: m.gid(),
                user: lookup(&self.users, m.uid()),
                group: lookup(&self.groups, m.gid()),
                mode: m.mode() & 0o7777,
                socket: m.file_type().is_socket(),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_reason(path, &e)),
        }
    }
}

fn lookup(list: &[(u32, String)], id: u32) -> Option<String> {
    list.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone())
}

/// Flags that take a value, and boolean flags (`--icc` = `--icc=true`).
const VALUE_FLAGS: [&str; 9] = [
    "host",
    "config-file",
    "tlscacert",
    "tlscert",
    "tlskey",
    "insecure-registry",
    "userns-remap",
    "log-driver",
    "log-opt",
];
const BOOL_FLAGS: [&str; 5] = [
    "tls",
    "tlsverify",
    "no-new-privileges",
    "icc",
    "userland-proxy",
];

/// The flags of a dockerd command line that the host rules read (others are skipped).
pub fn parse_flags(args: &[String]) -> Vec<Flag> {
    let mut out = vec![];
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        let (name, inline) = if let Some(rest) = a.strip_prefix("--") {
            match rest.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (rest.to_string(), None),
            }
        } else if let Some(rest) = a.strip_prefix("-H") {
            let v = rest.strip_prefix('=').unwrap_or(rest);
            ("host".to_string(), (!v.is_empty()).then(|| v.to_string()))
        } else {
            continue;
        };
        if VALUE_FLAGS.contains(&name.as_str()) {
            let value = match inline {
                Some(v) => v,
                None => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        v.clone()
                    }
                    None => continue,
                },
            };
            out.push(Flag { name, value });
        } else if BOOL_FLAGS.contains(&name.as_str()) {
            out.push(Flag {
                name,
                value: inline.unwrap_or_else(|| "true".into()),
            });
        }
    }
    out
}

/// The dockerd process with the lowest pid, from `<root>/proc/*/comm`.
fn find_dockerd(root: &Path) -> HostFact<Option<Dockerd>> {
    let proc_dir = under(root, "/proc");
    let entries = match std::fs::read_dir(&proc_dir) {
        Ok(e) => e,
        Err(e) => return HostFact::Unknown(io_reason(&proc_dir, &e)),
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let dir = proc_dir.join(pid.to_string());
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim() != "dockerd" {
            continue;
        }
        let cmdline = dir.join("cmdline");
        return match std::fs::read(&cmdline) {
            Ok(raw) => {
                let args: Vec<String> = raw
                    .split(|b| *b == 0)
                    .filter(|a| !a.is_empty())
                    .skip(1)
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                HostFact::Known(Some(Dockerd {
                    pid,
                    flags: parse_flags(&args),
                }))
            }
            Err(e) => HostFact::Unknown(io_reason(&cmdline, &e)),
        };
    }
    HostFact::Known(None)
}

/// Wildcard LISTEN sockets on `port` in `/proc/net/tcp`-format text.
pub fn wildcard_listeners(text: &str, port: u16, v6: bool) -> Vec<String> {
    let mut out = vec![];
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else {
            continue;
        };
        let Some((addr, p)) = local.split_once(':') else {
            continue;
        };
        if *state != "0A" || u16::from_str_radix(p, 16).ok() != Some(port) {
            continue;
        }
        if addr.bytes().all(|b| b == b'0') {
            out.push(if v6 {
                format!("[::]:{port}")
            } else {
                format!("0.0.0.0:{port}")
            });
        }
    }
    out
}

/// Listeners on 2377 in the daemon's network namespace (its `/proc/<pid>/net`, which is also
/// right inside a probe container), else `/proc/net`.
fn control_port(root: &Path, dockerd: Option<u32>) -> HostFact<Vec<String>> {
    let mut dirs = vec![];
    if let Some(pid) = dockerd {
        dirs.push(under(root, &format!("/proc/{pid}/net")));
    }
    dirs.push(under(root, "/proc/net"));
    let mut last = String::new();
    for dir in dirs {
        let v4 = dir.join("tcp");
        match std::fs::read_to_string(&v4) {
            Ok(text) => {
                let mut found = wildcard_listeners(&text, CONTROL_PORT, false);
                // no tcp6 file: IPv6 is off
                if let Ok(t6) = std::fs::read_to_string(dir.join("tcp6")) {
                    found.extend(wildcard_listeners(&t6, CONTROL_PORT, true));
                }
                return HostFact::Known(found);
            }
            Err(e) => last = io_reason(&v4, &e),
        }
    }
    HostFact::Unknown(last)
}

const BOOL_KEYS: [&str; 5] = [
    "tls",
    "tlsverify",
    "no-new-privileges",
    "icc",
    "userland-proxy",
];
const STRING_KEYS: [&str; 5] = [
    "tlscacert",
    "tlscert",
    "tlskey",
    "userns-remap",
    "log-driver",
];
const LIST_KEYS: [&str; 2] = ["hosts", "insecure-registries"];

/// The settings the host rules read, with their positions (JSON is YAML: the spanned loader
/// reads daemon.json).
pub fn settings(src: &SourceFile) -> Result<Vec<Setting>, String> {
    // dockerd reads strict JSON (YAML would also accept trailing commas or comments), so a file
    // it would refuse is not judged as if it were in force
    let json: serde_json::Value =
        serde_json::from_str(&src.text).map_err(|e| format!("invalid JSON: {e}"))?;
    if !json.is_object() {
        return Err("daemon.json must hold a JSON object".into());
    }
    let root = match crate::yaml::load(FileId(0), src) {
        Ok(n) => n,
        // YAML is stricter about some JSON (tabs, duplicate keys): fall back without positions
        Err(_) => return Ok(json_settings(&json)),
    };
    let Some(map) = root.as_map() else {
        return Ok(json_settings(&json));
    };
    let mut out = vec![];
    let mut push = |key: &str, node: &crate::yaml::Node| {
        let Some(value) = node.scalar_text() else {
            return;
        };
        let (line, column) = src.line_col(node.span.start as usize);
        out.push(Setting {
            key: key.to_string(),
            value,
            start: node.span.start as usize,
            end: node.span.end as usize,
            line,
            column,
        });
    };
    for (k, v) in map {
        let Some(key) = k.as_str() else { continue };
        if BOOL_KEYS.contains(&key) || STRING_KEYS.contains(&key) {
            push(key, v);
        } else if LIST_KEYS.contains(&key) {
            for item in v.as_seq().unwrap_or_default() {
                push(key, item);
            }
        } else if key == "log-opts" {
            if let Some(size) = v.get("max-size") {
                push("log-opts.max-size", size);
            }
        }
    }
    Ok(out)
}

fn json_settings(v: &serde_json::Value) -> Vec<Setting> {
    let text = |x: &serde_json::Value| match x {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(_) | serde_json::Value::Number(_) => Some(x.to_string()),
        _ => None,
    };
    let mut out = vec![];
    let mut push = |key: &str, x: &serde_json::Value| {
        if let Some(value) = text(x) {
            out.push(Setting {
                key: key.into(),
                value,
                start: 0,
                end: 0,
                line: 1,
                column: 1,
            });
        }
    };
    let Some(map) = v.as_object() else {
        return out;
    };
    for (key, x) in map {
        if BOOL_KEYS.contains(&key.as_str()) || STRING_KEYS.contains(&key.as_str()) {
            push(key, x);
        } else if LIST_KEYS.contains(&key.as_str()) {
            for item in x.as_array().into_iter().flatten() {
                push(key, item);
            }
        } else if key == "log-opts" {
            if let Some(size) = x.get("max-size") {
                push("log-opts.max-size", size);
            }
        }
    }
    out
}

fn read_daemon_json(
    root: &Path,
    path: &str,
    explicit: bool,
    ids: &Ids,
) -> (DaemonJsonReport, Option<SourceFile>) {
    let full = under(root, path);
    let unknown = |reason: String| DaemonJsonReport {
        path: path.to_string(),
        stat: HostFact::Unknown(reason.clone()),
        settings: HostFact::Unknown(reason),
    };
    let stat = match ids.stat(&full) {
        Err(reason) => return (unknown(reason), None),
        // dockerd refuses to start when the file named by --config-file is missing, so a
        // missing one means it is not visible here (not mounted into the probe)
        Ok(None) if explicit => {
            return (
                unknown(format!(
                    "{path} (dockerd --config-file) is not visible at {}",
                    full.display()
                )),
                None,
            )
        }
        Ok(None) => {
            return (
                DaemonJsonReport {
                    path: path.to_string(),
                    stat: HostFact::Known(None),
                    settings: HostFact::Known(vec![]),
                },
                None,
            )
        }
        Ok(Some(s)) => s,
    };
    let text = match std::fs::read(&full) {
        Ok(bytes) if bytes.len() > crate::yaml::MAX_FILE_BYTES => Err(format!(
            "{} is larger than {} bytes",
            full.display(),
            crate::yaml::MAX_FILE_BYTES
        )),
        Ok(bytes) => {
            String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", full.display()))
        }
        Err(e) => Err(io_reason(&full, &e)),
    };
    let text = match text {
        Ok(t) => t,
        Err(reason) => {
            return (
                DaemonJsonReport {
                    path: path.to_string(),
                    stat: HostFact::Known(Some(stat)),
                    settings: HostFact::Unknown(reason),
                },
                None,
            )
        }
    };
    let src = SourceFile::new(full.clone(), text);
    let settings = match settings(&src) {
        Ok(s) => HostFact::Known(s),
        Err(e) => HostFact::Unknown(format!("{}: {e}", full.display())),
    };
    (
        DaemonJsonReport {
            path: path.to_string(),
            stat: HostFact::Known(Some(stat)),
            settings,
        },
        Some(src),
    )
}

/// The unix sockets the daemon serves: `unix://` entries of its hosts, plus the default socket
/// when no host is configured or systemd hands the socket over (`fd://`).
pub fn socket_paths(hosts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = hosts
        .iter()
        .filter_map(|h| h.strip_prefix("unix://").map(str::to_string))
        .collect();
    if hosts.is_empty() || hosts.iter().any(|h| h.starts_with("fd://")) {
        out.push(DEFAULT_SOCKET.to_string());
    }
    out.sort();
    out.dedup();
    out
}

fn hostname(opts: &Options) -> String {
    if let Some(h) = &opts.hostname {
        return h.clone();
    }
    for f in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        if let Ok(t) = std::fs::read_to_string(under(&opts.root, f)) {
            let t = t.trim();
            if !t.is_empty() {
                return t.to_string();
            }
        }
    }
    "unknown".into()
}

/// Read this host's facts.
pub fn collect(opts: &Options) -> Collected {
    let root = opts.root.as_path();
    let ids = Ids {
        users: names(root, "/etc/passwd"),
        groups: names(root, "/etc/group"),
    };
    let dockerd = find_dockerd(root);
    let flags: &[Flag] = match &dockerd {
        HostFact::Known(Some(d)) => &d.flags,
        _ => &[],
    };
    let config_file = flags
        .iter()
        .rev()
        .find(|f| f.name == "config-file")
        .map(|f| f.value.clone());
    let (daemon_json, text) = read_daemon_json(
        root,
        config_file.as_deref().unwrap_or(DEFAULT_DAEMON_JSON),
        config_file.is_some(),
        &ids,
    );
    let mut hosts: Vec<String> = flags
        .iter()
        .filter(|f| f.name == "host")
        .map(|f| f.value.clone())
        .collect();
    if let HostFact::Known(s) = &daemon_json.settings {
        hosts.extend(
            s.iter()
                .filter(|s| s.key == "hosts")
                .map(|s| s.value.clone()),
        );
    }
    let sockets = socket_paths(&hosts)
        .into_iter()
        .map(|path| {
            let stat = match ids.stat(&under(root, &path)) {
                Ok(Some(s)) => HostFact::Known(s),
                Ok(None) => HostFact::Unknown(format!(
                    "{path} does not exist at {}",
                    under(root, &path).display()
                )),
                Err(e) => HostFact::Unknown(e),
            };
            SocketReport { path, stat }
        })
        .collect();
    let mut default_certs = HostFact::Known(true);
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        match ids.stat(&under(root, &format!("/root/.docker/{f}"))) {
            Ok(Some(_)) => {}
            Ok(None) => {
                default_certs = HostFact::Known(false);
                break;
            }
            Err(e) => {
                default_certs = HostFact::Unknown(e);
                break;
            }
        }
    }
    let pid = dockerd.known().and_then(|d| d.as_ref()).map(|d| d.pid);
    Collected {
        report: HostReport {
            version: REPORT_VERSION,
            hostname: hostname(opts),
            node_id: opts.node_id.clone(),
            control_port: control_port(root, pid),
            dockerd,
            daemon_json,
            sockets,
            default_certs,
        },
        daemon_json: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerd_flags_in_every_spelling() {
        let args: Vec<String> = [
            "-H",
            "fd://",
            "-Htcp://0.0.0.0:2375",
            "--host=unix:///run/d.sock",
            "--icc=false",
            "--tlsverify",
            "--data-root",
            "/srv/docker",
            "--log-opt",
            "max-size=10m",
            "--config-file",
            "/opt/d.json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let got: Vec<(String, String)> = parse_flags(&args)
            .into_iter()
            .map(|f| (f.name, f.value))
            .collect();
        let want: Vec<(String, String)> = [
            ("host", "fd://"),
            ("host", "tcp://0.0.0.0:2375"),
            ("host", "unix:///run/d.sock"),
            ("icc", "false"),
            ("tlsverify", "true"),
            ("log-opt", "max-size=10m"),
            ("config-file", "/opt/d.json"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn only_wildcard_listeners_on_the_port_count() {
        let v4 = "  sl  local_address rem_address   st\n   0: 00000000:0949 00000000:0000 0A\n   1: 0100007F:0949 00000000:0000 0A\n   2: 00000000:0949 0100007F:C8AE 01\n   3: 00000000:1F90 00000000:0000 0A\n";
        assert_eq!(wildcard_listeners(v4, 2377, false), vec!["0.0.0.0:2377"]);
        let v6 = "  sl  local_address remote_address st\n   0: 00000000000000000000000000000000:0949 00000000000000000000000000000000:0000 0A\n";
        assert_eq!(wildcard_listeners(v6, 2377, true), vec!["[::]:2377"]);
        assert!(wildcard_listeners("", 2377, false).is_empty());
    }

    #[test]
    fn sockets_default_unless_only_tcp() {
        assert_eq!(socket_paths(&[]), vec![DEFAULT_SOCKET]);
        assert_eq!(socket_paths(&["fd://".into()]), vec![DEFAULT_SOCKET]);
        assert!(socket_paths(&["tcp://0.0.0.0:2376".into()]).is_empty());
        assert_eq!(
            socket_paths(&["unix:///run/x.sock".into(), "tcp://:2376".into()]),
            vec!["/run/x.sock"]
        );
    }

    #[test]
    fn settings_keep_their_positions() {
        let text = "{\n  \"icc\": false,\n  \"hosts\": [\"fd://\", \"tcp://0.0.0.0:2375\"],\n  \"log-opts\": {\"max-size\": \"10m\"}\n}\n";
        let src = SourceFile::new("daemon.json".into(), text.into());
        let s = settings(&src).expect("parses");
        let got: Vec<(&str, &str, usize)> = s
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_str(), s.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("icc", "false", 2),
                ("hosts", "fd://", 3),
                ("hosts", "tcp://0.0.0.0:2375", 3),
                ("log-opts.max-size", "10m", 4)
            ]
        );
        assert_eq!(&text[s[2].start..s[2].end], "\"tcp://0.0.0.0:2375\"");
        let bad = SourceFile::new("daemon.json".into(), "[1]".into());
        assert!(settings(&bad).is_err());
    }
}
