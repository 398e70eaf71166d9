//! SA204: `127.0.0.1:8080:80` — swarm has no per-IP publishing; docker/cli drops the IP with a
//! warning and the port is published on every interface of every node.

use crate::model::Deployment;
use crate::rules::network::describe;
use crate::rules::Sink;

fn is_wildcard(ip: &str) -> bool {
    matches!(ip, "0.0.0.0" | "::" | "")
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for p in &svc.ports {
            let Some(ip) = p.host_ip.as_deref().filter(|ip| !is_wildcard(ip)) else {
                continue;
            };
            let spec = describe(p);
            sink.service(
                svc,
                &p.loc,
                &spec,
                format!(
                    "host IP {ip} is dropped by docker stack deploy: port {spec} is published on every interface of every node, not only on {ip}"
                ),
            );
        }
    }
}
