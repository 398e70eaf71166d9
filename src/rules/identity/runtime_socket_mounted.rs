//! SA104: the Docker (or containerd) socket is mounted: full control of the node, and on a
//! manager of the whole swarm. `:ro` does not make the API read-only.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::{Deployment, Mount, MountKind, Service};
use crate::rules::Sink;

static SOCKET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(/var)?/run/(docker\.sock|docker/?|containerd/containerd\.sock|podman/podman\.sock)$|^/run/user/\d+/docker\.sock$|^(\\\\\.\\pipe\\|//\./pipe/)docker_engine$",
    )
    .expect("constant regex")
});

pub fn is_runtime_socket(path: &str) -> bool {
    let p = path.trim();
    SOCKET.is_match(p) || (p.starts_with('/') && SOCKET.is_match(&crate::model::clean_path(p)))
}

pub fn socket_mounts(svc: &Service) -> Vec<&Mount> {
    svc.mounts
        .iter()
        .filter(|m| matches!(m.kind, MountKind::Bind | MountKind::Npipe))
        .filter(|m| {
            m.source
                .as_ref()
                .is_some_and(|s| s.is_known() && is_runtime_socket(&s.text))
        })
        .collect()
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for m in socket_mounts(svc) {
            let src = m.source.as_ref().map_or("", |s| s.text.as_str());
            sink.service(
                svc,
                &m.loc,
                src,
                format!(
                    "the container-runtime socket {src} is mounted{}: whoever controls this container controls the node's Docker engine (and on a manager, the whole swarm)",
                    if m.read_only { " (read-only does not restrict the API)" } else { "" }
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_runtime_socket;

    #[test]
    fn socket_paths() {
        for p in [
            "/var/run/docker.sock",
            "/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/run/user/1000/docker.sock",
            "\\\\.\\pipe\\docker_engine",
        ] {
            assert!(is_runtime_socket(p), "{p}");
        }
        for p in ["/var/run/docker.sock.bak", "/var/run", "/data/docker.sock"] {
            assert!(!is_runtime_socket(p), "{p}");
        }
    }
}
