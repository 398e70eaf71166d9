//! SA108: seccomp or AppArmor confinement switched off. Live: `Privileges.Seccomp.Mode ==
//! unconfined` or `Privileges.AppArmor.Mode == disabled` (API 1.44). Stack files cannot set
//! either (`security_opt` is ignored, SA001), so `seccomp=unconfined`/`apparmor=unconfined`
//! there is reported as intent, at low severity.

use crate::finding::Severity;
use crate::model::Deployment;
use crate::rules::Sink;

/// `seccomp=unconfined`, `seccomp:unconfined`, `apparmor=unconfined` (either separator, any case).
fn disabled_profile(opt: &str) -> Option<&'static str> {
    let (k, v) = opt.split_once(['=', ':'])?;
    if !v.trim().eq_ignore_ascii_case("unconfined") {
        return None;
    }
    match k.trim().to_ascii_lowercase().as_str() {
        "seccomp" => Some("seccomp"),
        "apparmor" => Some("AppArmor"),
        _ => None,
    }
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for opt in svc.security_opt.iter().filter(|o| o.is_known()) {
            if let Some(what) = disabled_profile(&opt.text) {
                let f = sink.service(
                    svc,
                    &opt.loc,
                    "security_opt",
                    format!("`security_opt: {}` asks to run without the {what} profile: docker stack deploy ignores it (the swarm service keeps the default profile), but the service evidently expects to run unconfined, and `docker compose` or `docker run` with this file would disable it", opt.text),
                );
                f.severity = Severity::Low;
            }
        }
        let p = &svc.privileges;
        if let Some(m) = p.seccomp_mode.as_ref().filter(|m| m.text == "unconfined") {
            sink.service(
                svc,
                &m.loc,
                "seccomp",
                "the service runs with seccomp `unconfined`: every system call is open to the container, including those used in kernel exploits and escapes",
            );
        }
        if let Some(m) = p.apparmor_mode.as_ref().filter(|m| m.text == "disabled") {
            sink.service(
                svc,
                &m.loc,
                "apparmor",
                "the service runs with AppArmor `disabled`: the container loses the docker-default profile that blocks writes to /proc and /sys and mounts",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::disabled_profile;

    #[test]
    fn forms_of_unconfined() {
        assert_eq!(disabled_profile("seccomp=unconfined"), Some("seccomp"));
        assert_eq!(disabled_profile("seccomp:unconfined"), Some("seccomp"));
        assert_eq!(disabled_profile("apparmor=unconfined"), Some("AppArmor"));
        assert_eq!(disabled_profile("seccomp=/etc/profile.json"), None);
        assert_eq!(disabled_profile("no-new-privileges:true"), None);
        assert_eq!(disabled_profile("label=disable"), None);
    }
}
