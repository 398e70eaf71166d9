//! SA714: daemon.json is not owned by `root:root` or is writable by others than root: whoever
//! can change it configures the daemon (hosts, registries, runtimes) at its next restart.

use crate::model::host::HostFact;
use crate::model::Deployment;
use crate::rules::host::node_object;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for h in &d.hosts {
        let loc = h.loc(h.daemon_json_path.clone());
        match &h.daemon_json {
            // no file: nothing to protect (the defaults apply)
            HostFact::Known(None) => {}
            HostFact::Known(Some(st)) => {
                let mut why = vec![];
                if st.uid != 0 || st.gid != 0 {
                    why.push(format!("owned by {} instead of root:root", st.owner()));
                }
                if st.extra_bits(0o644) != 0 {
                    why.push(format!("mode {:04o} is more open than 0644", st.mode));
                }
                if !why.is_empty() {
                    sink.report(
                        node_object(h),
                        &loc,
                        "daemon.json",
                        format!(
                            "{} on {} is {} (`chown root:root {p}; chmod 644 {p}`)",
                            h.daemon_json_path,
                            h.hostname,
                            why.join("; "),
                            p = h.daemon_json_path
                        ),
                    );
                }
            }
            HostFact::Unknown(reason) => {
                let f = sink.report(
                    node_object(h),
                    &loc,
                    "daemon.json",
                    format!(
                        "the ownership and mode of {} on {} could not be read: {reason}",
                        h.daemon_json_path, h.hostname
                    ),
                );
                f.unknown = true;
            }
        }
    }
}
