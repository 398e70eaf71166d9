//! SA712: the daemon does not set no-new-privileges for every container: setuid binaries in a
//! container can still raise privileges (swarm services cannot set it per service).

use crate::model::Deployment;
use crate::rules::host::{each_daemon, node_object};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    each_daemon(d, sink, "no-new-privileges", |h, s, sink| {
        match &s.no_new_privileges {
            Some(v) if v.as_bool() == Some(true) => {}
            Some(v) => {
                sink.report(
                    node_object(h),
                    &v.loc,
                    "no-new-privileges",
                    format!(
                        "no-new-privileges is `{}` on {}: processes in containers can gain privileges through setuid binaries (set `\"no-new-privileges\": true`)",
                        v.text, h.hostname
                    ),
                );
            }
            None => {
                sink.report(
                    node_object(h),
                    &s.loc,
                    "no-new-privileges",
                    format!(
                        "no-new-privileges is not set on {} (default off): processes in containers can gain privileges through setuid binaries, and swarm services cannot turn it on themselves (set `\"no-new-privileges\": true` in daemon.json)",
                        h.hostname
                    ),
                );
            }
        }
    });
}
