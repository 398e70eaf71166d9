//! Live mode: read a swarm through the Engine API (read-only) and lower it into the same model
//! the stack-file rules use. Async stays inside this module.

pub mod collect;
pub mod connect;
pub mod lower;

use std::fmt;
use std::time::Duration;

/// The swarm node id of the daemon on this machine, if any: the connected daemon's when the
/// connection is its local socket, else that of the default socket, when it answers.
pub fn local_node_id(
    ep: &connect::Endpoint,
    snapshot: &collect::Snapshot,
    timeout: Duration,
) -> Option<String> {
    if ep.host.starts_with("unix://") {
        return snapshot
            .info
            .as_ref()?
            .swarm
            .as_ref()?
            .node_id
            .clone()
            .filter(|id| !id.is_empty());
    }
    let local = connect::Endpoint {
        host: connect::DEFAULT_SOCKET.into(),
        tls: None,
        source: "default socket".into(),
    };
    let body = collect::raw_get(&local, "/info", timeout).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&body).ok()?;
    v["Swarm"]["NodeID"]
        .as_str()
        .filter(|id| !id.is_empty())
        .map(str::to_string)
}

/// Why a live audit could not be completed (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveError {
    Config(String),
    Unreachable {
        address: String,
        source: String,
        reason: String,
    },
    PermissionDenied {
        address: String,
    },
    NotManager(String),
    NotInSwarm,
    ApiTooOld {
        have: String,
        fact: String,
        needed: String,
    },
    Timeout {
        address: String,
        what: String,
        seconds: u64,
    },
    Api {
        what: String,
        status: u16,
        message: String,
    },
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::Config(m) => f.write_str(m),
            LiveError::Unreachable { address, source, reason } => write!(
                f,
                "cannot reach the Docker daemon at {address} (from {source}): {reason}"
            ),
            LiveError::PermissionDenied { address } => write!(
                f,
                "permission denied on {address}: run as root or as a member of the `docker` group, or use -H/--context"
            ),
            LiveError::NotManager(m) => write!(f, "not a swarm manager: {m}"),
            LiveError::NotInSwarm => f.write_str(
                "this Docker engine is not part of a swarm (`docker swarm init` or `docker swarm join`), so there is nothing to audit live",
            ),
            LiveError::ApiTooOld { have, fact, needed } => write!(
                f,
                "the daemon's API version {have} is too old for {fact}: API {needed} or newer is needed"
            ),
            LiveError::Timeout { address, what, seconds } => {
                if *seconds > 0 {
                    write!(f, "{what} on {address} timed out after {seconds}s (--timeout)")
                } else {
                    write!(f, "{what} on {address} timed out (--timeout)")
                }
            }
            LiveError::Api { what, status, message } => {
                write!(f, "{what} failed with HTTP {status}: {message}")
            }
        }
    }
}
