//! `swarmaudit fix --live`: a reviewable shell script with one `docker …` command per finding,
//! commented with the rule and what it changes, in an order that is safe to run (encrypted
//! networks are created before services move onto them; swarm-wide settings come last).
//! swarmaudit never runs these commands.

use crate::finding::{Finding, ObjectKind};
use crate::fix::build::secret_name;
use crate::fix::defaults;
use crate::model::Deployment;

/// One command for one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub rule: &'static str,
    /// `service mon_web`, `network mon_default`, `swarm`.
    pub object: String,
    /// What the command changes and why.
    pub comment: String,
    /// The command line(s).
    pub lines: Vec<String>,
    pub unsafe_: bool,
    /// 0: create networks, 1: service updates, 2: node and swarm settings.
    pub phase: u8,
    /// Index of the finding in the slice given to [`commands`].
    pub finding: usize,
}

/// The commands for one deployment's findings; findings without a command get a note.
pub fn commands(
    d: &Deployment,
    findings: &[Finding],
    settings: &crate::config::Settings,
) -> (Vec<Command>, Vec<(Finding, String)>) {
    let mut out = vec![];
    let mut none = vec![];
    for (i, f) in findings.iter().enumerate() {
        match command(d, f, settings) {
            Ok(mut c) => {
                c.finding = i;
                out.push(c)
            }
            Err(why) => none.push((f.clone(), why)),
        }
    }
    out.sort_by(|a, b| (a.phase, &a.object, a.rule).cmp(&(b.phase, &b.object, b.rule)));
    (out, none)
}

/// Quote for a POSIX shell when needed.
pub fn sh(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.,:=/@+%".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn service_update(svc: &str, flags: &[String]) -> String {
    format!(
        "docker service update --quiet {} {}",
        flags.join(" "),
        sh(svc)
    )
}

