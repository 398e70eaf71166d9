//! SA205: a port of a database, cache, message broker, SSH or the Docker/swarm control plane is
//! published.

use crate::finding::Severity;
use crate::model::Deployment;
use crate::rules::network::describe;
use crate::rules::Sink;

/// (port, what listens there)
pub const SENSITIVE_PORTS: &[(u32, &str)] = &[
    (2375, "the Docker API without TLS"),
    (2376, "the Docker API"),
    (2377, "swarm cluster management"),
    (7946, "swarm node gossip"),
    (4789, "swarm overlay VXLAN"),
    (22, "SSH"),
    (3306, "MySQL/MariaDB"),
    (5432, "PostgreSQL"),
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (6379, "Redis"),
    (11211, "Memcached"),
    (27017, "MongoDB"),
    (9200, "Elasticsearch HTTP"),
    (9300, "Elasticsearch transport"),
    (5984, "CouchDB"),
    (8500, "Consul"),
    (2379, "etcd"),
    (5672, "RabbitMQ AMQP"),
    (15672, "RabbitMQ management"),
];

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for p in &svc.ports {
            let settings = sink.settings;
            let hit = p
                .target_ports()
                .chain(p.published_ports())
                .find_map(|port| {
                    if settings.allowed_ports.contains(&port) {
                        return None;
                    }
                    SENSITIVE_PORTS
                        .iter()
                        .find(|(s, _)| *s == port)
                        .map(|(p, w)| (*p, *w))
                        .or_else(|| {
                            settings
                                .sensitive_ports
                                .contains(&port)
                                .then_some((port, "a port listed as sensitive in the config"))
                        })
                });
            let Some((port, what)) = hit else { continue };
            let spec = describe(p);
            let f = sink.service(
                svc,
                &p.loc,
                &spec,
                format!("port {spec} publishes {port} ({what}) outside the swarm; keep it on an internal overlay network"),
            );
            if matches!(port, 2375 | 2376) {
                f.severity = Severity::Critical;
            }
        }
    }
}
