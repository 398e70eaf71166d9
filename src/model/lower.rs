//! Lower one interpolated stack file (a spanned YAML tree) into the model.
//!
//! Short syntax is expanded to long syntax, keys `docker stack deploy` ignores or rejects are
//! recorded as such, and structural errors (wrong types, unparseable ports) are collected as
//! diagnostics with their spans.

use crate::model::*;
use crate::yaml::{Kind, Node, Span};

/// An error that makes a file unusable for stack deploy (and for the audit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub span: Span,
    pub message: String,
}

/// Service keys the stack deploy schema (v3.13) accepts.
pub const SERVICE_KEYS: &[&str] = &[
    "build",
    "cap_add",
    "cap_drop",
    "cgroup_parent",
    "cgroupns_mode",
    "command",
    "configs",
    "container_name",
    "credential_spec",
    "depends_on",
    "deploy",
    "devices",
    "dns",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "external_links",
    "extra_hosts",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "links",
    "logging",
    "mac_address",
    "network_mode",
    "networks",
    "oom_score_adj",
    "pid",
    "ports",
    "privileged",
    "read_only",
    "restart",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "user",
    "userns_mode",
    "volumes",
    "working_dir",
];

/// docker/cli `ForbiddenProperties`: deploy stops with an error.
pub const FORBIDDEN_SERVICE_KEYS: &[(&str, &str)] = &[
    ("extends", "support for `extends` is not implemented yet"),
    (
        "volume_driver",
        "set the driver on a top-level volume instead",
    ),
    ("volumes_from", "mount a named volume instead"),
    ("cpu_quota", "set deploy.resources.limits.cpus instead"),
    ("cpu_shares", "set deploy.resources.limits.cpus instead"),
    ("cpuset", "set deploy.resources.limits.cpus instead"),
    ("mem_limit", "set deploy.resources.limits.memory instead"),
    (
        "memswap_limit",
        "set deploy.resources.limits.memory instead",
    ),
];

/// Keys stack deploy drops: docker/cli `UnsupportedProperties` and `DeprecatedProperties`
/// ("Ignoring unsupported/deprecated options"), plus keys it accepts but never converts.
/// `restart` is listed as unsupported but still converted as a fallback (see [`Service::restart`]).
pub const IGNORED_SERVICE_KEYS: &[&str] = &[
    "build",
    "cgroupns_mode",
    "cgroup_parent",
    "devices",
    "domainname",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "network_mode",
    "pid",
    "privileged",
    "security_opt",
    "shm_size",
    "userns_mode",
    "container_name",
    "expose",
    "depends_on",
    "tmpfs",
];

const TOP_KEYS: &[&str] = &[
    "version", "services", "networks", "volumes", "secrets", "configs",
];
const DEPLOY_KEYS: &[&str] = &[
    "endpoint_mode",
    "labels",
    "mode",
    "placement",
    "replicas",
    "resources",
    "restart_policy",
    "rollback_config",
    "update_config",
];
const NETWORK_KEYS: &[&str] = &[
    "attachable",
    "driver",
    "driver_opts",
    "external",
    "internal",
    "ipam",
    "labels",
    "name",
];
const VOLUME_KEYS: &[&str] = &[
    "driver",
    "driver_opts",
    "external",
    "labels",
    "name",
    "x-cluster-spec",
];
const SECRET_KEYS: &[&str] = &[
    "driver",
    "driver_opts",
    "external",
    "file",
    "labels",
    "name",
    "template_driver",
];
const CONFIG_KEYS: &[&str] = &["external", "file", "labels", "name", "template_driver"];
const HEALTHCHECK_KEYS: &[&str] = &[
    "disable",
    "interval",
    "retries",
    "start_interval",
    "start_period",
    "test",
    "timeout",
];
const LIMIT_KEYS: &[&str] = &["cpus", "memory", "pids"];
const RESERVATION_KEYS: &[&str] = &["cpus", "memory", "generic_resources"];
const RESTART_KEYS: &[&str] = &["condition", "delay", "max_attempts", "window"];
const UPDATE_KEYS: &[&str] = &[
    "parallelism",
    "delay",
    "failure_action",
    "monitor",
    "max_failure_ratio",
    "order",
];
const PORT_KEYS: &[&str] = &["mode", "target", "published", "protocol"];
const VOLUME_MOUNT_KEYS: &[&str] = &[
    "type",
    "source",
    "target",
    "read_only",
    "consistency",
    "bind",
    "volume",
    "tmpfs",
];
const FILE_REF_KEYS: &[&str] = &["source", "target", "uid", "gid", "mode"];

