//! SA705: node certificates are valid for more than 30 days (the swarm default is 90 days):
//! a stolen node certificate stays usable that long. CIS 7.7; remediation `--cert-expiry 720h`.

use crate::model::Deployment;
use crate::rules::control_plane::{swarm_loc, swarm_object};
use crate::rules::Sink;

/// 30 days: the shortest lifetime that does not burden the CA noticeably.
pub const MAX_EXPIRY_NS: i64 = 30 * 24 * 3600 * 1_000_000_000;

pub fn check(d: &Deployment, sink: &mut Sink) {
    let Some(c) = &d.cluster else { return };
    let Some(ns) = c.node_cert_expiry_ns else {
        return;
    };
    if ns > MAX_EXPIRY_NS {
        let hours = ns / 3_600_000_000_000;
        sink.report(
            swarm_object(),
            &swarm_loc(c, "Spec.CAConfig.NodeCertExpiry"),
            "cert-expiry",
            format!(
                "node certificates are valid for {hours}h ({} days): a stolen node certificate stays usable that long (`docker swarm update --cert-expiry 720h`)",
                hours / 24
            ),
        );
    }
}