fn command(
    d: &Deployment,
    f: &Finding,
    settings: &crate::config::Settings,
) -> Result<Command, String> {
    let svc = (f.object.kind == ObjectKind::Service)
        .then(|| d.services.iter().find(|s| s.name == f.object.name))
        .flatten();
    let svc_name = svc
        .and_then(|s| s.full_name.clone())
        .unwrap_or_else(|| f.object.name.clone());
    let object = match f.object.kind {
        ObjectKind::Service => format!("service {svc_name}"),
        ObjectKind::Network => format!(
            "network {}",
            d.network(&f.object.name)
                .and_then(|n| n.full_name.as_deref())
                .unwrap_or(&f.object.name)
        ),
        k => format!("{} {}", k.as_str(), f.object.name),
    };
    let upd = |rule, unsafe_, comment: String, flags: Vec<String>| {
        Ok(Command {
            rule,
            object: object.clone(),
            comment,
            lines: vec![service_update(&svc_name, &flags)],
            unsafe_,
            phase: 1,
            finding: 0,
        })
    };
    let s = |x: &str| x.to_string();
    match f.rule {
        "SA301" => upd(
            "SA301",
            true,
            format!("limit memory to {} (a chosen value: too low and tasks are OOM-killed)", settings.fix_memory),
            vec![format!("--limit-memory {}", sh(&settings.fix_memory))],
        ),
        "SA302" => upd(
            "SA302",
            true,
            format!("limit CPU to {} (a chosen value: too low and the service is throttled)", settings.fix_cpus),
            vec![format!("--limit-cpu {}", sh(&settings.fix_cpus))],
        ),
        "SA303" => upd(
            "SA303",
            true,
            format!("limit processes to {} (a chosen value: too low and the service cannot fork)", settings.fix_pids),
            vec![format!("--limit-pids {}", settings.fix_pids)],
        ),
        "SA603" => {
            let mut flags = vec![s("--update-failure-action rollback")];
            if svc.is_some_and(|s| s.deploy.update_config.is_none()) {
                flags.extend([
                    format!("--update-parallelism {}", defaults::UPDATE_PARALLELISM),
                    format!("--update-delay {}", defaults::UPDATE_DELAY),
                    format!("--update-monitor {}", defaults::UPDATE_MONITOR),
                ]);
            }
            upd("SA603", false, s("roll back a failed update instead of pausing half-updated"), flags)
        }
        "SA605" => upd(
            "SA605",
            false,
            format!("configure rollbacks: parallelism {}, failure action {}, monitor {}", defaults::ROLLBACK_PARALLELISM, defaults::ROLLBACK_FAILURE_ACTION, defaults::ROLLBACK_MONITOR),
            vec![
                format!("--rollback-parallelism {}", defaults::ROLLBACK_PARALLELISM),
                format!("--rollback-failure-action {}", defaults::ROLLBACK_FAILURE_ACTION),
                format!("--rollback-monitor {}", defaults::ROLLBACK_MONITOR),
            ],
        ),
        "SA606" => {
            let keep_condition = svc.is_some_and(|s| s.deploy.restart_policy.as_ref().is_some_and(|r| r.condition.is_some()));
            let mut flags = vec![format!("--restart-max-attempts {}", defaults::RESTART_MAX_ATTEMPTS)];
            if !keep_condition {
                flags.splice(0..0, [format!("--restart-condition {}", defaults::RESTART_CONDITION)]);
                flags.extend([
                    format!("--restart-delay {}", defaults::RESTART_DELAY),
                    format!("--restart-window {}", defaults::RESTART_WINDOW),
                ]);
            }
            upd("SA606", false, format!("stop restarting a crashing task after {} attempts", defaults::RESTART_MAX_ATTEMPTS), flags)
        }
        "SA101" => upd(
            "SA101",
            true,
            format!("run as {} instead of root (the image may need root for some files or ports)", settings.fix_user),
            vec![format!("--user {}", sh(&settings.fix_user))],
        ),
        "SA401" => {
            let Some(svc) = svc else { return Err(s("not a service")) };
            let name = secret_name(&svc.name, &f.key);
            let file_var = format!("{}_FILE", f.key);
            Ok(Command {
                rule: "SA401",
                object: object.clone(),
                comment: format!("move {} into the Docker secret {name} (the image must read {file_var}); create the secret first, reading the value from stdin:", f.key),
                lines: vec![
                    format!("# printf '%s' '<value of {}>' | docker secret create {} -", f.key, sh(&name)),
                    service_update(
                        &svc_name,
                        &[
                            format!("--secret-add source={name},target={name}"),
                            format!("--env-add {}", sh(&format!("{file_var}=/run/secrets/{name}"))),
                            format!("--env-rm {}", sh(&f.key)),
                        ],
                    ),
                ],
                unsafe_: true,
                phase: 1,
                finding: 0,
            })
        }
        "SA506" => {
            let image = svc.and_then(|s| s.image.as_ref()).map(|i| i.text.clone()).ok_or("no image")?;
            upd(
                "SA506",
                true,
                s("resolve the tag to a digest on the manager and pin it (may roll out a newer image if the tag moved)"),
                vec![format!("--with-registry-auth --image {}", sh(&image))],
            )
        }
        "SA201" => {
            let net = d.network(&f.object.name).ok_or("the network is not attached")?;
            let full = net.full_name.clone().unwrap_or_else(|| net.name.clone());
            let new = format!("{full}_encrypted");
            let mut lines = vec![format!(
                "docker network create --driver overlay --opt encrypted{}{}{} {}",
                if net.attachable.as_ref().is_some_and(|a| a.text == "true") { " --attachable" } else { "" },
                if net.internal.as_ref().is_some_and(|a| a.text == "true") { " --internal" } else { "" },
                if d.stack.is_empty() { String::new() } else { format!(" --label com.docker.stack.namespace={}", sh(&d.stack)) },
                sh(&new)
            )];
            let users: Vec<&crate::model::Service> = d
                .services
                .iter()
                .filter(|s| s.effective_networks().contains(&net.name.as_str()))
                .collect();
            for u in &users {
                let name = u.full_name.clone().unwrap_or_else(|| u.name.clone());
                lines.push(service_update(
                    &name,
                    &[
                        format!("--network-add {}", sh(&format!("name={new},alias={}", u.name))),
                        format!("--network-rm {}", sh(&full)),
                    ],
                ));
            }
            lines.push(format!("# once nothing uses it: docker network rm {}", sh(&full)));
            Ok(Command {
                rule: "SA201",
                object,
                comment: format!(
                    "overlay options cannot change in place: create the encrypted overlay {new}, then move {} onto it (tasks restart; the stack file must be fixed too, or the next deploy moves them back)",
                    if users.is_empty() { "nothing".to_string() } else { users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ") }
                ),
                lines,
                unsafe_: true,
                phase: 0,
                finding: 0,
            })
        }
        "SA701" => Ok(Command {
            rule: "SA701",
            object,
            comment: s("turn on autolock: store the printed unlock key safely, every manager restart needs it"),
            lines: vec![s("docker swarm update --autolock=true")],
            unsafe_: true,
            phase: 2,
            finding: 0,
        }),
        "SA705" => Ok(Command {
            rule: "SA705",
            object,
            comment: s("shorten the node certificate lifetime to 30 days (swarm-wide)"),
            lines: vec![s("docker swarm update --cert-expiry 720h")],
            unsafe_: true,
            phase: 2,
            finding: 0,
        }),
        "SA704" => Ok(Command {
            rule: "SA704",
            object,
            comment: s("drain the manager so it runs no workloads (its tasks move to other nodes)"),
            lines: vec![format!("docker node update --availability drain {}", sh(&f.object.name))],
            unsafe_: true,
            phase: 2,
            finding: 0,
        }),
        "SA609" => Err(format!("investigate with `docker service ps --no-trunc {svc_name}`, then `docker service update --force` or `docker service rollback`")),
        _ => Err(s("no command: see `swarmaudit explain` for the remediation")),
    }
}

/// The script text. Unsafe commands are commented out unless `unsafe_fixes`.
pub fn script(
    header: &[String],
    cmds: &[Command],
    none: &[(Finding, String)],
    unsafe_fixes: bool,
) -> String {
    let mut out = String::from("#!/bin/sh\n");
    for h in header {
        out.push_str(&format!("# {h}\n"));
    }
    out.push_str("set -eu\n");
    for c in cmds {
        out.push('\n');
        let mark = if c.unsafe_ { " (unsafe)" } else { "" };
        out.push_str(&format!("# {} {}{mark}: {}\n", c.rule, c.object, c.comment));
        let active = !c.unsafe_ || unsafe_fixes;
        if !active {
            out.push_str("# not included without --unsafe-fixes:\n");
        }
        for l in &c.lines {
            if active || l.starts_with('#') {
                out.push_str(l);
            } else {
                out.push_str("# ");
                out.push_str(l);
            }
            out.push('\n');
        }
    }
    if !none.is_empty() {
        out.push_str("\n# findings without a command:\n");
        for (f, why) in none {
            out.push_str(&format!(
                "# {} {} {}: {why}\n",
                f.rule,
                f.object.kind.as_str(),
                f.object.full_name.as_deref().unwrap_or(&f.object.name)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sh;

    #[test]
    fn shell_quoting() {
        assert_eq!(sh("mon_web"), "mon_web");
        assert_eq!(sh("name=a,alias=b"), "name=a,alias=b");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), "'it'\\''s'");
        assert_eq!(sh(""), "''");
    }
}
