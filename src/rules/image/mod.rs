//! SA5xx: images.

pub mod end_of_life_base;
pub mod eol;
pub mod image_build_old;
pub mod image_not_digest_pinned;
pub mod latest_or_implicit_tag;
pub mod live_image_not_digest_pinned;
pub mod running_image_stale;
pub mod untrusted_or_insecure_registry;

/// `; the tag points to sha256:… now: pin `nginx:1.27@sha256:…`` when a registry lookup
/// (`--resolve-images`) learned the digest, else nothing.
pub fn pin_suggestion(svc: &crate::model::Service, image: &str) -> String {
    let digest = svc
        .image_info
        .registry
        .as_ref()
        .and_then(|r| r.tag_digest.as_deref());
    match (digest, crate::registry::reference::Reference::parse(image)) {
        (Some(d), Ok(r)) => format!(
            "; the registry serves {d} for it now: pin `{}`",
            r.pinned(d)
        ),
        _ => String::new(),
    }
}

/// Why the image's own config is unknown, when reading it was tried: the registry's error, or
/// in live mode why the node's image could not be inspected.
pub fn image_config_unknown(svc: &crate::model::Service, live: bool) -> Option<&str> {
    svc.image_info
        .lookup_error()
        .or(svc.image_unknown_reason.as_deref().filter(|_| live))
}

/// An image reference split the way docker does: `[host[:port]/]path[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

pub fn parse_ref(image: &str) -> ImageRef<'_> {
    let image = image.trim();
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    // a ':' after the last '/' separates the tag; before it, it is a registry port
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(i) => ImageRef {
            name: &rest[..last_slash + i],
            tag: Some(&rest[last_slash + i + 1..]),
            digest,
        },
        None => ImageRef {
            name: rest,
            tag: None,
            digest,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(parse_ref("nginx").tag, None);
        assert_eq!(parse_ref("nginx:1.27").tag, Some("1.27"));
        let r = parse_ref("registry.local:5000/team/app");
        assert_eq!((r.name, r.tag), ("registry.local:5000/team/app", None));
        let r = parse_ref("registry.local:5000/app:2@sha256:abc");
        assert_eq!(
            (r.name, r.tag, r.digest),
            ("registry.local:5000/app", Some("2"), Some("sha256:abc"))
        );
    }
}