fn loc(n: &Node) -> Loc {
    Loc::File {
        span: n.span,
        def: n.def,
    }
}

struct Lowerer {
    diags: Vec<Diag>,
}

impl Lowerer {
    fn err(&mut self, n: &Node, message: impl Into<String>) {
        self.diags.push(Diag {
            span: n.span,
            message: message.into(),
        });
    }

    fn map<'a>(&mut self, n: &'a Node, what: &str) -> &'a [(Node, Node)] {
        match &n.kind {
            Kind::Map(m) => m,
            Kind::Null => &[],
            _ => {
                self.err(
                    n,
                    format!("`{what}` must be a mapping, found a {}", n.kind_name()),
                );
                &[]
            }
        }
    }

    fn scalar(&mut self, n: &Node, what: &str) -> Option<Val> {
        let v = Val::from_node(n);
        if v.is_none() {
            self.err(
                n,
                format!("`{what}` must be a single value, found a {}", n.kind_name()),
            );
        }
        v
    }

    /// A scalar or a list of scalars (command, entrypoint, env_file, dns…).
    fn scalars(&mut self, n: &Node, what: &str) -> Vec<Val> {
        match &n.kind {
            Kind::Seq(items) => items.iter().filter_map(|i| self.scalar(i, what)).collect(),
            Kind::Null => vec![],
            _ => self.scalar(n, what).into_iter().collect(),
        }
    }

    /// Map form `K: v` or list form `K=v` / `K`.
    fn key_vals(&mut self, n: &Node, what: &str) -> Vec<KeyVal> {
        match &n.kind {
            Kind::Map(m) => m
                .iter()
                .filter_map(|(k, v)| {
                    let key = k.scalar_text()?;
                    let value = match &v.kind {
                        Kind::Null => None,
                        _ => Some(self.scalar(v, &format!("{what}.{key}"))?),
                    };
                    Some(KeyVal {
                        key,
                        key_loc: loc(k),
                        value,
                        loc: loc(k),
                    })
                })
                .collect(),
            Kind::Seq(items) => items
                .iter()
                .filter_map(|i| {
                    let v = self.scalar(i, what)?;
                    let (key, value) = match v.text.split_once('=') {
                        Some((k, rest)) => {
                            let mut value = v.clone();
                            value.text = rest.to_string();
                            (k.to_string(), Some(value))
                        }
                        None => (v.text.clone(), None),
                    };
                    Some(KeyVal {
                        key,
                        key_loc: loc(i),
                        value,
                        loc: loc(i),
                    })
                })
                .collect(),
            Kind::Null => vec![],
            _ => {
                self.err(
                    n,
                    format!(
                        "`{what}` must be a mapping or a list, found a {}",
                        n.kind_name()
                    ),
                );
                vec![]
            }
        }
    }

    /// Check a mapping's keys against an allow-list; unknown keys make deploy fail.
    fn check_keys(&mut self, n: &Node, allowed: &[&str], ctx: &str, rejected: &mut Vec<KeyUse>) {
        for (k, v) in n.as_map().unwrap_or(&[]) {
            let Some(key) = k.scalar_text() else { continue };
            if key.starts_with("x-") || allowed.contains(&key.as_str()) {
                continue;
            }
            rejected.push(KeyUse {
                key: format!("{ctx}{key}"),
                loc: loc(k),
                value: Val::from_node(v),
            });
        }
    }
}

/// The result of lowering one file.
pub struct Lowered {
    pub deployment: Deployment,
    pub diags: Vec<Diag>,
}

