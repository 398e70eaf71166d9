//! SA406: a top-level secret is created from a file inside the project directory (next to the
//! stack file, where it tends to be committed or copied around), or from a file that group or
//! others can read.

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for s in &d.secrets {
        let (Some(path), Some(local)) = (&s.file, &s.local) else {
            continue;
        };
        let mut reasons = vec![];
        if local.in_project {
            reasons.push("lies inside the project directory".to_string());
        }
        if let Some(mode) = local.mode.filter(|m| m & 0o077 != 0) {
            reasons.push(format!("is readable beyond its owner (mode {mode:04o})"));
        }
        if reasons.is_empty() {
            continue;
        }
        sink.report(
            ObjectRef::new(ObjectKind::Secret, &s.name),
            &path.loc,
            "file",
            format!(
                "secret `{}` is created from `{}`, which {}: keep the value out of the project (create it with `docker secret create` and declare it `external: true`), or render the file at deploy time with mode 0600",
                s.name,
                local.shown,
                reasons.join(" and ")
            ),
        );
    }
}
