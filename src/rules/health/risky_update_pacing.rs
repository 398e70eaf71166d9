//! SA604: an update replaces all tasks at once (`parallelism: 0`, or at least as many as there
//! are replicas), or several at a time without a `delay` between batches, so a bad release takes
//! the whole service down before the monitor can notice. Without `update_config` swarm updates
//! one task at a time, and stack deploy fills in `parallelism: 1` when `update_config` omits it.

use crate::model::Deployment;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc.is_job() {
            continue;
        }
        let Some(u) = &svc.deploy.update_config else {
            continue;
        };
        let Some(par) = u.parallelism.as_ref().filter(|p| p.is_known()) else {
            continue; // default 1
        };
        let Some(par_n) = par.as_u64() else { continue };
        // tasks that one update replaces: `None` for global services (one per node)
        let tasks = match svc.mode() {
            "global" => None,
            _ => match &svc.deploy.replicas {
                None => Some(1),
                Some(r) if r.is_known() => match r.as_u64() {
                    Some(n) => Some(n),
                    None => continue,
                },
                Some(_) => continue,
            },
        };
        let several = tasks.is_none_or(|t| t > 1);
        let all_at_once = par_n == 0 || tasks.is_some_and(|t| par_n >= t);
        if several && all_at_once {
            let how = match (par_n, tasks) {
                (0, None) => "`parallelism: 0` updates the tasks on every node at once".to_string(),
                (0, Some(t)) => format!("`parallelism: 0` updates all {t} replicas at once"),
                (p, Some(t)) => format!("`parallelism: {p}` updates all {t} replicas in one batch"),
                (p, None) => format!("`parallelism: {p}`"),
            };
            sink.service(
                svc,
                &par.loc,
                "update_config.parallelism",
                format!("{how}: a bad release replaces every task before the update monitor can stop it (use `parallelism: 1` and a `delay`)"),
            );
            continue;
        }
        if par_n > 1 && several {
            let zero_delay = match &u.delay {
                None => true,
                Some(dl) => dl.is_known() && dl.as_duration_ns() == Some(0),
            };
            if zero_delay {
                let loc = u.delay.as_ref().map_or(&u.loc, |dl| &dl.loc);
                sink.service(
                    svc,
                    loc,
                    "update_config.delay",
                    format!("`parallelism: {par_n}` without a `delay` between batches: the next batch starts as soon as the previous one runs, leaving no time to notice a bad release (set e.g. `delay: 10s`)"),
                );
            }
        }
    }
}