pub fn lower(root: &Node) -> Lowered {
    let mut lw = Lowerer { diags: vec![] };
    let mut d = Deployment::default();
    d.files.push(root.span.file);
    if !matches!(root.kind, Kind::Map(_)) {
        lw.err(
            root,
            format!(
                "the top level of a stack file must be a mapping, found a {}",
                root.kind_name()
            ),
        );
        return Lowered {
            deployment: d,
            diags: lw.diags,
        };
    }
    let mut rejected = vec![];
    lw.check_keys(root, TOP_KEYS, "", &mut rejected);
    d.rejected = rejected;

    d.file_versions.push(FileVersion {
        file: root.span.file,
        version: root.get("version").and_then(Val::from_node),
        loc: loc(root),
    });
    versioned_keys(root, &mut vec![], &mut d.versioned_keys);
    if let Some(v) = root.get("version") {
        if let Some(val) = lw.scalar(v, "version") {
            let t = val.text.trim();
            // docker/cli ships schemas 3.0–3.13 (3.14 in newer releases); anything else fails
            // with "unsupported Compose file version"
            let ok = t == "3"
                || t.strip_prefix("3.")
                    .is_some_and(|m| m.parse::<u32>().is_ok_and(|m| m <= 14));
            if !ok && val.is_known() {
                d.rejected.push(KeyUse {
                    key: "version".into(),
                    loc: val.loc.clone(),
                    value: Some(val.clone()),
                });
            }
            d.version = Some(val);
        }
    }

    if let Some(services) = root.get("services") {
        for (k, v) in lw.map(services, "services") {
            let Some(name) = k.scalar_text() else {
                lw.err(k, "service names must be strings");
                continue;
            };
            if name.starts_with("x-") {
                continue;
            }
            let svc = lower_service(&mut lw, name, k, v);
            d.services.push(svc);
        }
    }
    if let Some(networks) = root.get("networks") {
        for (k, v) in lw.map(networks, "networks") {
            let Some(name) = k.scalar_text() else {
                continue;
            };
            if name.starts_with("x-") {
                continue;
            }
            let mut rej = vec![];
            lw.check_keys(v, NETWORK_KEYS, &format!("networks.{name}."), &mut rej);
            d.rejected.extend(rej);
            let (external, ext_name) = external(&mut lw, v);
            let name_override = v
                .get("name")
                .and_then(|n| lw.scalar(n, "name"))
                .or(ext_name);
            d.networks.push(Network {
                name,
                full_name: None,
                ingress: false,
                loc: loc(k),
                driver: v.get("driver").and_then(|n| lw.scalar(n, "driver")),
                driver_opts: v
                    .get("driver_opts")
                    .map(|n| lw.key_vals(n, "driver_opts"))
                    .unwrap_or_default(),
                external,
                name_override,
                attachable: v.get("attachable").and_then(|n| lw.scalar(n, "attachable")),
                internal: v.get("internal").and_then(|n| lw.scalar(n, "internal")),
                implicit: false,
            });
        }
    }
    if let Some(volumes) = root.get("volumes") {
        for (k, v) in lw.map(volumes, "volumes") {
            let Some(name) = k.scalar_text() else {
                continue;
            };
            if name.starts_with("x-") {
                continue;
            }
            let mut rej = vec![];
            lw.check_keys(v, VOLUME_KEYS, &format!("volumes.{name}."), &mut rej);
            d.rejected.extend(rej);
            let (external, _) = external(&mut lw, v);
            d.volumes.push(Volume {
                name,
                loc: loc(k),
                driver: v.get("driver").and_then(|n| lw.scalar(n, "driver")),
                driver_opts: v
                    .get("driver_opts")
                    .map(|n| lw.key_vals(n, "driver_opts"))
                    .unwrap_or_default(),
                external,
            });
        }
    }
    for (section, keys) in [("secrets", SECRET_KEYS), ("configs", CONFIG_KEYS)] {
        let Some(objs) = root.get(section) else {
            continue;
        };
        for (k, v) in lw.map(objs, section) {
            let Some(name) = k.scalar_text() else {
                continue;
            };
            if name.starts_with("x-") {
                continue;
            }
            let mut rej = vec![];
            lw.check_keys(v, keys, &format!("{section}.{name}."), &mut rej);
            d.rejected.extend(rej);
            let (external, ext_name) = external(&mut lw, v);
            let obj = Object {
                name,
                loc: loc(k),
                file: v.get("file").and_then(|n| lw.scalar(n, "file")),
                external,
                name_override: v
                    .get("name")
                    .and_then(|n| lw.scalar(n, "name"))
                    .or(ext_name),
                local: None,
                data: None,
            };
            if section == "secrets" {
                d.secrets.push(obj);
            } else {
                d.configs.push(obj);
            }
        }
    }
    Lowered {
        deployment: d,
        diags: lw.diags,
    }
}

