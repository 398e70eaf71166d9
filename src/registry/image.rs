//! Reading what a registry returns: manifests (OCI index, Docker manifest list, OCI manifest,
//! Docker v2) with oci-spec, platform selection in an index (attestation entries skipped), and
//! the facts rules need from an image config, including Docker's `Healthcheck`, which oci-spec's
//! `Config` does not have.

use std::collections::BTreeMap;
use std::fmt;

use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest};
use serde::{Deserialize, Serialize};

/// `os/arch[/variant]`, as `docker --platform` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            os: "linux".into(),
            arch: "amd64".into(),
            variant: None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    /// `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`; also the engine's `uname -m` names
    /// (`x86_64`, `aarch64`).
    pub fn parse(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.trim().split('/').collect();
        let bad = || format!("`{s}` is not a platform (os/arch[/variant], e.g. linux/amd64)");
        if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        Ok(Platform {
            os: parts[0].to_ascii_lowercase(),
            arch: normalise_arch(parts[1]),
            variant: parts.get(2).map(|v| v.to_ascii_lowercase()),
        })
    }

    /// The platform of a node as the engine reports it (`Architecture: x86_64`, `OS: linux`).
    pub fn from_engine(os: &str, arch: &str) -> Platform {
        let arch_l = arch.to_ascii_lowercase();
        let (arch, variant) = match arch_l.as_str() {
            "armv7l" | "armhf" => ("arm".to_string(), Some("v7".to_string())),
            "armv6l" => ("arm".to_string(), Some("v6".to_string())),
            a => (normalise_arch(a), None),
        };
        Platform {
            os: os.to_ascii_lowercase(),
            arch,
            variant,
        }
    }

    fn matches(&self, os: &str, arch: &str, variant: Option<&str>) -> bool {
        if self.os != os || self.arch != normalise_arch(arch) {
            return false;
        }
        match (&self.variant, variant) {
            (None, _) => true,
            (Some(w), Some(v)) => w == v,
            // arm64 images usually omit the default variant v8
            (Some(w), None) => self.arch == "arm64" && w == "v8",
        }
    }
}

fn normalise_arch(a: &str) -> String {
    match a.to_ascii_lowercase().as_str() {
        "x86_64" | "x86-64" => "amd64".into(),
        "aarch64" => "arm64".into(),
        "i686" | "i386" => "386".into(),
        other => other.to_string(),
    }
}

/// What a manifest document is.
pub enum Manifest {
    Index(Box<ImageIndex>),
    Image(Box<ImageManifest>),
}

#[derive(Deserialize)]
struct Shape {
    #[serde(default, rename = "schemaVersion")]
    schema_version: Option<u32>,
    #[serde(default, rename = "mediaType")]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
    #[serde(default)]
    config: Option<serde_json::Value>,
}

/// Parse a manifest by its `mediaType`, or by its shape when the field is absent (OCI allows
/// that). Schema1 and unknown documents are errors.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, String> {
    let shape: Shape =
        serde_json::from_slice(bytes).map_err(|e| format!("the manifest is not JSON: {e}"))?;
    if shape.schema_version == Some(1)
        || shape
            .media_type
            .as_deref()
            .is_some_and(|m| m.contains("distribution.manifest.v1"))
    {
        return Err("a schema1 manifest (deprecated; the registry ignored the Accept list)".into());
    }
    let is_index = match shape.media_type.as_deref() {
        Some("application/vnd.oci.image.index.v1+json")
        | Some("application/vnd.docker.distribution.manifest.list.v2+json") => true,
        Some("application/vnd.oci.image.manifest.v1+json")
        | Some("application/vnd.docker.distribution.manifest.v2+json") => false,
        Some(other) => return Err(format!("an unsupported manifest type `{other}`")),
        None if shape.manifests.is_some() => true,
        None if shape.config.is_some() => false,
        None => return Err("a document that is neither an image index nor a manifest".into()),
    };
    // serde_json directly (oci-spec's types are serde types): its errors name the field
    if is_index {
        serde_json::from_slice::<ImageIndex>(bytes)
            .map(|i| Manifest::Index(Box::new(i)))
            .map_err(|e| format!("an invalid image index: {e}"))
    } else {
        serde_json::from_slice::<ImageManifest>(bytes)
            .map(|m| Manifest::Image(Box::new(m)))
            .map_err(|e| format!("an invalid image manifest: {e}"))
    }
}

