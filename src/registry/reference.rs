//! Image references normalised the way the docker CLI and daemon do it
//! (distribution/reference `ParseNormalizedNamed`): `nginx` → `docker.io/library/nginx:latest`,
//! `registry.local:5000/app:2@sha256:…`, `localhost/app`, `[::1]:5000/app`.

use std::fmt;

/// Docker Hub's canonical name and the host its registry API is served from.
pub const DOCKER_HUB: &str = "docker.io";
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    /// `docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`.
    pub registry: String,
    /// `library/nginx`, `team/app`.
    pub repository: String,
    /// The tag as written (`None` when the reference has only a digest or nothing: then
    /// [`Reference::tag_or_latest`] applies, as docker does without a digest).
    pub tag: Option<String>,
    /// `sha256:<64 hex>`.
    pub digest: Option<String>,
}

impl Reference {
    /// Parse a reference as `docker pull` would. Errors say what is wrong.
    pub fn parse(s: &str) -> Result<Reference, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty image reference".into());
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (s, None),
        };
        if let Some(d) = digest {
            validate_digest(d)?;
        }
        // a ':' after the last '/' separates the tag; before it, it is a registry port
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(t) = tag {
            validate_tag(t)?;
        }
        let (registry, path) = split_domain(name);
        if path.is_empty() {
            return Err(format!("`{s}`: no repository name"));
        }
        for part in path.split('/') {
            validate_component(part).map_err(|e| format!("`{s}`: {e}"))?;
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_string()
        };
        Ok(Reference {
            registry,
            repository,
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        })
    }

    /// The tag docker pulls: the written one, else `latest` unless a digest is given.
    pub fn tag_or_latest(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }

    /// `docker.io/library/nginx` (no tag or digest).
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The host (and port) the registry API is reached at.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// The registry's host without the port (for loopback checks).
    pub fn host_only(&self) -> &str {
        host_without_port(&self.registry)
    }

    /// The name as docker writes it for humans: `nginx`, `prom/prometheus`, `ghcr.io/x/y`.
    pub fn familiar_name(&self) -> String {
        if self.registry == DOCKER_HUB {
            self.repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
                .to_string()
        } else {
            self.name()
        }
    }

    /// The reference as docker would write it for humans: `nginx:1.27`, `ghcr.io/x/y:1`.
    pub fn familiar(&self) -> String {
        let mut out = self.familiar_name();
        if let Some(t) = &self.tag {
            out.push(':');
            out.push_str(t);
        }
        if let Some(d) = &self.digest {
            out.push('@');
            out.push_str(d);
        }
        out
    }

    /// The same reference with the tag `docker pull` uses and `digest` appended: the pin
    /// suggestion `nginx:1.27@sha256:…`.
    pub fn pinned(&self, digest: &str) -> String {
        let mut r = self.clone();
        if r.tag.is_none() && r.digest.is_none() {
            r.tag = Some("latest".into());
        }
        r.digest = Some(digest.to_string());
        r.familiar()
    }
}

impl fmt::Display for Reference {
    /// Canonical: `docker.io/library/nginx:latest`, `host:5000/app@sha256:…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(t) = self.tag_or_latest() {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// `registry.local:5000` → `registry.local`; `[::1]:5000` → `::1`.
pub fn host_without_port(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    registry.split(':').next().unwrap_or(registry)
}

/// Docker's rule: the first path component is a registry when it contains `.` or `:`, is
/// `localhost`, or has upper-case letters; otherwise the image is on Docker Hub.
fn split_domain(name: &str) -> (String, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.to_lowercase() != first =>
        {
            let domain = if first == "index.docker.io" {
                DOCKER_HUB
            } else {
                first
            };
            (domain.to_string(), rest)
        }
        _ => (DOCKER_HUB.to_string(), name),
    }
}

/// A path component: `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`.
fn validate_component(c: &str) -> Result<(), String> {
    let ok = !c.is_empty()
        && c.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
        && !c.contains("..")
        && !c.contains("___")
        && !c.contains("._")
        && !c.contains("_.");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid repository name component `{c}` (lower-case letters, digits and . _ - only)"
        ))
    }
}

/// `[\w][\w.-]{0,127}`.
fn validate_tag(t: &str) -> Result<(), String> {
    let ok = !t.is_empty()
        && t.len() <= 128
        && t.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid tag `{t}`"))
    }
}

/// `sha256:` and 64 lower-case hex digits (the only algorithm registries use in practice;
/// sha512 is accepted with 128).
pub fn validate_digest(d: &str) -> Result<(), String> {
    let ok = match d.split_once(':') {
        Some(("sha256", hex)) => hex.len() == 64,
        Some(("sha512", hex)) => hex.len() == 128,
        _ => false,
    } && d.split_once(':').is_some_and(|(_, h)| {
        h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid digest `{d}` (expected sha256:<64 hex digits>)"
        ))
    }
}

/// Loopback registries: docker treats 127.0.0.0/8, `localhost` and `::1` as insecure
/// (plain HTTP allowed) without configuration.
pub fn is_loopback(registry: &str) -> bool {
    let host = host_without_port(registry);
    if host == "localhost" || host == "::1" {
        return true;
    }
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn canon(s: &str) -> String {
        Reference::parse(s)
            .map(|r| r.to_string())
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn normalises_like_docker() {
        assert_eq!(canon("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(canon("nginx:1.27"), "docker.io/library/nginx:1.27");
        assert_eq!(canon("prom/prometheus"), "docker.io/prom/prometheus:latest");
        assert_eq!(canon("docker.io/nginx"), "docker.io/library/nginx:latest");
        assert_eq!(
            canon("index.docker.io/nginx"),
            "docker.io/library/nginx:latest"
        );
        assert_eq!(canon("ghcr.io/o/r:v1"), "ghcr.io/o/r:v1");
        assert_eq!(canon("localhost/app"), "localhost/app:latest");
        assert_eq!(canon("127.0.0.1:5000/app"), "127.0.0.1:5000/app:latest");
        assert_eq!(canon("[::1]:5000/app:2"), "[::1]:5000/app:2");
        assert_eq!(
            canon(&format!("registry.local:5000/team/app:2@{D}")),
            format!("registry.local:5000/team/app:2@{D}")
        );
        assert_eq!(
            canon(&format!("nginx@{D}")),
            format!("docker.io/library/nginx@{D}")
        );
        let r = Reference::parse("127.0.0.1:5000/app").expect("parses");
        assert_eq!(
            (r.api_host(), r.host_only()),
            ("127.0.0.1:5000", "127.0.0.1")
        );
        assert_eq!(
            Reference::parse("nginx").expect("parses").api_host(),
            "registry-1.docker.io"
        );
        assert_eq!(
            Reference::parse("nginx").expect("parses").pinned(D),
            format!("nginx:latest@{D}")
        );
    }

    #[test]
    fn rejects_what_docker_rejects() {
        for bad in [
            "",
            "Nginx",
            "nginx:",
            "nginx@sha256:abc",
            "nginx:-x",
            "a//b",
            "host:5000/",
            "nginx:1.0@md5:abc",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn loopback_registries() {
        for r in [
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "localhost",
        ] {
            assert!(is_loopback(r), "{r}");
        }
        for r in [
            "registry.local:5000",
            "10.0.0.1:5000",
            "docker.io",
            "localhost.example",
        ] {
            assert!(!is_loopback(r), "{r}");
        }
    }
}
