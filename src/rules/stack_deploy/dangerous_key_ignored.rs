//! SA002: a key `docker stack deploy` drops (privileged, network_mode, devices, …): the file
//! says something the swarm will not do.

use crate::model::Deployment;
use crate::rules::stack_deploy::HARDENING_KEYS;
use crate::rules::Sink;

fn explain(key: &str) -> &'static str {
    match key {
        "privileged" => "swarm services cannot run privileged; the service runs without it",
        "network_mode" => "swarm services join networks through `networks:`; host networking needs the external `host` network",
        "build" => "stack deploy never builds images; the image must already be in a registry",
        "depends_on" => "swarm has no start ordering; the service starts independently",
        "container_name" => "swarm names containers itself",
        "expose" => "exposing is implicit on overlay networks",
        "devices" => "swarm services cannot map host devices",
        "pid" | "ipc" | "userns_mode" | "cgroup_parent" | "cgroupns_mode" => {
            "swarm services always get their own namespaces and cgroups"
        }
        "links" | "external_links" => "services reach each other by name on shared networks",
        _ => "the setting is not applied to the service",
    }
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for k in svc
            .ignored
            .iter()
            .filter(|k| !HARDENING_KEYS.contains(&k.key.as_str()))
        {
            let msg = format!(
                "`{}` is ignored by docker stack deploy: {}",
                k.key,
                explain(&k.key)
            );
            sink.service(svc, &k.loc, &k.key, msg);
        }
    }
}
