//! SA706: CA rotation hygiene: a root CA rotation that has not finished, or a node whose
//! certificate was issued by another CA than the swarm's current root (it missed a rotation, or
//! the rotation is still under way). CIS 7.6.

use crate::model::Deployment;
use crate::rules::control_plane::{node_loc, node_object, swarm_loc, swarm_object};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    let Some(c) = &d.cluster else { return };
    if c.root_rotation_in_progress == Some(true) {
        sink.report(
            swarm_object(),
            &swarm_loc(c, "RootRotationInProgress"),
            "root-rotation",
            "a root CA rotation is in progress: it finishes only when every node holds a certificate from the new CA; if it stays so, look for nodes that are down or unreachable (`docker node ls`) and bring them back or remove them",
        );
    }
    let Some(root) = &c.cert_issuer_subject else {
        return;
    };
    for n in &c.nodes {
        let Some(issuer) = &n.cert_issuer_subject else {
            continue;
        };
        if issuer != root {
            sink.report(
                node_object(n),
                &node_loc(n, "Description.TLSInfo.CertIssuerSubject"),
                "cert-issuer",
                format!(
                    "node `{}` holds a certificate issued by another CA than the swarm's current root: it missed a CA rotation (or one is still under way); check it is up, or rotate again with `docker swarm ca --rotate`",
                    n.hostname
                ),
            );
        }
    }
}
