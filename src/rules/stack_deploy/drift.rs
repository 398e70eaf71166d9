//! SA006: the deployed stack differs from the stack file (`scan --live --stack NAME -c FILE`):
//! services missing or extra, and hardening facts set on one side only or to different values.
//! Environment values are compared but never shown.

use crate::finding::{Finding, ObjectKind, ObjectRef};
use crate::model::{Deployment, Loc, Service, Val};
use crate::rules::{catalog, Sink};
use crate::yaml::Span;

/// SA006 needs two deployments; it runs through [`compare`], not on one deployment.
pub fn check(_d: &Deployment, _sink: &mut Sink) {}

/// Normalised view of one hardening fact; `None` = not set.
type Fact = (&'static str, Option<String>, Option<Loc>);

fn norm_bytes(v: &Val) -> String {
    v.as_bytes()
        .map_or_else(|| v.text.clone(), |b| b.to_string())
}

fn norm_cpus(v: &Val) -> String {
    v.text
        .trim()
        .parse::<f64>()
        .map_or_else(|_| v.text.clone(), |c| format!("{c}"))
}

fn image_name(v: &Val) -> String {
    // the daemon appends the resolved digest and the CLI stores Docker Hub images by their
    // familiar name (`docker.io/library/nginx` -> `nginx`): compare repository and tag only
    let r = crate::rules::image::parse_ref(&v.text);
    let mut name = r.name;
    for prefix in ["docker.io/", "index.docker.io/", "registry-1.docker.io/"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            name = rest;
        }
    }
    let name = name.strip_prefix("library/").unwrap_or(name);
    format!("{}:{}", name, r.tag.unwrap_or("latest"))
}

