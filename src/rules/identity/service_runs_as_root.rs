//! SA101: the service runs as root — `user` unset (the image decides, default root), or set to
//! `root`/`0`, with any group.

use crate::finding::Severity;
use crate::model::{Deployment, ImageFact, Service};
use crate::rules::identity::{
    dangerous_capability_added::dangerous_caps, runtime_socket_mounted::socket_mounts,
    sensitive_host_path_mounted::writable_sensitive_mounts,
};
use crate::rules::Sink;

/// `root`, `0`, `root:grp`, `0:0`.
pub fn is_root_user(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("").trim();
    // the engine parses numeric users as integers: "00" and "+0" are uid 0 too
    let numeric = name.strip_prefix('+').unwrap_or(name);
    name == "root"
        || (!numeric.is_empty()
            && numeric.bytes().all(|b| b.is_ascii_digit())
            && numeric.bytes().all(|b| b == b'0'))
}

/// Root combined with a dangerous capability, the runtime socket or a writable sensitive bind
/// mount is a host takeover: the finding is raised to high.
fn escalates(svc: &Service) -> bool {
    !dangerous_caps(svc).is_empty()
        || !socket_mounts(svc).is_empty()
        || !writable_sensitive_mounts(svc).is_empty()
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        let high = escalates(svc);
        match &svc.user {
            Some(u) if !u.is_known() => {
                let f = sink.service(
                    svc,
                    &u.loc,
                    "user",
                    format!(
                        "`user` depends on ${{{}}}, which has no value here: whether the service runs as root is unknown",
                        u.unresolved.join("}, ${")
                    ),
                );
                f.unknown = true;
                f.severity = Severity::Info;
            }
            Some(u) if is_root_user(&u.text) => {
                let f = sink.service(
                    svc,
                    &u.loc,
                    "user",
                    format!("`user: {}` runs the service's processes as root", u.text),
                );
                if high {
                    f.severity = Severity::High;
                }
            }
            Some(_) => {}
            None => {
                match &svc.image_info.user {
                    ImageFact::Known(u) if !u.is_empty() && !is_root_user(u) => {}
                    ImageFact::Known(_) => {
                        let f = sink.service(
                        svc,
                        &svc.loc,
                        "user",
                        "no `user` is set and the image's USER is root: the service runs as root",
                    );
                        if high {
                            f.severity = Severity::High;
                        }
                    }
                    ImageFact::Unknown => {
                        let why = match crate::rules::image::image_config_unknown(svc, d.live) {
                        Some(e) => format!("the image config could not be read: {e}"),
                        None => "the image config is not checked in file mode without --resolve-images".into(),
                    };
                        let f = sink.service(
                        svc,
                        &svc.loc,
                        "user",
                        format!("no `user` is set: the service runs as the image's USER, which is root unless the image sets another ({why})"),
                    );
                        f.unknown = true;
                        if high {
                            f.severity = Severity::High;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_root_user;

    #[test]
    fn root_forms() {
        for u in ["root", "0", "0:0", "root:wheel", " 0 ", "00", "+0"] {
            assert!(is_root_user(u), "{u}");
        }
        for u in ["1000", "1000:0", "nobody", "10001:10001", "rootless"] {
            assert!(!is_root_user(u), "{u}");
        }
    }
}
