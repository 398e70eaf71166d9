//! SA106: the service joins the host's network namespace — in a stack, through an external
//! network named `host` (`network_mode: host` is ignored, SA002).

use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        let Some(nets) = &svc.networks else { continue };
        for n in nets {
            let Some(net) = d.network(&n.text) else {
                continue;
            };
            let host = net.external && net.real_name() == "host"
                || net.driver.as_ref().is_some_and(|dr| dr.text == "host");
            if host {
                sink.service(
                    svc,
                    &n.loc,
                    &n.text,
                    format!(
                        "network `{}` is the node's host network: the service shares the host's network stack, bypasses overlay isolation and can bind any host port",
                        n.text
                    ),
                );
            }
        }
    }
}
