//! SA504: the image was built long ago (config `created`), so its packages miss every fix since.
//! Reproducible builds write a placeholder date (1970, 0001): their age is unknown, not old.

use crate::finding::Severity;
use crate::model::{Deployment, ImageFact};
use crate::registry::time::{format_date, now, parse_rfc3339};
use crate::rules::Sink;

/// Build dates before 2000-01-01 are placeholders of reproducible builds.
const PLACEHOLDER_BEFORE: i64 = 946_684_800;

pub fn check(d: &Deployment, sink: &mut Sink) {
    let (medium, high) = sink.settings.image_max_age_days;
    for svc in &d.services {
        let Some(img) = svc.image.as_ref().filter(|i| i.is_known()) else {
            continue;
        };
        let info = &svc.image_info;
        let observed = info.observed_at.unwrap_or_else(now);
        match &info.created {
            ImageFact::Known(created) => match parse_rfc3339(created) {
                Some(t) if t < PLACEHOLDER_BEFORE => {
                    let f = sink.service(
                        svc,
                        &img.loc,
                        "image",
                        format!(
                            "image `{}` says it was built on {}, a reproducible-build placeholder: its age is unknown",
                            img.text,
                            format_date(t)
                        ),
                    );
                    f.unknown = true;
                    f.severity = Severity::Info;
                }
                Some(t) => {
                    let days = (observed - t).div_euclid(86_400);
                    if days < i64::from(medium) {
                        continue;
                    }
                    let f = sink.service(
                        svc,
                        &img.loc,
                        "image",
                        format!(
                            "image `{}` was built on {} ({days} days ago, limit {}): rebuild it on a current base and redeploy",
                            img.text,
                            format_date(t),
                            if days >= i64::from(high) { high } else { medium }
                        ),
                    );
                    if days >= i64::from(high) {
                        f.severity = Severity::High;
                    }
                }
                None => {
                    let f = sink.service(
                        svc,
                        &img.loc,
                        "image",
                        format!(
                            "image `{}` has a build date that is not a date (`{created}`): its age is unknown",
                            img.text
                        ),
                    );
                    f.unknown = true;
                }
            },
            ImageFact::Unknown => {
                // only when a lookup was tried: the registry's error, or (live) the node's
                if let Some(reason) = crate::rules::image::image_config_unknown(svc, d.live) {
                    let f = sink.service(
                        svc,
                        &img.loc,
                        "image",
                        format!(
                            "the build date of image `{}` is unknown: {reason}",
                            img.text
                        ),
                    );
                    f.unknown = true;
                }
            }
        }
    }
}