/// Attestation manifests (buildx provenance/SBOM) are listed as `unknown/unknown`.
fn is_attestation(d: &Descriptor) -> bool {
    d.annotations()
        .as_ref()
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .is_some_and(|t| t == "attestation-manifest")
        || d.platform().as_ref().is_some_and(|p| {
            p.os().to_string() == "unknown" || p.architecture().to_string() == "unknown"
        })
}

/// The index entry for `want`, or an error listing what the index offers.
pub fn select_platform<'a>(
    index: &'a ImageIndex,
    want: &Platform,
) -> Result<&'a Descriptor, String> {
    let candidates: Vec<&Descriptor> = index
        .manifests()
        .iter()
        .filter(|d| !is_attestation(d))
        .collect();
    let found = candidates.iter().copied().find(|d| {
        d.platform().as_ref().is_some_and(|p| {
            want.matches(
                &p.os().to_string(),
                &p.architecture().to_string(),
                p.variant().as_deref(),
            )
        })
    });
    found.ok_or_else(|| {
        let offered: Vec<String> = candidates
            .iter()
            .filter_map(|d| d.platform().as_ref())
            .map(|p| {
                let mut s = format!("{}/{}", p.os(), p.architecture());
                if let Some(v) = p.variant() {
                    s.push('/');
                    s.push_str(v);
                }
                s
            })
            .collect();
        format!(
            "no {want} image in the index (it has: {})",
            if offered.is_empty() {
                "no platform entries".to_string()
            } else {
                offered.join(", ")
            }
        )
    })
}

/// What rules need from an image config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigFacts {
    /// `created` as written (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// `config.User`; empty or absent means root.
    #[serde(default)]
    pub user: String,
    /// `config.Healthcheck.Test` (Docker extension); `["NONE"]` disables an inherited one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Vec<String>>,
    /// `config.Healthcheck` Interval, Retries and StartPeriod (ns, count, ns; 0 = not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_timing: Option<[u64; 3]>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `os/arch[/variant]` of the config.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub platform: String,
}

impl ConfigFacts {
    pub fn has_healthcheck(&self) -> bool {
        self.healthcheck
            .as_ref()
            .is_some_and(|t| !t.is_empty() && t.first().map(String::as_str) != Some("NONE"))
    }
}

