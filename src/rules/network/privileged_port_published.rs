//! SA206: a port below 1024 is published on the nodes. 80 and 443 (the edge proxy's job) and
//! `settings.allowed_ports` are accepted.

use crate::model::Deployment;
use crate::rules::network::describe;
use crate::rules::Sink;

/// Privileged ports an edge proxy publishes by design.
const EDGE_PORTS: &[u32] = &[80, 443];

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for p in &svc.ports {
            let low: Vec<u32> = p
                .published_ports()
                .take_while(|port| *port < 1024)
                .filter(|port| {
                    !EDGE_PORTS.contains(port) && !sink.settings.allowed_ports.contains(port)
                })
                .collect();
            let Some(first) = low.first() else { continue };
            let what = if low.len() == 1 {
                format!("port {first}")
            } else {
                format!("ports {first}-{}", low[low.len() - 1])
            };
            sink.service(
                svc,
                &p.loc,
                first.to_string(),
                format!(
                    "`{}` publishes privileged {what} on the nodes: ports below 1024 are reserved for system services the hosts may run themselves; publish a port of 1024 or above behind a load balancer",
                    describe(p)
                ),
            );
        }
    }
}
