//! SA713: daemon hardening left at its defaults: no user-namespace remapping, inter-container
//! traffic on the default bridge, json-file logs without rotation, the userland proxy. Never
//! `live-restore`: it does not apply to swarm services (and docker-bench treats it as
//! incompatible with swarm mode).

use crate::model::Deployment;
use crate::rules::host::{each_daemon, node_object};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    each_daemon(d, sink, "the daemon's hardening settings", |h, s, sink| {
        let node = node_object(h);
        let remap = s
            .userns_remap
            .as_ref()
            .filter(|v| !v.text.trim().is_empty());
        if remap.is_none() {
            sink.report(
                node.clone(),
                s.userns_remap.as_ref().map_or(&s.loc, |v| &v.loc),
                "userns-remap",
                format!(
                    "user-namespace remapping is off on {}: root in a container is root on the host if it escapes (`\"userns-remap\": \"default\"`; CIS 2.9)",
                    h.hostname
                ),
            );
        }
        if s.icc.as_ref().and_then(|v| v.as_bool()) != Some(false) {
            sink.report(
                node.clone(),
                s.icc.as_ref().map_or(&s.loc, |v| &v.loc),
                "icc",
                format!(
                    "inter-container communication on the default bridge is on on {}: containers started there reach each other unrestricted (`\"icc\": false`; overlay networks are not affected; CIS 2.2)",
                    h.hostname
                ),
            );
        }
        // `local` rotates by default; remote drivers keep no logs on the node
        let driver = s
            .log_driver
            .as_ref()
            .map_or("json-file", |v| v.text.as_str());
        if driver == "json-file" && s.log_max_size.is_none() {
            sink.report(
                node.clone(),
                s.log_driver.as_ref().map_or(&s.loc, |v| &v.loc),
                "log-opts",
                format!(
                    "container logs on {} use json-file without `max-size`: a noisy container can fill the disk (`\"log-opts\": {{\"max-size\": \"10m\", \"max-file\": \"3\"}}`, or a remote log driver; CIS 2.13)",
                    h.hostname
                ),
            );
        }
        if s.userland_proxy.as_ref().and_then(|v| v.as_bool()) != Some(false) {
            sink.report(
                node,
                s.userland_proxy.as_ref().map_or(&s.loc, |v| &v.loc),
                "userland-proxy",
                format!(
                    "the userland proxy is on on {}: published ports go through a docker-proxy process per port instead of NAT rules alone (`\"userland-proxy\": false`; CIS 2.16)",
                    h.hostname
                ),
            );
        }
    });
}
