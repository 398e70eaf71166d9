//! SA109: the container's root filesystem is writable (`read_only` absent or false;
//! `ContainerSpec.ReadOnly` false), so an intruder can modify binaries and drop tools.

use crate::model::Deployment;
use crate::rules::locate::{missing_at, CS};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        match &svc.read_only {
            Some(v) if !v.is_known() => {
                let f = sink.service(
                    svc,
                    &v.loc,
                    "read_only",
                    format!(
                        "`read_only` depends on ${{{}}}, which has no value here: whether the root filesystem is writable is unknown",
                        v.unresolved.join("}, ${")
                    ),
                );
                f.unknown = true;
            }
            Some(v) if v.as_bool() == Some(true) => {}
            Some(v) => {
                sink.service(
                    svc,
                    &v.loc,
                    "read_only",
                    format!("`read_only: {}` leaves the container's root filesystem writable: an intruder can replace binaries and persist tools (set `read_only: true`, with a tmpfs volume for scratch space)", v.text),
                );
            }
            None => {
                sink.service(
                    svc,
                    &missing_at(svc, &svc.loc, &format!("{CS}.ReadOnly")),
                    "read_only",
                    "no `read_only: true`: the container's root filesystem is writable, so an intruder can replace binaries and persist tools (mount a tmpfs volume for scratch space)",
                );
            }
        }
    }
}
