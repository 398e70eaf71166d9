//! Lower a live [`Snapshot`] into the model: one [`Deployment`] per stack (services named as
//! the stack file names them, real names kept as `full_name`), plus one deployment that carries
//! the swarm-wide facts. Locations are API paths.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{Network as ApiNetwork, Service as ApiService, ServiceSpecUpdateConfig};
use serde::Serialize;

use crate::live::collect::Snapshot;
use crate::model::{
    Cluster, Data, Deployment, FileRef, HealthTiming, Healthcheck, ImageFact, ImageInfo, KeyVal,
    Loc, Mount, MountKind, Network, NodeInfo, Object, Port, Privileges, PublishMode, Resources,
    RestartPolicy, Service, ServiceStatus, SwarmContext, UpdatePolicy, Val, Volume,
};

pub const STACK_LABEL: &str = "com.docker.stack.namespace";

/// The wire spelling of a bollard enum (`on-failure`, `ingress`, `manager`).
fn wire<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

struct Api {
    object: String,
}

impl Api {
    fn loc(&self, path: &str) -> Loc {
        Loc::Api {
            object: self.object.clone(),
            path: path.to_string(),
        }
    }
    fn val(&self, text: impl Into<String>, path: &str) -> Val {
        Val::api(text, self.loc(path))
    }
    /// A string map (options, labels) as key-values in key order, located at `<base>.<key>`.
    fn options(&self, map: Option<&HashMap<String, String>>, base: &str) -> Vec<KeyVal> {
        let mut v: Vec<(&String, &String)> = map.into_iter().flatten().collect();
        v.sort();
        v.into_iter()
            .map(|(k, x)| {
                let p = format!("{base}.{k}");
                KeyVal {
                    key: k.clone(),
                    key_loc: self.loc(&p),
                    value: Some(self.val(x.clone(), &p)),
                    loc: self.loc(&p),
                }
            })
            .collect()
    }
}

fn secs(ns: i64) -> String {
    if ns % 1_000_000_000 == 0 {
        format!("{}s", ns / 1_000_000_000)
    } else {
        format!("{}ms", ns / 1_000_000)
    }
}

fn strip_stack<'a>(name: &'a str, stack: Option<&str>) -> &'a str {
    match stack {
        Some(s) => name.strip_prefix(&format!("{s}_")).unwrap_or(name),
        None => name,
    }
}

fn network_name(n: &ApiNetwork) -> (String, String) {
    let full = n.name.clone().unwrap_or_default();
    let stack = n.labels.as_ref().and_then(|l| l.get(STACK_LABEL)).cloned();
    (strip_stack(&full, stack.as_deref()).to_string(), full)
}

fn lower_network(n: &ApiNetwork) -> Network {
    let (name, full) = network_name(n);
    let api = Api {
        object: format!("network {full}"),
    };
    Network {
        name,
        full_name: Some(full),
        ingress: n.ingress == Some(true),
        loc: api.loc("Options"),
        driver: n.driver.as_ref().map(|d| api.val(d.clone(), "Driver")),
        driver_opts: api.options(n.options.as_ref(), "Options"),
        external: false,
        name_override: None,
        attachable: n.attachable.map(|a| api.val(a.to_string(), "Attachable")),
        internal: n.internal.map(|a| api.val(a.to_string(), "Internal")),
        implicit: false,
    }
}

fn update_policy(api: &Api, p: &str, u: &ServiceSpecUpdateConfig) -> UpdatePolicy {
    UpdatePolicy {
        loc: api.loc(p),
        parallelism: u
            .parallelism
            .map(|x| api.val(x.to_string(), &format!("{p}.Parallelism"))),
        delay: u.delay.map(|x| api.val(secs(x), &format!("{p}.Delay"))),
        failure_action: u
            .failure_action
            .as_ref()
            .map(|x| api.val(wire(x), &format!("{p}.FailureAction"))),
        monitor: u.monitor.map(|x| api.val(secs(x), &format!("{p}.Monitor"))),
        max_failure_ratio: u
            .max_failure_ratio
            .map(|x| api.val(x.to_string(), &format!("{p}.MaxFailureRatio"))),
        order: u
            .order
            .as_ref()
            .map(|x| api.val(wire(x), &format!("{p}.Order"))),
    }
}

