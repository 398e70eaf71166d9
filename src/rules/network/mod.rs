//! SA2xx: network exposure and encryption.

pub mod attachable_overlay;
pub mod host_ip_binding_dropped;
pub mod ingress_network_not_encrypted;
pub mod overlay_network_not_encrypted;
pub mod port_published_on_routing_mesh;
pub mod privileged_port_published;
pub mod sensitive_port_published;

use crate::model::Port;

/// `8080:80/tcp`, `random:80/tcp`, `9000-9002:9000-9002/tcp`.
pub fn describe(p: &Port) -> String {
    let range = |r: (u32, u32)| {
        if r.0 == r.1 {
            r.0.to_string()
        } else {
            format!("{}-{}", r.0, r.1)
        }
    };
    format!(
        "{}:{}/{}",
        p.published.map_or("random".to_string(), range),
        p.target.map_or("?".to_string(), range),
        p.protocol
    )
}