/// Collect the keys that only some schema versions accept (see [`super::schema_versions`]).
fn versioned_keys<'a>(
    n: &'a Node,
    path: &mut Vec<std::borrow::Cow<'a, str>>,
    out: &mut Vec<KeyUse>,
) {
    use super::schema_versions::{gate_of, is_gate_name, may_contain_gated};
    let Some(entries) = n.as_map() else { return };
    for (k, v) in entries {
        let key = match k.as_str() {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => match k.scalar_text() {
                Some(s) => std::borrow::Cow::Owned(s),
                None => continue,
            },
        };
        let candidate = is_gate_name(&key);
        let extension = key.starts_with("x-");
        path.push(key);
        if candidate && gate_of(path).is_some() {
            out.push(KeyUse {
                key: path.join("."),
                loc: loc(k),
                value: None,
            });
        }
        if !extension && may_contain_gated(path) {
            versioned_keys(v, path, out);
        }
        path.pop();
    }
}

/// `external: true` or the legacy `external: {name: x}`.
fn external(lw: &mut Lowerer, v: &Node) -> (bool, Option<Val>) {
    match v.get("external") {
        None => (false, None),
        Some(e) => match &e.kind {
            Kind::Map(_) => (
                true,
                e.get("name").and_then(|n| lw.scalar(n, "external.name")),
            ),
            _ => (
                lw.scalar(e, "external")
                    .and_then(|x| x.as_bool())
                    .unwrap_or(false),
                None,
            ),
        },
    }
}

fn lower_service(lw: &mut Lowerer, name: String, key: &Node, v: &Node) -> Service {
    let mut s = Service::new(name.clone(), loc(key));
    let entries = lw.map(v, &format!("services.{name}"));
    for (k, val) in entries {
        let Some(kname) = k.scalar_text() else {
            continue;
        };
        let kname = kname.as_str();
        if kname.starts_with("x-") {
            continue;
        }
        if let Some((_, _hint)) = FORBIDDEN_SERVICE_KEYS.iter().find(|(f, _)| *f == kname) {
            s.rejected.push(KeyUse {
                key: kname.to_string(),
                loc: loc(k),
                value: Val::from_node(val),
            });
            continue;
        }
        if !SERVICE_KEYS.contains(&kname) {
            s.rejected.push(KeyUse {
                key: kname.to_string(),
                loc: loc(k),
                value: Val::from_node(val),
            });
            continue;
        }
        if kname == "security_opt" {
            s.security_opt = lw.scalars(val, &format!("services.{name}.security_opt"));
        }
        if IGNORED_SERVICE_KEYS.contains(&kname) {
            s.ignored.push(KeyUse {
                key: kname.to_string(),
                loc: loc(k),
                value: Val::from_node(val),
            });
            continue;
        }
        let what = format!("services.{name}.{kname}");
        match kname {
            "image" => s.image = lw.scalar(val, &what),
            "user" => s.user = lw.scalar(val, &what),
            "read_only" => s.read_only = lw.scalar(val, &what),
            "cap_add" => s.cap_add = lw.scalars(val, &what),
            "cap_drop" => s.cap_drop = lw.scalars(val, &what),
            "command" => s.command = lw.scalars(val, &what),
            "entrypoint" => s.entrypoint = lw.scalars(val, &what),
            "env_file" => s.env_files = env_files(lw, val, &what, &mut s.rejected),
            "environment" => s.environment = lw.key_vals(val, &what),
            "labels" => s.labels = lw.key_vals(val, &what),
            "restart" => s.restart = lw.scalar(val, &what),
            "networks" => {
                let nets = service_networks(lw, val, &what);
                // docker/cli: `len(Networks) == 0` means the default network
                s.networks = (!nets.is_empty()).then_some(nets);
            }
            "ports" => s.ports = ports(lw, val, &what, &mut s.rejected),
            "volumes" => s.mounts = mounts(lw, val, &what, &mut s.rejected),
            "secrets" => s.secrets = file_refs(lw, val, &what, &mut s.rejected),
            "configs" => s.configs = file_refs(lw, val, &what, &mut s.rejected),
            "healthcheck" => s.healthcheck = Some(healthcheck(lw, k, val, &what, &mut s.rejected)),
            "logging" => {
                if let Some(o) = val.get("options") {
                    s.logging_options = lw.key_vals(o, &format!("{what}.options"));
                }
            }
            "deploy" => s.deploy = deploy(lw, k, val, &what, &mut s.rejected),
            _ => {}
        }
    }
    s
}

