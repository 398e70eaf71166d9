//! Facts about one node's host, read from its files (`/proc`, the Docker socket, daemon.json,
//! the running dockerd's command line) rather than from the Engine API. Rules SA708–SA714 judge
//! these; `crate::host` collects them.

use serde::{Deserialize, Serialize};

use crate::model::{Loc, Val};

/// A host fact: known, or unknown with the reason (permission denied, not mounted, …).
/// Unknown is not pass: a rule that needs an unknown fact reports a finding marked unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostFact<T> {
    Known(T),
    Unknown(String),
}

impl<T> HostFact<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            HostFact::Known(t) => Some(t),
            HostFact::Unknown(_) => None,
        }
    }
}

/// Ownership and mode of a file, as `stat` reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStat {
    pub uid: u32,
    pub gid: u32,
    /// Names from the host's `/etc/passwd` and `/etc/group`, when listed there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Permission bits (`0o660`).
    pub mode: u32,
    pub socket: bool,
}

impl FileStat {
    /// `root:docker`, or the numeric ids when the names are unknown.
    pub fn owner(&self) -> String {
        format!(
            "{}:{}",
            self.user.clone().unwrap_or_else(|| self.uid.to_string()),
            self.group.clone().unwrap_or_else(|| self.gid.to_string())
        )
    }
    /// Permission bits beyond `allowed` (e.g. world bits for 0o660).
    pub fn extra_bits(&self, allowed: u32) -> u32 {
        self.mode & 0o7777 & !allowed
    }
}

/// A Docker API socket of the daemon and what `stat` says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct SocketFile {
    pub path: String,
    pub stat: HostFact<FileStat>,
    /// The setting that names this socket (daemon.json `hosts`, `-H`), or the host for the default.
    pub loc: Loc,
}

/// The daemon's effective settings, from daemon.json and the running dockerd's flags. Each value
/// keeps where it was set: a daemon.json value, or the dockerd command line.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonSettings {
    /// `hosts` entries and `-H/--host` flags.
    pub hosts: Vec<Val>,
    pub tls: Option<Val>,
    pub tlsverify: Option<Val>,
    pub tlscacert: Option<Val>,
    pub tlscert: Option<Val>,
    pub tlskey: Option<Val>,
    /// Whether the default certificate files (`~/.docker/{ca,cert,key}.pem` of root) exist.
    pub default_certs: Option<HostFact<bool>>,
    pub insecure_registries: Vec<Val>,
    pub no_new_privileges: Option<Val>,
    pub userns_remap: Option<Val>,
    pub icc: Option<Val>,
    pub log_driver: Option<Val>,
    /// `log-opts.max-size` / `--log-opt max-size=…`.
    pub log_max_size: Option<Val>,
    pub userland_proxy: Option<Val>,
    /// Where a setting that is not written anywhere belongs: the top of daemon.json, or the
    /// daemon.json path on the host when the file does not exist.
    pub loc: Loc,
}

/// What one node's host says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct HostFacts {
    pub hostname: String,
    /// The swarm node id, when known (live mode, node probe).
    pub node_id: Option<String>,
    /// Listeners on the swarm control port 2377 bound to every interface (`0.0.0.0:2377`,
    /// `[::]:2377`); empty when none.
    pub control_port: HostFact<Vec<String>>,
    pub sockets: Vec<SocketFile>,
    /// daemon.json: its path on the host, and its stat (`None`: the file does not exist).
    pub daemon_json_path: String,
    pub daemon_json: HostFact<Option<FileStat>>,
    pub daemon: HostFact<DaemonSettings>,
}

impl HostFacts {
    /// `host <hostname>`: the object synthetic locations name.
    pub fn object(&self) -> String {
        format!("host {}", self.hostname)
    }
    /// A location on this host that is not in a file the tool can show (`/var/run/docker.sock`).
    pub fn loc(&self, path: impl Into<String>) -> Loc {
        Loc::Api {
            object: self.object(),
            path: path.into(),
        }
    }
}
