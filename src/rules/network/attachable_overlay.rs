//! SA207: an overlay network is `attachable`, so any standalone container started with
//! `docker run --network` on a swarm node can join it and reach the services on it.

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for net in &d.networks {
        let Some(a) = net.attachable.as_ref() else {
            continue;
        };
        if net.external || net.ingress || a.as_bool() != Some(true) {
            continue; // external networks are judged in live mode
        }
        if net.driver.as_ref().is_some_and(|dr| !dr.is_known())
            || net.effective_driver() != "overlay"
        {
            continue;
        }
        // stack deploy creates only the networks services use
        if !d.live
            && !d
                .services
                .iter()
                .any(|s| s.effective_networks().contains(&net.name.as_str()))
        {
            continue;
        }
        let mut object = ObjectRef::new(ObjectKind::Network, &net.name);
        object.full_name = net.full_name.clone();
        sink.report(
            object,
            &a.loc,
            "attachable",
            format!(
                "overlay network `{}` is attachable: any standalone container started on a swarm node with `docker run --network` can join it and reach its services (set `attachable: false` unless such containers must join)",
                net.real_name()
            ),
        );
    }
}
