//! SA609: an update is paused or was rolled back, or fewer tasks run than desired.

use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        let Some(st) = &svc.status else { continue };
        let loc = st.loc.as_ref().unwrap_or(&svc.loc);
        if let Some(state) = st
            .update_state
            .as_deref()
            .filter(|s| matches!(*s, "paused" | "rollback_paused" | "rollback_completed"))
        {
            sink.service(
                svc,
                loc,
                "update",
                format!(
                    "the last update is `{state}`{}: the service does not run the spec that was deployed (`docker service ps --no-trunc {}`)",
                    st.update_message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default(),
                    svc.full_name.as_deref().unwrap_or(&svc.name)
                ),
            );
        }
        if svc.is_job() {
            continue;
        }
        if let (Some(r), Some(want)) = (st.running_tasks, st.desired_tasks) {
            if r < want {
                sink.service(
                    svc,
                    loc,
                    "converged",
                    format!(
                        "{r} of {want} desired tasks are running: the service has not converged"
                    ),
                );
            }
        }
    }
}
