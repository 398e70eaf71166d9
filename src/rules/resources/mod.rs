//! SA3xx: resources and availability.

pub mod no_cpu_limit;
pub mod no_memory_limit;
pub mod no_pids_limit;
pub mod single_replica;

use crate::model::{Loc, Service};

/// Where a missing limit is reported: `deploy.resources.limits` when present, else the
/// `deploy` key, else the service key.
pub fn limits_anchor(svc: &Service) -> &Loc {
    svc.deploy
        .limits
        .loc
        .as_ref()
        .or(svc.deploy.loc.as_ref())
        .unwrap_or(&svc.loc)
}
