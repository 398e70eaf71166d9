//! Live mode: join what the node's own image and the registry say into a lowered service, and
//! resolve a snapshot's images (`--resolve-images`).

use std::collections::BTreeMap;

use crate::live::collect::Snapshot;
use crate::model::{ImageFact, Service};
use crate::registry::reference::{is_loopback, Reference};
use crate::registry::{apply_lookup, Resolver};

/// Called by the lowering for every service: `created` and labels of the node's image, the
/// registry's answer recorded in the snapshot, the daemon's insecure registries, and when
/// all this was observed.
pub fn join_image_facts(svc: &mut Service, snapshot: &Snapshot, image: Option<&str>) {
    let info = &mut svc.image_info;
    info.observed_at = snapshot
        .observed_at
        .as_deref()
        .and_then(crate::registry::time::parse_rfc3339);
    let Some(image) = image else { return };
    if let Some(inspect) = snapshot.images.get(image).and_then(|r| r.inspect.as_ref()) {
        if let Some(c) = inspect.created.as_ref().filter(|c| !c.is_empty()) {
            info.created = ImageFact::Known(c.clone());
        }
        let labels: BTreeMap<String, String> = inspect
            .config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .map(|l| l.into_iter().collect())
            .unwrap_or_default();
        info.labels = ImageFact::Known(labels);
    }
    if let Some(reason) = daemon_insecure(snapshot, image) {
        info.insecure_registry = Some(reason);
    }
    if let Some(lookup) = snapshot.registry.get(image) {
        apply_lookup(svc, lookup);
    }
}

/// Does the daemon treat this image's registry as insecure (`insecure-registries` in
/// daemon.json: an index config with `Secure: false`, or an IP in an insecure CIDR)?
/// Loopback registries, insecure by default, are judged from the reference by SA507 itself.
fn daemon_insecure(snapshot: &Snapshot, image: &str) -> Option<String> {
    let r = Reference::parse(image).ok()?;
    if is_loopback(&r.registry) {
        return None;
    }
    let cfg = snapshot.info.as_ref()?.registry_config.as_ref()?;
    let listed = cfg
        .index_configs
        .as_ref()
        .and_then(|m| m.get(&r.registry))
        .is_some_and(|i| i.secure == Some(false));
    if listed {
        return Some(format!(
            "the daemon lists {} in `insecure-registries` (plain HTTP or unverified TLS)",
            r.registry
        ));
    }
    let ip: std::net::Ipv4Addr = r.host_only().parse().ok()?;
    cfg.insecure_registry_cidrs
        .iter()
        .flatten()
        .find(|c| in_cidr(ip, c))
        .map(|c| {
            format!(
                "the daemon treats {} as insecure (`insecure-registries` range {c})",
                r.registry
            )
        })
}

fn in_cidr(ip: std::net::Ipv4Addr, cidr: &str) -> bool {
    let Some((net, bits)) = cidr.split_once('/') else {
        return false;
    };
    let (Ok(net), Ok(bits)) = (net.parse::<std::net::Ipv4Addr>(), bits.parse::<u32>()) else {
        return false;
    };
    if bits > 32 {
        return false;
    }
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(ip) & mask == u32::from(net) & mask
}

/// Look up every distinct service image of a snapshot and record the answers in it.
pub fn resolve_snapshot(snapshot: &mut Snapshot, resolver: &Resolver) {
    if !resolver.options().resolve {
        return;
    }
    let mut refs: Vec<String> = snapshot.images.keys().cloned().collect();
    for s in &snapshot.services {
        if let Some(i) = s
            .spec
            .as_ref()
            .and_then(|s| s.task_template.as_ref())
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.image.clone())
        {
            refs.push(i);
        }
    }
    refs.sort();
    refs.dedup();
    let found = resolver.resolve_all(&refs);
    snapshot.registry = refs.into_iter().zip(found).collect();
}

/// The platform of the swarm's nodes when they agree (else `None`: use the default).
pub fn swarm_platform(snapshot: &Snapshot) -> Option<crate::registry::image::Platform> {
    let mut platforms = snapshot.nodes.iter().filter_map(|n| {
        let p = n.description.as_ref()?.platform.as_ref()?;
        Some(crate::registry::image::Platform::from_engine(
            p.os.as_deref()?,
            p.architecture.as_deref()?,
        ))
    });
    let first = platforms.next()?;
    platforms.all(|p| p == first).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::in_cidr;

    #[test]
    fn cidrs() {
        let ip = "10.1.2.3".parse().expect("ip");
        assert!(in_cidr(ip, "10.0.0.0/8"));
        assert!(!in_cidr(ip, "10.2.0.0/16"));
        assert!(in_cidr(ip, "0.0.0.0/0"));
        assert!(!in_cidr(ip, "bad"));
    }
}
