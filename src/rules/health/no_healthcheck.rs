//! SA601: neither the service nor (when known) its image defines a healthcheck: swarm routes to
//! and keeps tasks that are up but broken, and updates cannot detect failure.

use crate::model::{Deployment, ImageFact};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        if svc.is_job() {
            continue;
        }
        let own_test = svc
            .healthcheck
            .as_ref()
            .is_some_and(|h| h.is_disabled() || h.test.as_ref().is_some_and(|t| !t.is_empty()));
        if own_test {
            continue; // disabled is SA602
        }
        let loc = svc.healthcheck.as_ref().map_or(&svc.loc, |h| &h.loc);
        match svc.image_info.has_healthcheck {
            ImageFact::Known(true) => {}
            ImageFact::Known(false) => {
                sink.service(svc, loc, "healthcheck", "no healthcheck: neither the service nor its image defines one, so swarm keeps and routes to tasks that are running but broken");
            }
            ImageFact::Unknown => {
                let why = match crate::rules::image::image_config_unknown(svc, d.live) {
                    Some(e) => format!("the image config could not be read: {e}"),
                    None => "not checked in file mode without --resolve-images".into(),
                };
                let f = sink.service(svc, loc, "healthcheck", format!("no `healthcheck`: unless the image defines a HEALTHCHECK ({why}), swarm keeps and routes to tasks that are running but broken"));
                f.unknown = true;
            }
        }
    }
}
