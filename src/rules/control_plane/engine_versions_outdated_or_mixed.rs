//! SA707: engine versions differ across nodes, or a node runs an engine affected by
//! CVE-2023-28840/28841/28842 (encrypted overlay traffic may be unencrypted or dropped) while
//! encrypted overlays are in use.

use crate::finding::Severity;
use crate::model::Deployment;
use crate::rules::control_plane::{node_loc, node_object, swarm_loc, swarm_object};
use crate::rules::Sink;

fn parse(v: &str) -> Option<(u32, u32, u32)> {
    let core = v.split(['+', '-', '~']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

/// Fixed in 20.10.24 and 23.0.3.
pub fn affected_by_overlay_cves(v: &str) -> bool {
    match parse(v) {
        Some((maj, min, patch)) => {
            (maj, min) < (20, 10)
                || ((maj, min) == (20, 10) && patch < 24)
                || ((maj, min) == (23, 0) && patch < 3)
        }
        None => false,
    }
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    let Some(c) = &d.cluster else { return };
    let mut versions: Vec<&str> = c
        .nodes
        .iter()
        .filter_map(|n| n.engine_version.as_deref())
        .collect();
    versions.sort();
    versions.dedup();
    if versions.len() > 1 {
        sink.report(
            swarm_object(),
            &swarm_loc(c, "Nodes"),
            "mixed",
            format!("nodes run different engine versions ({}): upgrade all nodes to the same patched release", versions.join(", ")),
        );
    }
    if c.encrypted_overlays_in_use {
        for n in &c.nodes {
            if let Some(v) = n
                .engine_version
                .as_deref()
                .filter(|v| affected_by_overlay_cves(v))
            {
                let f = sink.report(
                    node_object(n),
                    &node_loc(n, "Description.Engine.EngineVersion"),
                    "cve-2023-28840",
                    format!(
                        "node {} runs engine {v}, affected by CVE-2023-28840/28841/28842: traffic on encrypted overlay networks may leave the node unencrypted (fixed in 20.10.24 and 23.0.3)",
                        n.hostname
                    ),
                );
                f.severity = Severity::High.max(f.severity);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::affected_by_overlay_cves;

    #[test]
    fn cve_range() {
        for v in ["20.10.23", "19.03.15", "23.0.2", "20.10.5+dfsg1"] {
            assert!(affected_by_overlay_cves(v), "{v}");
        }
        for v in ["20.10.24+dfsg1", "23.0.3", "24.0.7", "28.2.2", "garbage"] {
            assert!(!affected_by_overlay_cves(v), "{v}");
        }
    }
}
