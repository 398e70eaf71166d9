//! SA505: the image is based on an operating system or runtime past its end of life (no more
//! security fixes), judged from the tag and the image's OCI labels against `data/eol.toml`.

use crate::model::{Deployment, ImageFact};
use crate::registry::time::{format_date, now};
use crate::rules::image::eol;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        let Some(img) = svc.image.as_ref().filter(|i| i.is_known()) else {
            continue;
        };
        let info = &svc.image_info;
        let observed = info.observed_at.unwrap_or_else(now);
        let mut hints = eol::from_reference(&img.text);
        if let ImageFact::Known(labels) = &info.labels {
            hints.extend(eol::from_labels(labels));
        }
        let mut past: Vec<eol::Hint> = vec![];
        for h in hints {
            if h.eol_secs().is_some_and(|e| e <= observed)
                && !past
                    .iter()
                    .any(|p| p.product == h.product && p.version == h.version)
            {
                past.push(h);
            }
        }
        if !past.is_empty() {
            let list: Vec<String> = past
                .iter()
                .map(|h| {
                    format!(
                        "{} (end of life {}, from the {})",
                        h.describe(),
                        h.eol,
                        h.source
                    )
                })
                .collect();
            sink.service(
                svc,
                &img.loc,
                "image",
                format!(
                    "image `{}` is based on {} as of {}: no more security fixes; move to a supported release",
                    img.text,
                    list.join(" and "),
                    format_date(observed)
                ),
            );
        } else if let Some(err) = info
            .lookup_error()
            .filter(|_| matches!(info.labels, ImageFact::Unknown))
        {
            let f = sink.service(
                svc,
                &img.loc,
                "image",
                format!(
                    "whether image `{}` has an end-of-life base is unknown: its tag gives no hint and its labels could not be read ({err})",
                    img.text
                ),
            );
            f.unknown = true;
        }
    }
}