/// Swarm's rollback defaults: a spec equal to them was not configured by the user (the daemon
/// fills them in).
fn is_default_rollback(r: &bollard::models::ServiceSpecRollbackConfig) -> bool {
    r.parallelism.unwrap_or(1) == 1
        && r.delay.unwrap_or(0) == 0
        && r.failure_action
            .as_ref()
            .map(wire)
            .is_none_or(|a| a == "pause")
        && r.monitor.unwrap_or(5_000_000_000) == 5_000_000_000
        && r.max_failure_ratio.unwrap_or(0.0) == 0.0
        && r.order.as_ref().map(wire).is_none_or(|o| o == "stop-first")
}

fn lower_service(
    s: &ApiService,
    stack: Option<&str>,
    networks_by_id: &HashMap<String, &ApiNetwork>,
    snapshot: &Snapshot,
) -> Service {
    let spec = s.spec.clone().unwrap_or_default();
    let full = spec.name.clone().unwrap_or_default();
    let api = Api {
        object: format!("service {full}"),
    };
    let mut svc = Service::new(strip_stack(&full, stack).to_string(), api.loc("Spec"));
    svc.full_name = Some(full.clone());
    let tt = spec.task_template.clone().unwrap_or_default();
    let cs = tt.container_spec.clone().unwrap_or_default();
    const CS: &str = "Spec.TaskTemplate.ContainerSpec";
    svc.image = cs
        .image
        .as_ref()
        .map(|i| api.val(i.clone(), &format!("{CS}.Image")));
    svc.user = cs
        .user
        .as_ref()
        .filter(|u| !u.is_empty())
        .map(|u| api.val(u.clone(), &format!("{CS}.User")));
    svc.read_only = cs
        .read_only
        .map(|r| api.val(r.to_string(), &format!("{CS}.ReadOnly")));
    if let Some(p) = &cs.privileges {
        let pp = format!("{CS}.Privileges");
        svc.privileges = Privileges {
            no_new_privileges: p
                .no_new_privileges
                .map(|b| api.val(b.to_string(), &format!("{pp}.NoNewPrivileges"))),
            seccomp_mode: p
                .seccomp
                .as_ref()
                .and_then(|x| x.mode.as_ref())
                .map(wire)
                .filter(|m| !m.is_empty())
                .map(|m| api.val(m, &format!("{pp}.Seccomp.Mode"))),
            apparmor_mode: p
                .app_armor
                .as_ref()
                .and_then(|x| x.mode.as_ref())
                .map(wire)
                .filter(|m| !m.is_empty())
                .map(|m| api.val(m, &format!("{pp}.AppArmor.Mode"))),
        };
    }
    svc.cap_add = cs
        .capability_add
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| api.val(c.clone(), &format!("{CS}.CapabilityAdd[{i}]")))
        .collect();
    svc.cap_drop = cs
        .capability_drop
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| api.val(c.clone(), &format!("{CS}.CapabilityDrop[{i}]")))
        .collect();
    svc.mounts = cs
        .mounts
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, m)| {
            let path = format!("{CS}.Mounts[{i}]");
            let kind = match m.typ.as_ref().map(wire).as_deref() {
                Some("bind") => MountKind::Bind,
                Some("volume") => MountKind::Volume,
                Some("tmpfs") => MountKind::Tmpfs,
                Some("npipe") => MountKind::Npipe,
                _ => MountKind::Other,
            };
            Mount {
                kind,
                source: m
                    .source
                    .as_ref()
                    .map(|x| api.val(x.clone(), &format!("{path}.Source"))),
                target: m
                    .target
                    .as_ref()
                    .map(|x| api.val(x.clone(), &format!("{path}.Target"))),
                read_only: m.read_only == Some(true),
                propagation: m
                    .bind_options
                    .as_ref()
                    .and_then(|b| b.propagation.as_ref())
                    .map(|p| api.val(wire(p), &format!("{path}.BindOptions.Propagation"))),
                driver_opts: api.options(
                    m.volume_options
                        .as_ref()
                        .and_then(|v| v.driver_config.as_ref())
                        .and_then(|c| c.options.as_ref()),
                    &format!("{path}.VolumeOptions.DriverConfig.Options"),
                ),
                loc: api.loc(&path),
                short: false,
            }
        })
        .collect();
    let ports = spec
        .endpoint_spec
        .as_ref()
        .and_then(|e| e.ports.clone())
        .unwrap_or_default();
    svc.ports = ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = p.target_port.and_then(|t| u32::try_from(t).ok());
            let pubd = p
                .published_port
                .and_then(|t| u32::try_from(t).ok())
                .filter(|p| *p > 0);
            Port {
                target: t.map(|t| (t, t)),
                published: pubd.map(|p| (p, p)),
                protocol: p
                    .protocol
                    .as_ref()
                    .map(wire)
                    .unwrap_or_else(|| "tcp".into()),
                mode: match p.publish_mode.as_ref().map(wire).as_deref() {
                    Some("host") => PublishMode::Host,
                    _ => PublishMode::Ingress,
                },
                host_ip: None,
                loc: api.loc(&format!("Spec.EndpointSpec.Ports[{i}]")),
                short: false,
            }
        })
        .collect();
    let attachments = tt
        .networks
        .clone()
        .or(spec.networks.clone())
        .unwrap_or_default();
    svc.networks = Some(
        attachments
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let id = a.target.clone().unwrap_or_default();
                let name = networks_by_id
                    .get(&id)
                    .map(|n| network_name(n).0)
                    .unwrap_or(id);
                api.val(name, &format!("Spec.TaskTemplate.Networks[{i}]"))
            })
            .collect(),
    );
    svc.environment = cs
        .env
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, e)| {
            let path = format!("{CS}.Env[{i}]");
            let (k, v) = match e.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(api.val(v, &path))),
                None => (e.clone(), None),
            };
            KeyVal {
                key: k,
                key_loc: api.loc(&path),
                value: v,
                loc: api.loc(&path),
            }
        })
        .collect();
    let labels = |map: &Option<HashMap<String, String>>, base: &str| -> Vec<KeyVal> {
        let mut v: Vec<(&String, &String)> = map
            .iter()
            .flatten()
            .filter(|(k, _)| !k.starts_with("com.docker.stack."))
            .collect();
        v.sort();
        v.into_iter()
            .map(|(k, x)| KeyVal {
                key: k.clone(),
                key_loc: api.loc(&format!("{base}.{k}")),
                value: Some(api.val(x.clone(), &format!("{base}.{k}"))),
                loc: api.loc(&format!("{base}.{k}")),
            })
            .collect()
    };
    svc.labels = labels(&cs.labels, &format!("{CS}.Labels"));
    svc.deploy.labels = labels(&spec.labels, "Spec.Labels");
    svc.entrypoint = cs
        .command
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| api.val(c.clone(), &format!("{CS}.Command[{i}]")))
        .collect();
    svc.command = cs
        .args
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| api.val(c.clone(), &format!("{CS}.Args[{i}]")))
        .collect();
    if let Some(h) = &cs.health_check {
        let p = format!("{CS}.Healthcheck");
        svc.healthcheck = Some(Healthcheck {
            loc: api.loc(&p),
            test: h.test.as_ref().filter(|t| !t.is_empty()).map(|t| {
                t.iter()
                    .enumerate()
                    .map(|(i, x)| api.val(x.clone(), &format!("{p}.Test[{i}]")))
                    .collect()
            }),
            test_loc: Some(api.loc(&format!("{p}.Test"))),
            disable: None,
            interval: h
                .interval
                .filter(|n| *n > 0)
                .map(|n| api.val(secs(n), &format!("{p}.Interval"))),
            timeout: h
                .timeout
                .filter(|n| *n > 0)
                .map(|n| api.val(secs(n), &format!("{p}.Timeout"))),
            retries: h
                .retries
                .filter(|n| *n > 0)
                .map(|n| api.val(n.to_string(), &format!("{p}.Retries"))),
            start_period: h
                .start_period
                .filter(|n| *n > 0)
                .map(|n| api.val(secs(n), &format!("{p}.StartPeriod"))),
        });
    }
    if let Some(ld) = &tt.log_driver {
        svc.logging_options =
            api.options(ld.options.as_ref(), "Spec.TaskTemplate.LogDriver.Options");
    }
    // deploy
    svc.deploy.loc = Some(api.loc("Spec"));
    let mode = spec.mode.clone().unwrap_or_default();
    let (mode_name, replicas) = if mode.global.is_some() {
        ("global", None)
    } else if mode.replicated_job.is_some() {
        ("replicated-job", None)
    } else if mode.global_job.is_some() {
        ("global-job", None)
    } else {
        ("replicated", mode.replicated.and_then(|r| r.replicas))
    };
    svc.deploy.mode = Some(api.val(mode_name, "Spec.Mode"));
    svc.deploy.replicas = replicas.map(|r| api.val(r.to_string(), "Spec.Mode.Replicated.Replicas"));
    let res = tt.resources.clone().unwrap_or_default();
    const RES: &str = "Spec.TaskTemplate.Resources";
    if let Some(l) = &res.limits {
        svc.deploy.limits = Resources {
            loc: Some(api.loc(&format!("{RES}.Limits"))),
            cpus: l.nano_cpus.map(|n| {
                api.val(
                    format!("{}", n as f64 / 1e9),
                    &format!("{RES}.Limits.NanoCPUs"),
                )
            }),
            memory: l
                .memory_bytes
                .map(|n| api.val(n.to_string(), &format!("{RES}.Limits.MemoryBytes"))),
            pids: l
                .pids
                .map(|n| api.val(n.to_string(), &format!("{RES}.Limits.Pids"))),
        };
    } else {
        svc.deploy.limits.loc = Some(api.loc(&format!("{RES}.Limits")));
    }
    if let Some(r) = &res.reservations {
        svc.deploy.reservations = Resources {
            loc: Some(api.loc(&format!("{RES}.Reservations"))),
            cpus: r.nano_cpus.map(|n| {
                api.val(
                    format!("{}", n as f64 / 1e9),
                    &format!("{RES}.Reservations.NanoCPUs"),
                )
            }),
            memory: r
                .memory_bytes
                .map(|n| api.val(n.to_string(), &format!("{RES}.Reservations.MemoryBytes"))),
            pids: None,
        };
    }
    let rp_path = "Spec.TaskTemplate.RestartPolicy";
    svc.deploy.restart_policy = Some(match &tt.restart_policy {
        Some(rp) => RestartPolicy {
            loc: api.loc(rp_path),
            condition: Some(
                api.val(
                    rp.condition
                        .as_ref()
                        .map(wire)
                        .unwrap_or_else(|| "any".into()),
                    &format!("{rp_path}.Condition"),
                ),
            ),
            delay: rp
                .delay
                .map(|d| api.val(secs(d), &format!("{rp_path}.Delay"))),
            max_attempts: rp
                .max_attempts
                .map(|m| api.val(m.to_string(), &format!("{rp_path}.MaxAttempts"))),
            window: rp
                .window
                .map(|w| api.val(secs(w), &format!("{rp_path}.Window"))),
        },
        // nil: swarm's default, condition any with unlimited attempts
        None => RestartPolicy {
            loc: api.loc(rp_path),
            condition: None,
            delay: None,
            max_attempts: None,
            window: None,
        },
    });
    svc.deploy.update_config = spec
        .update_config
        .as_ref()
        .map(|u| update_policy(&api, "Spec.UpdateConfig", u));
    svc.deploy.rollback_config = spec
        .rollback_config
        .as_ref()
        .filter(|r| !is_default_rollback(r))
        .and_then(|r| {
            // same fields, other enum types: read the rollback config as an update config
            serde_json::to_value(r)
                .and_then(serde_json::from_value::<ServiceSpecUpdateConfig>)
                .ok()
        })
        .map(|u| update_policy(&api, "Spec.RollbackConfig", &u));
    svc.deploy.constraints = tt
        .placement
        .as_ref()
        .and_then(|p| p.constraints.clone())
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, c)| api.val(c, &format!("Spec.TaskTemplate.Placement.Constraints[{i}]")))
        .collect();
    let file_refs = |items: Vec<(
        Option<String>,
        Option<bollard::models::TaskSpecContainerSpecFile>,
    )>,
                     base: &str| {
        items
            .into_iter()
            .enumerate()
            .map(|(i, (name, file))| {
                let p = format!("{CS}.{base}[{i}]");
                let file = file.unwrap_or_default();
                FileRef {
                    source: api.val(name.unwrap_or_default(), &p),
                    target: file.name.map(|n| api.val(n, &format!("{p}.File.Name"))),
                    uid: file.uid.map(|n| api.val(n, &format!("{p}.File.UID"))),
                    gid: file.gid.map(|n| api.val(n, &format!("{p}.File.GID"))),
                    mode: file
                        .mode
                        .map(|m| api.val(m.to_string(), &format!("{p}.File.Mode"))),
                    loc: api.loc(&p),
                    short: false,
                }
            })
            .collect::<Vec<_>>()
    };
    svc.secrets = file_refs(
        cs.secrets
            .iter()
            .flatten()
            .map(|s| (s.secret_name.clone(), s.file.clone()))
            .collect(),
        "Secrets",
    );
    svc.configs = file_refs(
        cs.configs
            .iter()
            .flatten()
            .map(|c| {
                (
                    c.config_name.clone(),
                    c.file
                        .as_ref()
                        .map(|f| bollard::models::TaskSpecContainerSpecFile {
                            name: f.name.clone(),
                            uid: f.uid.clone(),
                            gid: f.gid.clone(),
                            mode: f.mode,
                        }),
                )
            })
            .collect(),
        "Configs",
    );
    // the image's own USER and HEALTHCHECK, when the image is on this node
    svc.image_info = match cs.image.as_ref().and_then(|i| snapshot.images.get(i)) {
        Some(r) => match &r.inspect {
            Some(i) => {
                let cfg = i.config.clone().unwrap_or_default();
                let positive = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
                let timing = cfg
                    .healthcheck
                    .as_ref()
                    .map_or(HealthTiming::default(), |h| HealthTiming {
                        interval_ns: positive(h.interval),
                        retries: positive(h.retries),
                        start_period_ns: positive(h.start_period),
                    });
                ImageInfo {
                    health_timing: ImageFact::Known(timing),
                    user: ImageFact::Known(cfg.user.unwrap_or_default()),
                    has_healthcheck: ImageFact::Known(
                        cfg.healthcheck.and_then(|h| h.test).is_some_and(|t| {
                            !t.is_empty() && t.first().map(String::as_str) != Some("NONE")
                        }),
                    ),
                    ..ImageInfo::default()
                }
            }
            None => ImageInfo::default(),
        },
        None => ImageInfo::default(),
    };
    if let Some(why) = &snapshot.healthchecks_unreadable {
        svc.healthcheck = None;
        svc.image_info.has_healthcheck = ImageFact::Unknown;
        svc.image_info.health_timing = ImageFact::Unknown;
        svc.image_unknown_reason = Some(why.clone());
    }
    svc.image_unknown_reason = svc.image_unknown_reason.take().or_else(|| {
        cs.image
            .as_ref()
            .and_then(|i| snapshot.images.get(i))
            .and_then(|r| r.error.clone())
    });
    crate::registry::live::join_image_facts(&mut svc, snapshot, cs.image.as_deref());
    svc.status = Some(ServiceStatus {
        running_tasks: s.service_status.as_ref().and_then(|x| x.running_tasks),
        desired_tasks: s.service_status.as_ref().and_then(|x| x.desired_tasks),
        update_state: s
            .update_status
            .as_ref()
            .and_then(|u| u.state.as_ref())
            .map(wire),
        update_message: s.update_status.as_ref().and_then(|u| u.message.clone()),
        loc: Some(api.loc("UpdateStatus")),
    });
    svc
}