fn facts(s: &Service) -> Vec<Fact> {
    let l = &s.deploy.limits;
    let opt = |v: &Option<Val>, f: fn(&Val) -> String| v.as_ref().map(f);
    let loc = |v: &Option<Val>| v.as_ref().map(|v| v.loc.clone());
    let nonzero = |v: Option<String>| v.filter(|x| x != "0");
    let mut caps: Vec<String> = s
        .cap_add
        .iter()
        .map(|c| crate::rules::identity::dangerous_capability_added::normalize(&c.text))
        .collect();
    caps.sort();
    let mut env: Vec<&str> = s.environment.iter().map(|e| e.key.as_str()).collect();
    env.sort();
    let mut ports: Vec<String> = s
        .ports
        .iter()
        .map(crate::rules::network::describe)
        .collect();
    ports.sort();
    let health = s.healthcheck.as_ref().and_then(|h| {
        if h.is_disabled() {
            Some("disabled".to_string())
        } else {
            h.test.as_ref().map(|t| {
                t.iter()
                    .map(|x| x.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        }
    });
    vec![
        ("image", opt(&s.image, image_name), loc(&s.image)),
        ("user", opt(&s.user, |v| v.text.clone()), loc(&s.user)),
        (
            "read_only",
            s.read_only
                .as_ref()
                .and_then(|v| v.as_bool())
                .filter(|b| *b)
                .map(|b| b.to_string()),
            loc(&s.read_only),
        ),
        (
            "deploy.resources.limits.memory",
            nonzero(opt(&l.memory, norm_bytes)),
            loc(&l.memory),
        ),
        (
            "deploy.resources.limits.cpus",
            nonzero(opt(&l.cpus, norm_cpus)),
            loc(&l.cpus),
        ),
        (
            "deploy.resources.limits.pids",
            nonzero(opt(&l.pids, |v| v.text.clone())),
            loc(&l.pids),
        ),
        (
            "healthcheck.test",
            health,
            s.healthcheck.as_ref().map(|h| h.loc.clone()),
        ),
        (
            "cap_add",
            (!caps.is_empty()).then(|| caps.join(",")),
            s.cap_add.first().map(|c| c.loc.clone()),
        ),
        (
            "ports",
            (!ports.is_empty()).then(|| ports.join(",")),
            s.ports.first().map(|p| p.loc.clone()),
        ),
        (
            "environment (names)",
            (!env.is_empty()).then(|| env.join(",")),
            None,
        ),
        (
            "deploy.update_config.failure_action",
            s.deploy
                .update_config
                .as_ref()
                .and_then(|u| u.failure_action.as_ref())
                .map(|v| v.text.clone())
                .filter(|a| a != "pause"),
            s.deploy.update_config.as_ref().map(|u| u.loc.clone()),
        ),
    ]
}

/// Environment values differ (names equal): report without showing either value.
fn env_value_drift(file: &Service, live: &Service) -> Vec<String> {
    let mut out = vec![];
    for e in &file.environment {
        if let (Some(fv), Some(lv)) = (
            e.value.as_ref(),
            live.environment
                .iter()
                .find(|l| l.key == e.key)
                .and_then(|l| l.value.as_ref()),
        ) {
            if fv.is_known() && fv.text != lv.text {
                out.push(e.key.clone());
            }
        }
    }
    out
}

/// Compare the stack file with the deployed stack named `stack`.
pub fn compare(file: &Deployment, live: Option<&Deployment>, stack: &str) -> Vec<Finding> {
    let Some(meta) = catalog::find("SA006") else {
        return vec![];
    };
    let mut out = vec![];
    let settings = crate::config::Settings::default();
    let mut sink = Sink::new(meta, &mut out, &settings);
    let file_start = file.files.first().map(|f| Loc::file(Span::point(*f, 0)));
    let Some(live) = live else {
        if let Some(loc) = &file_start {
            sink.report(
                ObjectRef::new(ObjectKind::Stack, stack),
                loc,
                "stack",
                format!(
                    "stack `{stack}` is not deployed: none of the file's services run in the swarm"
                ),
            );
        }
        return out;
    };
    for fs in &file.services {
        match live.services.iter().find(|l| l.name == fs.name) {
            None => {
                sink.service(
                    fs,
                    &fs.loc,
                    "missing",
                    format!(
                        "service `{}` is in the stack file but not deployed in stack `{stack}`",
                        fs.name
                    ),
                );
            }
            Some(ls) => {
                for ((what, fv, floc), (_, lv, _)) in facts(fs).into_iter().zip(facts(ls)) {
                    if fv == lv {
                        continue;
                    }
                    // a healthcheck command may carry credentials: say only whether it is set
                    let secret_ish = what == "healthcheck.test";
                    let show = |v: &Option<String>| match v {
                        None => "not set".to_string(),
                        Some(v) if secret_ish && v != "disabled" => "set".to_string(),
                        Some(v) => format!("`{v}`"),
                    };
                    sink.service(
                        fs,
                        floc.as_ref().unwrap_or(&fs.loc),
                        what,
                        format!(
                            "drift: `{what}` is {} in the stack file but {} in the running service",
                            show(&fv),
                            show(&lv)
                        ),
                    );
                }
                let changed = env_value_drift(fs, ls);
                if !changed.is_empty() {
                    sink.service(
                        fs,
                        &fs.loc,
                        "environment values",
                        format!(
                            "drift: the running service has other values for {} (values not shown)",
                            changed.join(", ")
                        ),
                    );
                }
            }
        }
    }
    for ls in live
        .services
        .iter()
        .filter(|l| !file.services.iter().any(|f| f.name == l.name))
    {
        if let Some(loc) = &file_start {
            let mut o = ObjectRef::new(ObjectKind::Service, &ls.name);
            o.full_name = ls.full_name.clone();
            sink.report(
                o,
                loc,
                "extra",
                format!(
                    "service `{}` runs in stack `{stack}` but is not in the stack file",
                    ls.full_name.as_deref().unwrap_or(&ls.name)
                ),
            );
        }
    }
    out
}
