//! SA7xx: the swarm's control plane and nodes (live mode, except SA715 on placement).

pub mod autolock_disabled;
pub mod ca_rotation_hygiene;
pub mod engine_versions_outdated_or_mixed;
pub mod long_node_certificate_lifetime;
pub mod manager_count_not_fault_tolerant;
pub mod manager_unreachable_or_node_down;
pub mod managers_accept_workloads;
pub mod placement_relies_on_engine_labels;

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::{Cluster, Loc, NodeInfo};

pub fn swarm_object() -> ObjectRef {
    ObjectRef::new(ObjectKind::Swarm, "swarm")
}

pub fn node_object(n: &NodeInfo) -> ObjectRef {
    let mut o = ObjectRef::new(ObjectKind::Node, &n.hostname);
    o.full_name = Some(n.hostname.clone());
    o
}

pub fn swarm_loc(c: &Cluster, path: &str) -> Loc {
    match &c.loc {
        Some(Loc::Api { object, .. }) => Loc::Api {
            object: object.clone(),
            path: path.to_string(),
        },
        _ => Loc::Api {
            object: "swarm".into(),
            path: path.to_string(),
        },
    }
}

pub fn node_loc(n: &NodeInfo, path: &str) -> Loc {
    Loc::Api {
        object: format!("node {}", n.hostname),
        path: path.to_string(),
    }
}

pub fn managers(c: &Cluster) -> impl Iterator<Item = &NodeInfo> {
    c.nodes.iter().filter(|n| n.role == "manager")
}
