//! SA103: `cap_drop` does not contain `ALL`, so the service keeps Docker's default capability
//! set. Applied by stack deploy since CLI 20.10 / API 1.41 (`ContainerSpec.CapabilityDrop`).

use crate::model::Deployment;
use crate::rules::identity::dangerous_capability_added::normalize;
use crate::rules::locate::{missing_at, CS};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc
            .cap_drop
            .iter()
            .any(|c| c.is_known() && normalize(&c.text) == "ALL")
        {
            continue;
        }
        let unknown = svc.cap_drop.iter().find(|c| !c.is_known());
        let loc = match (unknown, svc.cap_drop.first()) {
            (Some(c), _) | (None, Some(c)) => c.loc.clone(),
            (None, None) => missing_at(svc, &svc.loc, &format!("{CS}.CapabilityDrop")),
        };
        let msg = match unknown {
            Some(c) => format!(
                "`cap_drop` depends on ${{{}}}, which has no value here: whether ALL capabilities are dropped is unknown",
                c.unresolved.join("}, ${")
            ),
            None if svc.cap_drop.is_empty() => "no `cap_drop: [ALL]`: the service keeps Docker's default capabilities (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID, NET_RAW, …), more than most processes need".to_string(),
            None => "`cap_drop` does not drop ALL: the capabilities it leaves out of the list stay granted (drop ALL and add back only what the process needs)".to_string(),
        };
        let f = sink.service(svc, &loc, "cap_drop", msg);
        f.unknown = unknown.is_some();
    }
}
