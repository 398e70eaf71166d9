//! SA202: the ingress (routing-mesh) network is not encrypted while services publish through it:
//! client traffic crosses between nodes in clear text.

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    let Some(c) = &d.cluster else { return };
    let Some(ingress) = &c.ingress else { return };
    if ingress.encrypted() || !c.ingress_ports_in_use {
        return;
    }
    let mut obj = ObjectRef::new(ObjectKind::Network, &ingress.name);
    obj.full_name = ingress.full_name.clone();
    sink.report(
        obj,
        &ingress.loc,
        "",
        format!(
            "the ingress network `{}` is not encrypted while services publish ports through the routing mesh: published traffic is forwarded between nodes in clear text",
            ingress.name
        ),
    );
}
