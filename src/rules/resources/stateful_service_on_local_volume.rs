//! SA306: a named volume on the node-local driver is used by a service whose tasks can run on
//! different nodes (several replicas, or one replica not pinned to a node): each node has its
//! own copy of the "same" volume, so data diverges or appears lost after a reschedule.

use crate::model::{Deployment, Service, Volume};
use crate::rules::Sink;

/// `driver_opts.type` values of the `local` driver that mount shared storage.
const NETWORK_TYPES: &[&str] = &["nfs", "nfs4", "cifs", "smb", "smb3", "glusterfs", "ceph"];

/// The volume lives on each node's disk: default or `local` driver without a network `type`.
fn node_local(v: &Volume) -> bool {
    if v.external {
        return false; // created elsewhere; its driver is not in the file
    }
    match v.driver.as_ref() {
        Some(d) if !d.is_known() => false,
        Some(d) if d.text != "local" => false,
        _ => !v.driver_opts.iter().any(|o| {
            o.key == "type"
                && o.value.as_ref().is_some_and(|t| {
                    !t.is_known() || NETWORK_TYPES.contains(&t.text.to_ascii_lowercase().as_str())
                })
        }),
    }
}

/// A constraint that pins the tasks to one node or labelled set of nodes.
pub fn pinned(svc: &Service) -> bool {
    svc.deploy.constraints.iter().any(|c| {
        let Some((lhs, _)) = c.text.split_once("==") else {
            return false;
        };
        let lhs = lhs.trim();
        matches!(lhs, "node.hostname" | "node.id") || lhs.starts_with("node.labels.")
    })
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc.mode() != "replicated" {
            continue; // global services keep per-node data on purpose; jobs are ephemeral
        }
        let replicas = match &svc.deploy.replicas {
            None => Some(1),
            Some(r) if r.is_known() => r.as_u64(),
            Some(_) => None,
        };
        let Some(replicas) = replicas.filter(|r| *r > 0) else {
            continue; // scaled to zero: nothing runs
        };
        let why = if replicas > 1 {
            format!("its {replicas} replicas each get their own copy on their node, so they do not share data")
        } else if !pinned(svc) {
            "no placement constraint pins the task to a node, so after a reschedule it starts on another node with an empty volume".to_string()
        } else {
            continue;
        };
        for m in &svc.mounts {
            if m.kind != crate::model::MountKind::Volume {
                continue;
            }
            let Some(src) = m.source.as_ref().filter(|s| s.is_known()) else {
                continue; // anonymous volumes are scratch space
            };
            let Some(vol) = d.volume(&src.text) else {
                continue;
            };
            if !node_local(vol) {
                continue;
            }
            sink.service(
                svc,
                &m.loc,
                &src.text,
                format!(
                    "volume `{}` uses the node-local driver: {why}; use a shared-storage driver (GlusterFS or NFS plugin, or `local` with `type: nfs`) or pin the service with a `node.labels.*` constraint",
                    src.text
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyVal, Loc, Val};

    fn loc() -> Loc {
        Loc::Api {
            object: "v".into(),
            path: "p".into(),
        }
    }

    fn vol(driver: Option<&str>, ty: Option<&str>) -> Volume {
        Volume {
            name: "data".into(),
            loc: loc(),
            driver: driver.map(|d| Val::api(d, loc())),
            driver_opts: ty
                .map(|t| KeyVal {
                    key: "type".into(),
                    key_loc: loc(),
                    value: Some(Val::api(t, loc())),
                    loc: loc(),
                })
                .into_iter()
                .collect(),
            external: false,
        }
    }

    #[test]
    fn local_unless_network_storage() {
        assert!(node_local(&vol(None, None)));
        assert!(node_local(&vol(Some("local"), None)));
        assert!(node_local(&vol(Some("local"), Some("tmpfs"))));
        assert!(!node_local(&vol(Some("local"), Some("nfs"))));
        assert!(!node_local(&vol(Some("local"), Some("CIFS"))));
        assert!(!node_local(&vol(Some("glusterfs"), None)));
    }
}