/// `env_file: a.env`, `[a.env, b.env]`; the compose-spec long form `{path, required}` is
/// rejected by stack deploy's schema (SA003) but its path is still read.
fn env_files(lw: &mut Lowerer, n: &Node, what: &str, rejected: &mut Vec<KeyUse>) -> Vec<Val> {
    let Kind::Seq(items) = &n.kind else {
        return lw.scalars(n, what);
    };
    let mut out = vec![];
    for item in items {
        if item.as_map().is_some() {
            rejected.push(KeyUse {
                key: "env_file[].path".into(),
                loc: loc(item),
                value: None,
            });
            if let Some(p) = item.get("path").and_then(|p| lw.scalar(p, what)) {
                out.push(p);
            }
        } else if let Some(v) = lw.scalar(item, what) {
            out.push(v);
        }
    }
    out
}

fn service_networks(lw: &mut Lowerer, n: &Node, what: &str) -> Vec<Val> {
    match &n.kind {
        Kind::Map(m) => m.iter().filter_map(|(k, _)| Val::from_node(k)).collect(),
        _ => lw.scalars(n, what),
    }
}

fn port_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
        None => {
            let p = s.trim().parse().ok()?;
            (p, p)
        }
    };
    (a <= b && b <= 65535).then_some((a, b))
}

/// A short-syntax port: (host IP, published range, target range, protocol).
pub type ShortPort = (Option<String>, Option<(u32, u32)>, (u32, u32), String);

/// docker's `nat.ParsePortSpec`: `[IP:][PUB[-PUB]:]TGT[-TGT][/proto]`.
pub fn parse_short_port(spec: &str) -> Result<ShortPort, String> {
    let (rest, proto) = match spec.rsplit_once('/') {
        Some((r, p)) => (r, p.to_ascii_lowercase()),
        None => (spec, "tcp".to_string()),
    };
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid protocol `{proto}` in port `{spec}`"));
    }
    let (ip, published, target) = match rest.rsplit_once(':') {
        None => (None, None, rest),
        Some((front, tgt)) => {
            // front is `PUB`, `IP:PUB`, `IP:` or `[v6]:PUB`
            let (ip, publ) = match front.rsplit_once(':') {
                Some((ip, p)) => (
                    Some(ip.trim_start_matches('[').trim_end_matches(']').to_string()),
                    p,
                ),
                None if front.starts_with('[')
                    || front.contains('.')
                        && front.parse::<u32>().is_err()
                        && port_range(front).is_none() =>
                {
                    (Some(front.to_string()), "")
                }
                None => (None, front),
            };
            (ip, (!publ.is_empty()).then_some(publ), tgt)
        }
    };
    let target = port_range(target).ok_or_else(|| format!("invalid container port in `{spec}`"))?;
    let published = match published {
        Some(p) => {
            Some(port_range(p).ok_or_else(|| format!("invalid published port in `{spec}`"))?)
        }
        None => None,
    };
    Ok((ip.filter(|i| !i.is_empty()), published, target, proto))
}

fn ports(lw: &mut Lowerer, n: &Node, what: &str, rejected: &mut Vec<KeyUse>) -> Vec<Port> {
    let Some(items) = seq(lw, n, what) else {
        return vec![];
    };
    let mut out = vec![];
    for item in items {
        match &item.kind {
            Kind::Map(_) => {
                lw.check_keys(item, PORT_KEYS, "ports[].", rejected);
                let num = |lw: &mut Lowerer, k: &str| {
                    item.get(k).and_then(|x| lw.scalar(x, k)).and_then(|v| {
                        if !v.is_known() {
                            return None;
                        }
                        v.as_u64().and_then(|p| u32::try_from(p).ok())
                    })
                };
                let target = num(lw, "target");
                let published = num(lw, "published");
                let mode = item.get("mode").and_then(|m| lw.scalar(m, "mode"));
                let mode = match mode.as_ref().map(|m| m.text.as_str()) {
                    Some("host") => PublishMode::Host,
                    _ => PublishMode::Ingress,
                };
                let protocol = item
                    .get("protocol")
                    .and_then(|p| p.scalar_text())
                    .unwrap_or_else(|| "tcp".into());
                out.push(Port {
                    target: target.map(|t| (t, t)),
                    published: published.map(|p| (p, p)),
                    protocol,
                    mode,
                    host_ip: None,
                    loc: loc(item),
                    short: false,
                });
            }
            _ => {
                let Some(v) = lw.scalar(item, what) else {
                    continue;
                };
                if !v.is_known() {
                    out.push(Port {
                        target: None,
                        published: None,
                        protocol: "tcp".into(),
                        mode: PublishMode::Ingress,
                        host_ip: None,
                        loc: v.loc.clone(),
                        short: true,
                    });
                    continue;
                }
                match parse_short_port(&v.text) {
                    Ok((ip, published, target, protocol)) => out.push(Port {
                        target: Some(target),
                        published,
                        protocol,
                        mode: PublishMode::Ingress,
                        host_ip: ip,
                        loc: v.loc.clone(),
                        short: true,
                    }),
                    Err(e) => lw.err(item, e),
                }
            }
        }
    }
    out
}

