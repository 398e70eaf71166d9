//! SA503: a live service runs `repo:tag@sha256:D`, and the registry says the tag now points to
//! another digest: the service runs an image its tag no longer names (security fixes pushed
//! since the deploy are not running).

use crate::model::Deployment;
use crate::registry::reference::Reference;
use crate::rules::Sink;

/// `sha256:0123456789ab` (12 hex digits, as docker shortens ids).
pub fn short(digest: &str) -> &str {
    let cut = digest.find(':').map_or(0, |i| i + 1) + 12;
    digest.get(..cut).unwrap_or(digest)
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    if !d.live {
        return;
    }
    for svc in &d.services {
        let Some(img) = &svc.image else { continue };
        let Some(reg) = &svc.image_info.registry else {
            continue; // registries were not asked (no --resolve-images)
        };
        let Ok(r) = Reference::parse(&img.text) else {
            continue;
        };
        // a spec without a digest is SA506; one without a tag has nothing to compare with
        let (Some(running), Some(tag)) = (&r.digest, &r.tag) else {
            continue;
        };
        let name = svc.full_name.as_deref().unwrap_or(&svc.name);
        match (&reg.tag_digest, &reg.error) {
            (Some(now), _) if now != running => {
                sink.service(
                    svc,
                    &img.loc,
                    "image",
                    format!(
                        "the service runs {} but `{}:{tag}` now points to {}: the tag moved since the deploy (redeploy: `docker service update --with-registry-auth --image {}:{tag} {name}`)",
                        short(running),
                        r.familiar_name(),
                        short(now),
                        r.familiar_name(),
                    ),
                );
            }
            (Some(_), _) => {}
            (None, Some(err)) => {
                let f = sink.service(
                    svc,
                    &img.loc,
                    "image",
                    format!(
                        "whether the running image is stale is unknown: what `{}:{tag}` points to now could not be learned ({err})",
                        r.familiar_name()
                    ),
                );
                f.unknown = true;
            }
            (None, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_digests() {
        assert_eq!(
            super::short("sha256:0123456789abcdef0123456789abcdef"),
            "sha256:0123456789ab"
        );
        assert_eq!(super::short("sha256:01"), "sha256:01");
    }
}