/// Docker's config fields that oci-spec drops.
#[derive(Deserialize)]
struct DockerExtras {
    #[serde(default)]
    config: Option<DockerContainerConfig>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerContainerConfig {
    #[serde(default)]
    healthcheck: Option<DockerHealthcheck>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerHealthcheck {
    #[serde(default)]
    test: Option<Vec<String>>,
    #[serde(default)]
    interval: Option<i64>,
    #[serde(default)]
    retries: Option<i64>,
    #[serde(default)]
    start_period: Option<i64>,
}

/// Read an image config blob: oci-spec for the standard fields, a second pass for Docker's
/// `Healthcheck`.
pub fn parse_config(bytes: &[u8]) -> Result<ConfigFacts, String> {
    let cfg: ImageConfiguration =
        serde_json::from_slice(bytes).map_err(|e| format!("an invalid image config: {e}"))?;
    let extras: DockerExtras =
        serde_json::from_slice(bytes).map_err(|e| format!("an invalid image config: {e}"))?;
    let inner = cfg.config().as_ref();
    let health = extras.config.and_then(|c| c.healthcheck);
    let mut platform = format!("{}/{}", cfg.os(), cfg.architecture());
    if let Some(v) = cfg.variant() {
        platform.push('/');
        platform.push_str(v);
    }
    Ok(ConfigFacts {
        created: cfg.created().clone(),
        user: inner.and_then(|c| c.user().clone()).unwrap_or_default(),
        health_timing: health.as_ref().map(|h| {
            let n = |x: Option<i64>| x.and_then(|x| u64::try_from(x).ok()).unwrap_or(0);
            [n(h.interval), n(h.retries), n(h.start_period)]
        }),
        healthcheck: health.and_then(|h| h.test),
        labels: inner
            .and_then(|c| c.labels().clone())
            .map(|l| l.into_iter().collect())
            .unwrap_or_default(),
        platform,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    const D3: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

    fn index() -> ImageIndex {
        let text = format!(
            r#"{{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
              "manifests": [
                {{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{D1}", "size": 10,
                  "platform": {{"architecture": "arm64", "os": "linux"}}}},
                {{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{D3}", "size": 10,
                  "platform": {{"architecture": "unknown", "os": "unknown"}},
                  "annotations": {{"vnd.docker.reference.type": "attestation-manifest"}}}},
                {{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{D2}", "size": 10,
                  "platform": {{"architecture": "amd64", "os": "linux"}}}}]}}"#
        );
        match parse_manifest(text.as_bytes()) {
            Ok(Manifest::Index(i)) => *i,
            _ => panic!("index expected"),
        }
    }

    #[test]
    fn selects_platforms_and_skips_attestations() {
        let i = index();
        let pick = |p: &str| {
            select_platform(&i, &Platform::parse(p).expect("platform"))
                .map(|d| d.digest().to_string())
        };
        assert_eq!(pick("linux/amd64").as_deref(), Ok(D2));
        assert_eq!(pick("linux/arm64/v8").as_deref(), Ok(D1));
        let err = pick("linux/s390x").expect_err("absent");
        assert!(err.contains("linux/arm64, linux/amd64"), "{err}");
        assert_eq!(
            Platform::from_engine("linux", "x86_64").to_string(),
            "linux/amd64"
        );
        assert_eq!(
            Platform::from_engine("linux", "aarch64").to_string(),
            "linux/arm64"
        );
        assert!(Platform::parse("linux").is_err());
    }

    #[test]
    fn manifests_by_type_and_shape() {
        let v2 = format!(
            r#"{{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "config": {{"mediaType": "application/vnd.docker.container.image.v1+json", "size": 5, "digest": "{D1}"}},
              "layers": []}}"#
        );
        assert!(matches!(
            parse_manifest(v2.as_bytes()),
            Ok(Manifest::Image(_))
        ));
        let oci_no_type = format!(
            r#"{{"schemaVersion": 2, "config": {{"mediaType": "application/vnd.oci.image.config.v1+json", "size": 5, "digest": "{D1}"}}, "layers": []}}"#
        );
        assert!(matches!(
            parse_manifest(oci_no_type.as_bytes()),
            Ok(Manifest::Image(_))
        ));
        let schema1 = r#"{"schemaVersion": 1, "name": "x", "tag": "1", "fsLayers": []}"#;
        assert!(parse_manifest(schema1.as_bytes()).is_err_and(|e| e.contains("schema1")));
        assert!(parse_manifest(b"not json").is_err());
    }

    #[test]
    fn config_with_docker_healthcheck() {
        let cfg = br#"{"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
            "config": {"User": "10001:10001", "Env": null, "Labels": {"org.opencontainers.image.version": "1.2"},
                       "Healthcheck": {"Test": ["CMD", "/bin/true"], "Interval": 30000000000}},
            "rootfs": {"type": "layers", "diff_ids": []}, "container_config": {}}"#;
        let f = parse_config(cfg).expect("config");
        assert_eq!(f.user, "10001:10001");
        assert!(f.has_healthcheck());
        assert_eq!(f.created.as_deref(), Some("2024-01-02T03:04:05Z"));
        assert_eq!(
            f.labels
                .get("org.opencontainers.image.version")
                .map(String::as_str),
            Some("1.2")
        );
        assert_eq!(f.platform, "linux/amd64");
        let none = br#"{"architecture": "amd64", "os": "linux", "config": {"Healthcheck": {"Test": ["NONE"]}}, "rootfs": {"type": "layers", "diff_ids": []}}"#;
        assert!(!parse_config(none).expect("config").has_healthcheck());
    }
}