fn seq<'a>(lw: &mut Lowerer, n: &'a Node, what: &str) -> Option<&'a [Node]> {
    match &n.kind {
        Kind::Seq(s) => Some(s),
        Kind::Null => None,
        _ => {
            lw.err(
                n,
                format!("`{what}` must be a list, found a {}", n.kind_name()),
            );
            None
        }
    }
}

fn is_bind_source(s: &str) -> bool {
    s.starts_with('/')
        || s.starts_with('.')
        || s.starts_with('~')
        || s.starts_with("\\\\")
        || (s.len() >= 2 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic())
}

fn mounts(lw: &mut Lowerer, n: &Node, what: &str, rejected: &mut Vec<KeyUse>) -> Vec<Mount> {
    let Some(items) = seq(lw, n, what) else {
        return vec![];
    };
    let mut out = vec![];
    for item in items {
        match &item.kind {
            Kind::Map(_) => {
                lw.check_keys(item, VOLUME_MOUNT_KEYS, "volumes[].", rejected);
                let kind = match item.get("type").and_then(|t| t.scalar_text()).as_deref() {
                    Some("bind") => MountKind::Bind,
                    Some("volume") => MountKind::Volume,
                    Some("tmpfs") => MountKind::Tmpfs,
                    Some("npipe") => MountKind::Npipe,
                    Some(_) => MountKind::Other,
                    None => {
                        lw.err(
                            item,
                            "a long-syntax volume needs `type` (volume, bind, tmpfs or npipe)",
                        );
                        MountKind::Other
                    }
                };
                let read_only = item
                    .get("read_only")
                    .and_then(Val::from_node)
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                out.push(Mount {
                    kind,
                    source: item.get("source").and_then(|s| lw.scalar(s, "source")),
                    target: item.get("target").and_then(|s| lw.scalar(s, "target")),
                    read_only,
                    propagation: item
                        .get("bind")
                        .and_then(|b| b.get("propagation"))
                        .and_then(|p| lw.scalar(p, "propagation")),
                    driver_opts: vec![],
                    loc: loc(item),
                    short: false,
                });
            }
            _ => {
                let Some(v) = lw.scalar(item, what) else {
                    continue;
                };
                out.push(short_mount(&v));
            }
        }
    }
    out
}

/// `[SRC:]TGT[:opts]`, with Windows drive letters kept in the source.
fn short_mount(v: &Val) -> Mount {
    let text = v.text.as_str();
    let mut parts: Vec<&str> = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        // a drive letter `C:` at the start of a part is not a separator
        if c == ':'
            && !(i == start + 1
                && bytes[start].is_ascii_alphabetic()
                && bytes.get(i + 1).is_some_and(|b| *b == b'\\' || *b == b'/'))
        {
            parts.push(&text[start..i]);
            start = i + 1;
        }
    }
    parts.push(&text[start..]);
    let (source, target, opts) = match parts.as_slice() {
        [t] => (None, *t, ""),
        [s, t] => (Some(*s), *t, ""),
        [s, t, o, ..] => (Some(*s), *t, *o),
        [] => (None, "", ""),
    };
    let kind = match source {
        None => MountKind::Volume,
        Some(s) if s.starts_with("\\\\.\\pipe") => MountKind::Npipe,
        Some(s) if is_bind_source(s) => MountKind::Bind,
        Some(_) => MountKind::Volume,
    };
    let mk = |t: &str| Val {
        text: t.to_string(),
        ..v.clone()
    };
    Mount {
        driver_opts: vec![],
        kind,
        source: source.map(mk),
        target: Some(mk(target)),
        read_only: opts.split(',').any(|o| o == "ro"),
        propagation: opts
            .split(',')
            .find(|o| {
                matches!(
                    *o,
                    "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate"
                )
            })
            .map(mk),
        loc: v.loc.clone(),
        short: true,
    }
}

