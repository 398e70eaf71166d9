//! SA501: `:latest` or no tag (implicitly latest), without a digest: every node may pull a
//! different image, and rollbacks return to whatever `latest` is now.

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
        let r = parse_ref(&img.text);
        if r.digest.is_some() {
            continue;
        }
        let msg = match r.tag {
            None => format!("image `{}` has no tag and means `:latest`: a mutable tag, so nodes and rollbacks may run different images", img.text),
            Some("latest") => format!("image `{}` uses the mutable `latest` tag: nodes and rollbacks may run different images", img.text),
            Some(_) => continue,
        };
        let msg = msg + &crate::rules::image::pin_suggestion(svc, &img.text);
        sink.service(svc, &img.loc, "image", msg);
    }
}