/// Lower a snapshot: one deployment per stack namespace (services without one each form their
/// own), and the swarm-wide facts on a final deployment named `swarm`.
pub fn lower(snapshot: &Snapshot) -> Vec<Deployment> {
    let networks_by_id: HashMap<String, &ApiNetwork> = snapshot
        .networks
        .iter()
        .filter_map(|n| Some((n.id.clone()?, n)))
        .collect();
    let mut stacks: BTreeMap<String, Deployment> = BTreeMap::new();
    for s in &snapshot.services {
        let ns = s
            .spec
            .as_ref()
            .and_then(|sp| sp.labels.as_ref())
            .and_then(|l| l.get(STACK_LABEL))
            .cloned();
        let svc = lower_service(s, ns.as_deref(), &networks_by_id, snapshot);
        let key = ns.clone().unwrap_or_default();
        let d = stacks.entry(key.clone()).or_insert_with(|| Deployment {
            stack: key,
            live: true,
            ..Deployment::default()
        });
        // the networks this service uses
        let attachments = s
            .spec
            .as_ref()
            .and_then(|sp| sp.task_template.as_ref())
            .and_then(|t| t.networks.clone())
            .unwrap_or_default();
        for a in attachments {
            if let Some(n) = a.target.as_ref().and_then(|t| networks_by_id.get(t)) {
                let net = lower_network(n);
                if !d.networks.iter().any(|x| x.full_name == net.full_name) {
                    d.networks.push(net);
                }
            }
        }
        // the volumes its mounts use, with their driver (none: the node-local default)
        let mounts = s
            .spec
            .as_ref()
            .and_then(|sp| sp.task_template.as_ref())
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.mounts.as_ref());
        for (i, m) in mounts.into_iter().flatten().enumerate() {
            let is_volume = m.typ.as_ref().map(wire).as_deref() == Some("volume");
            let Some(source) = m.source.as_ref().filter(|s| is_volume && !s.is_empty()) else {
                continue;
            };
            if d.volumes.iter().any(|v| &v.name == source) {
                continue;
            }
            let api = Api {
                object: format!("service {}", svc.full_name.as_deref().unwrap_or(&svc.name)),
            };
            let p =
                format!("Spec.TaskTemplate.ContainerSpec.Mounts[{i}].VolumeOptions.DriverConfig");
            let dc = m
                .volume_options
                .as_ref()
                .and_then(|o| o.driver_config.as_ref());
            d.volumes.push(Volume {
                name: source.clone(),
                loc: api.loc(&p),
                driver: dc
                    .and_then(|c| c.name.as_ref())
                    .filter(|n| !n.is_empty())
                    .map(|n| api.val(n.clone(), &format!("{p}.Name"))),
                driver_opts: api
                    .options(dc.and_then(|c| c.options.as_ref()), &format!("{p}.Options")),
                external: false,
            });
        }
        d.services.push(svc);
    }
    // secrets and configs: with their stack, or (created outside a stack) with the swarm
    let mut unstacked = (vec![], vec![]);
    let objects = snapshot
        .secrets
        .iter()
        .map(|x| {
            (
                true,
                x.id.clone(),
                x.spec.as_ref().map(|s| (&s.name, &s.labels, None)),
            )
        })
        .chain(snapshot.configs.iter().map(|x| {
            (
                false,
                x.id.clone(),
                x.spec
                    .as_ref()
                    .map(|s| (&s.name, &s.labels, s.data.as_ref())),
            )
        }));
    for (is_secret, id, spec) in objects {
        let Some((name, labels, data)) = spec else {
            continue;
        };
        let full = name.clone().or(id).unwrap_or_default();
        let ns = labels.as_ref().and_then(|l| l.get(STACK_LABEL)).cloned();
        let kind = if is_secret { "secret" } else { "config" };
        let api = Api {
            object: format!("{kind} {full}"),
        };
        let obj = Object {
            name: strip_stack(&full, ns.as_deref()).to_string(),
            loc: api.loc("Spec.Name"),
            file: None,
            external: false,
            name_override: None,
            local: None,
            data: data.map(|b64| Data {
                text: decode_data(b64),
                loc: api.loc("Spec.Data"),
            }),
        };
        let (secrets, configs) = match ns {
            Some(ns) => {
                let d = stacks.entry(ns.clone()).or_insert_with(|| Deployment {
                    stack: ns,
                    live: true,
                    ..Deployment::default()
                });
                (&mut d.secrets, &mut d.configs)
            }
            None => (&mut unstacked.0, &mut unstacked.1),
        };
        if is_secret {
            secrets.push(obj);
        } else {
            configs.push(obj);
        }
    }
    let mut cluster = cluster_deployment(snapshot);
    (cluster.secrets, cluster.configs) = unstacked;
    let context = SwarmContext {
        api_version: snapshot.api_version.as_deref().and_then(|v| {
            let (a, b) = v.split_once('.')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        }),
        manager_no_new_privileges: snapshot.info.as_ref().map(|i| {
            i.security_options
                .iter()
                .flatten()
                .any(|o| o.split(',').any(|part| part == "name=no-new-privileges"))
        }),
        nodes: cluster
            .cluster
            .as_ref()
            .map(|c| c.nodes.clone())
            .unwrap_or_default(),
    };
    let mut out: Vec<Deployment> = stacks
        .into_values()
        .map(|mut d| {
            d.swarm = Some(Box::new(context.clone()));
            d
        })
        .collect();
    out.push(cluster);
    out
}