fn file_refs(lw: &mut Lowerer, n: &Node, what: &str, rejected: &mut Vec<KeyUse>) -> Vec<FileRef> {
    let Some(items) = seq(lw, n, what) else {
        return vec![];
    };
    let mut out = vec![];
    for item in items {
        match &item.kind {
            Kind::Map(_) => {
                let section = what.rsplit('.').next().unwrap_or(what);
                lw.check_keys(item, FILE_REF_KEYS, &format!("{section}[]."), rejected);
                let Some(source) = item.get("source").and_then(|s| lw.scalar(s, "source")) else {
                    lw.err(item, format!("an entry of `{what}` needs `source`"));
                    continue;
                };
                out.push(FileRef {
                    source,
                    target: item.get("target").and_then(|x| lw.scalar(x, "target")),
                    uid: item.get("uid").and_then(|x| lw.scalar(x, "uid")),
                    gid: item.get("gid").and_then(|x| lw.scalar(x, "gid")),
                    mode: item.get("mode").and_then(|x| lw.scalar(x, "mode")),
                    loc: loc(item),
                    short: false,
                });
            }
            _ => {
                let Some(v) = lw.scalar(item, what) else {
                    continue;
                };
                out.push(FileRef {
                    loc: v.loc.clone(),
                    source: v,
                    target: None,
                    uid: None,
                    gid: None,
                    mode: None,
                    short: true,
                });
            }
        }
    }
    out
}

fn healthcheck(
    lw: &mut Lowerer,
    key: &Node,
    n: &Node,
    what: &str,
    rejected: &mut Vec<KeyUse>,
) -> Healthcheck {
    lw.check_keys(n, HEALTHCHECK_KEYS, "healthcheck.", rejected);
    lw.map(n, what);
    let get =
        |lw: &mut Lowerer, k: &str| n.get(k).and_then(|x| lw.scalar(x, &format!("{what}.{k}")));
    let test_key = n.entry("test").map(|(k, _)| loc(k));
    let (test, test_loc) = match n.get("test") {
        None => (None, None),
        Some(t) => match &t.kind {
            Kind::Seq(_) => (Some(lw.scalars(t, "healthcheck.test")), test_key),
            _ => {
                let v = lw.scalar(t, "healthcheck.test");
                (
                    v.map(|v| {
                        let shell = Val {
                            text: "CMD-SHELL".into(),
                            ..v.clone()
                        };
                        vec![shell, v]
                    }),
                    test_key,
                )
            }
        },
    };
    Healthcheck {
        loc: loc(key),
        test,
        test_loc,
        disable: get(lw, "disable"),
        interval: get(lw, "interval"),
        timeout: get(lw, "timeout"),
        retries: get(lw, "retries"),
        start_period: get(lw, "start_period"),
    }
}

fn resources(
    lw: &mut Lowerer,
    n: Option<(&Node, &Node)>,
    allowed: &[&str],
    ctx: &str,
    rejected: &mut Vec<KeyUse>,
) -> Resources {
    let Some((k, n)) = n else {
        return Resources::default();
    };
    lw.check_keys(n, allowed, ctx, rejected);
    let get = |lw: &mut Lowerer, key: &str| {
        n.get(key)
            .and_then(|x| lw.scalar(x, &format!("{ctx}{key}")))
    };
    Resources {
        loc: Some(loc(k)),
        cpus: get(lw, "cpus"),
        memory: get(lw, "memory"),
        pids: get(lw, "pids"),
    }
}

fn update_policy(
    lw: &mut Lowerer,
    k: &Node,
    n: &Node,
    ctx: &str,
    rejected: &mut Vec<KeyUse>,
) -> UpdatePolicy {
    lw.check_keys(n, UPDATE_KEYS, ctx, rejected);
    let get = |lw: &mut Lowerer, key: &str| {
        n.get(key)
            .and_then(|x| lw.scalar(x, &format!("{ctx}{key}")))
    };
    UpdatePolicy {
        loc: loc(k),
        parallelism: get(lw, "parallelism"),
        delay: get(lw, "delay"),
        failure_action: get(lw, "failure_action"),
        monitor: get(lw, "monitor"),
        max_failure_ratio: get(lw, "max_failure_ratio"),
        order: get(lw, "order"),
    }
}

