//! SA6xx: health and update policy.

pub mod healthcheck_disabled;
pub mod legacy_restart_key;
pub mod no_healthcheck;
pub mod no_rollback_config;
pub mod restart_policy_unbounded;
pub mod risky_update_pacing;
pub mod update_failure_action_not_rollback;
pub mod update_monitor_shorter_than_health_detection;
pub mod update_paused_or_not_converged;

use crate::model::{Loc, Service};

/// Where a missing `deploy.*` setting is reported: the `deploy` key, else the service key.
pub fn deploy_anchor(svc: &Service) -> &Loc {
    svc.deploy.loc.as_ref().unwrap_or(&svc.loc)
}