/// A config's `Spec.Data` (standard base64) as text for the detectors; undecodable data is
/// scanned as it is.
fn decode_data(b64: &str) -> String {
    use base64::Engine as _;
    match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => b64.to_string(),
    }
}

fn cluster_deployment(snapshot: &Snapshot) -> Deployment {
    let swarm = snapshot.swarm.clone().unwrap_or_default();
    let spec = swarm.spec.clone().unwrap_or_default();
    let id = swarm.id.clone().unwrap_or_default();
    let nodes = snapshot
        .nodes
        .iter()
        .map(|n| {
            let spec = n.spec.clone().unwrap_or_default();
            let hostname = n
                .description
                .as_ref()
                .and_then(|d| d.hostname.clone())
                .unwrap_or_default();
            NodeInfo {
                id: n.id.clone().unwrap_or_default(),
                loc: Some(Loc::Api {
                    object: format!("node {hostname}"),
                    path: "Status".into(),
                }),
                hostname,
                role: spec.role.as_ref().map(wire).unwrap_or_default(),
                availability: spec.availability.as_ref().map(wire).unwrap_or_default(),
                state: n
                    .status
                    .as_ref()
                    .and_then(|s| s.state.as_ref())
                    .map(wire)
                    .unwrap_or_default(),
                leader: n.manager_status.as_ref().and_then(|m| m.leader) == Some(true),
                reachability: n
                    .manager_status
                    .as_ref()
                    .and_then(|m| m.reachability.as_ref())
                    .map(wire),
                engine_version: n
                    .description
                    .as_ref()
                    .and_then(|d| d.engine.as_ref())
                    .and_then(|e| e.engine_version.clone()),
                cert_issuer_subject: n
                    .description
                    .as_ref()
                    .and_then(|d| d.tls_info.as_ref())
                    .and_then(|t| t.cert_issuer_subject.clone())
                    .filter(|s| !s.is_empty()),
            }
        })
        .collect();
    let ingress = snapshot
        .networks
        .iter()
        .find(|n| n.ingress == Some(true))
        .map(lower_network);
    let ingress_ports_in_use = snapshot.services.iter().any(|s| {
        s.spec
            .as_ref()
            .and_then(|sp| sp.endpoint_spec.as_ref())
            .and_then(|e| e.ports.as_ref())
            .is_some_and(|ports| {
                ports
                    .iter()
                    .any(|p| p.publish_mode.as_ref().map(wire).as_deref() != Some("host"))
            })
    });
    let encrypted_overlays_in_use = snapshot.networks.iter().any(|n| {
        n.driver.as_deref() == Some("overlay")
            && n.options
                .as_ref()
                .is_some_and(|o| o.contains_key("encrypted"))
    });
    Deployment {
        stack: "swarm".into(),
        live: true,
        cluster: Some(Box::new(Cluster {
            loc: Some(Loc::Api {
                object: format!("swarm {id}"),
                path: "Spec".into(),
            }),
            autolock: spec
                .encryption_config
                .as_ref()
                .and_then(|e| e.auto_lock_managers),
            node_cert_expiry_ns: spec.ca_config.as_ref().and_then(|c| c.node_cert_expiry),
            nodes,
            ingress,
            ingress_ports_in_use,
            encrypted_overlays_in_use,
            root_rotation_in_progress: swarm.root_rotation_in_progress,
            cert_issuer_subject: swarm
                .tls_info
                .as_ref()
                .and_then(|t| t.cert_issuer_subject.clone())
                .filter(|s| !s.is_empty()),
        })),
        ..Deployment::default()
    }
}
