//! SA715: a placement constraint uses `engine.labels.*`. Engine labels come from each node's
//! daemon configuration, so whoever controls a node (a compromised worker included) can claim
//! them and attract the service's tasks and secrets; node labels can only be set by a manager.

use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for c in &svc.deploy.constraints {
            if !c.text.trim_start().starts_with("engine.labels.") {
                continue;
            }
            sink.service(
                svc,
                &c.loc,
                "placement.constraints",
                format!(
                    "placement constraint `{}` relies on an engine label, which each node's own daemon sets: a compromised node can claim it and receive the service's tasks and secrets (use a `node.labels.*` label set with `docker node update --label-add`)",
                    c.text.trim()
                ),
            );
        }
    }
}