fn deploy(
    lw: &mut Lowerer,
    key: &Node,
    n: &Node,
    what: &str,
    rejected: &mut Vec<KeyUse>,
) -> Deploy {
    lw.map(n, what);
    lw.check_keys(n, DEPLOY_KEYS, "deploy.", rejected);
    let get =
        |lw: &mut Lowerer, k: &str| n.get(k).and_then(|x| lw.scalar(x, &format!("{what}.{k}")));
    let mut d = Deploy {
        loc: Some(loc(key)),
        mode: get(lw, "mode"),
        replicas: get(lw, "replicas"),
        endpoint_mode: get(lw, "endpoint_mode"),
        ..Deploy::default()
    };
    if let Some(l) = n.get("labels") {
        d.labels = lw.key_vals(l, &format!("{what}.labels"));
    }
    if let Some(r) = n.get("resources") {
        lw.check_keys(
            r,
            &["limits", "reservations"],
            "deploy.resources.",
            rejected,
        );
        d.limits = resources(
            lw,
            r.entry("limits"),
            LIMIT_KEYS,
            "deploy.resources.limits.",
            rejected,
        );
        d.reservations = resources(
            lw,
            r.entry("reservations"),
            RESERVATION_KEYS,
            "deploy.resources.reservations.",
            rejected,
        );
    }
    if let Some((k, r)) = n.entry("restart_policy") {
        lw.check_keys(r, RESTART_KEYS, "deploy.restart_policy.", rejected);
        let get = |lw: &mut Lowerer, key: &str| r.get(key).and_then(|x| lw.scalar(x, key));
        d.restart_policy = Some(RestartPolicy {
            loc: loc(k),
            condition: get(lw, "condition"),
            delay: get(lw, "delay"),
            max_attempts: get(lw, "max_attempts"),
            window: get(lw, "window"),
        });
    }
    if let Some((k, u)) = n.entry("update_config") {
        d.update_config = Some(update_policy(lw, k, u, "deploy.update_config.", rejected));
    }
    if let Some((k, u)) = n.entry("rollback_config") {
        d.rollback_config = Some(update_policy(lw, k, u, "deploy.rollback_config.", rejected));
    }
    if let Some(p) = n.get("placement") {
        lw.check_keys(
            p,
            &["constraints", "preferences", "max_replicas_per_node"],
            "deploy.placement.",
            rejected,
        );
        if let Some(c) = p.get("constraints") {
            d.constraints = lw.scalars(c, "deploy.placement.constraints");
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ports() {
        assert_eq!(
            parse_short_port("80").unwrap(),
            (None, None, (80, 80), "tcp".into())
        );
        assert_eq!(
            parse_short_port("8080:80/udp").unwrap(),
            (None, Some((8080, 8080)), (80, 80), "udp".into())
        );
        assert_eq!(
            parse_short_port("127.0.0.1:8080:80").unwrap(),
            (
                Some("127.0.0.1".into()),
                Some((8080, 8080)),
                (80, 80),
                "tcp".into()
            )
        );
        assert_eq!(
            parse_short_port("[::1]:53:53/udp").unwrap(),
            (Some("::1".into()), Some((53, 53)), (53, 53), "udp".into())
        );
        assert_eq!(
            parse_short_port("127.0.0.1::80").unwrap(),
            (Some("127.0.0.1".into()), None, (80, 80), "tcp".into())
        );
        assert_eq!(
            parse_short_port("9000-9002:9000-9002").unwrap().1,
            Some((9000, 9002))
        );
        assert!(parse_short_port("abc").is_err());
        assert!(parse_short_port("80/xyz").is_err());
    }

    #[test]
    fn short_mounts() {
        let v = |t: &str| {
            Val::api(
                t,
                Loc::Api {
                    object: "t".into(),
                    path: "p".into(),
                },
            )
        };
        let m = short_mount(&v("/var/run/docker.sock:/var/run/docker.sock:ro"));
        assert_eq!(m.kind, MountKind::Bind);
        assert!(m.read_only);
        let m = short_mount(&v("data:/data"));
        assert_eq!(m.kind, MountKind::Volume);
        let m = short_mount(&v("C:\\data:/data"));
        assert_eq!(m.kind, MountKind::Bind);
        assert_eq!(m.source.unwrap().text, "C:\\data");
        let m = short_mount(&v("/anon"));
        assert_eq!(m.kind, MountKind::Volume);
        assert!(m.source.is_none());
    }
}
