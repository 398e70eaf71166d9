//! SA502: the stack file does not pin the image to a digest.

use crate::model::Deployment;
use crate::rules::image::parse_ref;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        let Some(img) = svc
            .image
            .as_ref()
            .filter(|i| i.is_known() && !i.text.trim().is_empty())
        else {
            continue;
        };
        if parse_ref(&img.text).digest.is_none() {
            sink.service(
                svc,
                &img.loc,
                "image",
                format!(
                    "image `{}` is not pinned to a digest: what runs depends on what the tag points to at deploy time (pin `@sha256:…` and let a bot bump it){}",
                    img.text,
                    crate::rules::image::pin_suggestion(svc, &img.text)
                ),
            );
        }
    }
}
