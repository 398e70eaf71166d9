//! SA3xx: resources and availability.

pub mod no_cpu_limit;
pub mod no_memory_limit;
pub mod no_pids_limit;
pub mod no_reservations;
pub mod single_replica;
pub mod stateful_service_on_local_volume;
pub mod workloads_may_run_on_managers;

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

/// A limit is set when present and not zero (stack deploy converts 0 to "no limit"); a value
/// from an unset variable counts as set (it is unknown, not absent).
pub fn is_set(v: Option<&crate::model::Val>) -> bool {
    match v {
        None => false,
        Some(v) if !v.is_known() => true,
        Some(v) => {
            // `0`, `0.0`, `0M`, `0b`: zero with or without a unit
            let number = v
                .text
                .trim()
                .trim_end_matches(|c: char| c.is_ascii_alphabetic());
            !(number.is_empty() || number.parse::<f64>().is_ok_and(|n| n == 0.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_set;
    use crate::model::{Loc, Val};

    #[test]
    fn zero_is_no_limit() {
        let v = |t: &str| {
            Val::api(
                t,
                Loc::Api {
                    object: "s".into(),
                    path: "p".into(),
                },
            )
        };
        for t in ["0", "0.0", "0M", "0b", ""] {
            assert!(!is_set(Some(&v(t))), "{t}");
        }
        for t in ["0.50", "512M", "1", "200"] {
            assert!(is_set(Some(&v(t))), "{t}");
        }
        assert!(!is_set(None));
    }
}
