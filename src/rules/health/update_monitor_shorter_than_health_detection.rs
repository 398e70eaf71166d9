//! SA608: the update monitor (default 5 s) ends before the healthcheck can mark a new task
//! unhealthy (`start_period + interval × retries`), so a failing release passes as healthy and
//! `failure_action` never triggers. Fields the service leaves unset come from the image's
//! HEALTHCHECK, then Docker's defaults (interval 30 s, 3 retries, no start period); when they
//! would come from an image whose healthcheck is not known, the rule says nothing.

use crate::model::{Deployment, HealthTiming, ImageFact, Val};
use crate::rules::health::deploy_anchor;
use crate::rules::Sink;

const SECOND: u64 = 1_000_000_000;
/// swarmkit's default update monitor.
const DEFAULT_MONITOR: u64 = 5 * SECOND;
const DEFAULT_INTERVAL: u64 = 30 * SECOND;
const DEFAULT_RETRIES: u64 = 3;

/// `1m30s` from nanoseconds.
pub fn human(ns: u64) -> String {
    let s = ns / SECOND;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// One timing field: the service's value when set (non-zero), else the image's when known
/// (non-zero), else the default. `Err(())`: an unset variable; `Ok(None)`: the image would
/// decide, and its healthcheck is not known.
fn field(
    own: Option<&Val>,
    parse: fn(&Val) -> Option<u64>,
    image: Option<u64>,
    default: u64,
) -> Result<Option<u64>, ()> {
    let own = match own {
        Some(v) if !v.is_known() => return Err(()),
        Some(v) => parse(v).ok_or(())?,
        None => 0,
    };
    Ok(match (own, image) {
        (0, Some(0)) => Some(default),
        (0, Some(i)) => Some(i),
        (0, None) => None,
        (n, _) => Some(n),
    })
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc.is_job() {
            continue;
        }
        let hc = svc.healthcheck.as_ref();
        if hc.is_some_and(|h| h.is_disabled()) {
            continue; // SA602
        }
        let own_test = hc.is_some_and(|h| h.test.as_ref().is_some_and(|t| !t.is_empty()));
        let image = match (
            &svc.image_info.has_healthcheck,
            &svc.image_info.health_timing,
        ) {
            (ImageFact::Known(_), ImageFact::Known(t)) => Some(*t),
            _ => None,
        };
        let image_has_test = matches!(svc.image_info.has_healthcheck, ImageFact::Known(true));
        if !own_test && !image_has_test {
            continue; // no healthcheck (SA601), or the image's is unknown
        }
        let img = |f: fn(&HealthTiming) -> u64| image.map(|t| f(&t));
        let (Ok(interval), Ok(retries), Ok(start)) = (
            field(
                hc.and_then(|h| h.interval.as_ref()),
                Val::as_duration_ns,
                img(|t| t.interval_ns),
                DEFAULT_INTERVAL,
            ),
            field(
                hc.and_then(|h| h.retries.as_ref()),
                Val::as_u64,
                img(|t| t.retries),
                DEFAULT_RETRIES,
            ),
            field(
                hc.and_then(|h| h.start_period.as_ref()),
                Val::as_duration_ns,
                img(|t| t.start_period_ns),
                0,
            ),
        ) else {
            continue;
        };
        // an unknown start period only lengthens detection: judge with the lower bound
        let (Some(interval), Some(retries)) = (interval, retries) else {
            continue; // the image's HEALTHCHECK would decide: unknown
        };
        let at_least = start.is_none();
        let start = start.unwrap_or(0);
        let detection = start.saturating_add(interval.saturating_mul(retries));
        let monitor_val = svc
            .deploy
            .update_config
            .as_ref()
            .and_then(|u| u.monitor.as_ref());
        let monitor = match monitor_val {
            Some(m) if !m.is_known() => continue,
            Some(m) => match m.as_duration_ns() {
                Some(0) => DEFAULT_MONITOR,
                Some(n) => n,
                None => continue,
            },
            None => DEFAULT_MONITOR,
        };
        if monitor >= detection {
            continue;
        }
        let loc = monitor_val
            .map(|m| &m.loc)
            .or(svc.deploy.update_config.as_ref().map(|u| &u.loc))
            .unwrap_or_else(|| deploy_anchor(svc));
        let shown = match monitor_val {
            Some(m) => format!("`update_config.monitor: {}`", m.text),
            None => "the default update monitor (5s)".to_string(),
        };
        sink.service(
            svc,
            loc,
            "update_config.monitor",
            format!(
                "{shown} ends before the healthcheck can mark a new task unhealthy (start_period {}{} + interval {} × retries {retries} = {}{}): a failing release passes the update; set `monitor: {}` or more",
                human(start),
                if at_least { " or the image's" } else { "" },
                human(interval),
                if at_least { "at least " } else { "" },
                human(detection),
                human(detection)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn durations_read_like_go() {
        assert_eq!(human(0), "0s");
        assert_eq!(human(5_000_000_000), "5s");
        assert_eq!(human(90_000_000_000), "1m30s");
        assert_eq!(human(3_600_000_000_000), "1h");
    }
}
