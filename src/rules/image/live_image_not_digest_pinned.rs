//! SA506: a running service's image is not pinned to a digest (deployed with `--resolve-image
//! never`, or the registry was unreachable at deploy): each node resolves the tag itself and may
//! run a different image.

use crate::model::Deployment;
use crate::rules::image::parse_ref;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    if !d.live {
        return;
    }
    for svc in &d.services {
        let Some(img) = &svc.image else { continue };
        if parse_ref(&img.text).digest.is_none() {
            sink.service(
                svc,
                &img.loc,
                "image",
                format!(
                    "the service runs `{}` without a digest: every node resolves the tag on its own and may run a different image (redeploy with `--resolve-image always --with-registry-auth`)",
                    img.text
                ),
            );
        }
    }
}
