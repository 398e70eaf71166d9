//! SA203: a port published in ingress mode listens on every node of the swarm (routing mesh),
//! and Docker's iptables rules bypass host firewalls such as UFW.

use crate::finding::Severity;
use crate::model::{Deployment, PublishMode};
use crate::rules::network::describe;
use crate::rules::Sink;

/// Ports an edge proxy is expected to publish.
const EDGE_PORTS: &[u32] = &[80, 443];

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for p in svc
            .ports
            .iter()
            .filter(|p| p.mode == PublishMode::Ingress && p.target.is_some())
        {
            let spec = describe(p);
            let edge = p
                .published
                .is_some_and(|(a, b)| a == b && EDGE_PORTS.contains(&a));
            let f = sink.service(
                svc,
                &p.loc,
                &spec,
                format!(
                    "port {spec} is published through the routing mesh: it listens on every node of the swarm, whether or not a task runs there, past host firewalls such as UFW{}",
                    if edge { " (expected for an edge proxy)" } else { "" }
                ),
            );
            if edge {
                f.severity = Severity::Info;
            }
        }
    }
}
