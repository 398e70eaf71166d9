//! SA201: an overlay network the stack creates has no `encrypted` option — including the
//! implicit `<stack>_default` network. libnetwork tests the option's presence, not its value.

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for net in &d.networks {
        if net.external || net.encrypted() {
            continue; // external networks are judged in live mode
        }
        if net.driver.as_ref().is_some_and(|dr| !dr.is_known())
            || net.effective_driver() != "overlay"
        {
            continue;
        }
        // stack deploy only creates networks that a service uses
        let users: Vec<&str> = d
            .services
            .iter()
            .filter(|s| s.effective_networks().contains(&net.name.as_str()))
            .map(|s| s.name.as_str())
            .collect();
        if users.is_empty() {
            continue;
        }
        let msg = if net.implicit {
            format!(
                "service{} {} join{} the implicit `<stack>_default` network, which docker stack deploy creates as an unencrypted overlay: traffic between nodes crosses the wire in clear text (declare `networks: {{default: {{driver_opts: {{encrypted: \"true\"}}}}}}`)",
                if users.len() == 1 { "" } else { "s" },
                users.join(", "),
                if users.len() == 1 { "s" } else { "" }
            )
        } else {
            format!(
                "overlay network `{}` is not encrypted: traffic of {} between nodes crosses the wire in clear text (add `driver_opts: {{encrypted: \"true\"}}`)",
                net.name,
                users.join(", ")
            )
        };
        sink.report(
            ObjectRef::new(ObjectKind::Network, &net.name),
            &net.loc,
            "",
            msg,
        );
    }
}
