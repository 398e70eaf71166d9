//! Image intelligence from registries (OCI distribution API), synchronous: what a tag points to
//! now, the image config (created, USER, HEALTHCHECK, labels) for a platform, with a
//! content-addressed disk cache and bounded concurrency. Results are plain data
//! ([`Lookup`]) that live snapshots record and the lowering copies into the model; rules never
//! touch the network.

pub mod auth;
pub mod cache;
pub mod cli;
pub mod client;
pub mod image;
pub mod live;
pub mod reference;
pub mod time;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::{Deployment, ImageFact, RegistryFacts, Service};
use cache::{Cache, TAG_TTL};
use client::{Client, ClientOptions, FetchError, Method, MANIFEST_ACCEPT};
use image::{ConfigFacts, Manifest, Platform};
use reference::Reference;

/// How images are resolved.
#[derive(Debug, Clone)]
pub struct Options {
    /// Talk to registries at all (`--resolve-images`).
    pub resolve: bool,
    /// Use only the cache (`--offline`).
    pub offline: bool,
    pub platform: Platform,
    /// `--insecure-registry` hosts: plain HTTP, and reported by SA507.
    pub insecure: Vec<String>,
    /// Per request (`--registry-timeout`).
    pub timeout: Duration,
    /// `None`: no disk cache.
    pub cache_dir: Option<std::path::PathBuf>,
    /// Look the tag up even when the reference also pins a digest (live mode: SA503 compares
    /// the running digest with the tag's current one).
    pub check_pinned_tags: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            resolve: false,
            offline: false,
            platform: Platform::default(),
            insecure: vec![],
            timeout: Duration::from_secs(10),
            cache_dir: cache::default_dir(),
            check_pinned_tags: false,
        }
    }
}

/// What the registry said about one image reference. Recorded in live snapshots
/// (`"registry": {"<reference as the spec writes it>": {…}}`) so fixtures can replay it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lookup {
    /// Canonical reference (`docker.io/library/nginx:1.27`).
    pub reference: String,
    /// The digest the tag points to now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_digest: Option<String>,
    /// The image config of the pinned digest (or the tag's), for the platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigFacts>,
    /// Index and manifest annotations (manifest wins).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Spoken to over plain HTTP.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
    /// Why (part of) the lookup failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Counters for the run's closing line and the benchmark.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub images: usize,
    /// Images that could not be checked (fully), with the reason.
    pub failed: Vec<(String, String)>,
    pub requests: usize,
    pub cache_hits: usize,
    pub peak_in_flight: usize,
}

impl Summary {
    /// One line for stderr.
    pub fn line(&self) -> String {
        let mut s = format!(
            "swarmaudit: resolved {} image(s) with {} registry request(s), {} answer(s) from the cache",
            self.images, self.requests, self.cache_hits
        );
        if self.requests > 0 {
            s.push_str(&format!(
                ", at most {} request(s) at a time",
                self.peak_in_flight
            ));
        }
        if !self.failed.is_empty() {
            s.push_str(&format!(
                "; could not check {} image(s), their image rules report unknown:",
                self.failed.len()
            ));
            for (r, why) in &self.failed {
                s.push_str(&format!("\n  {r}: {why}"));
            }
        }
        s
    }
}

pub struct Resolver {
    opts: Options,
    client: Client,
    cache: Cache,
    memo: Mutex<HashMap<String, Arc<OnceLock<Lookup>>>>,
    cache_hits: AtomicUsize,
}

impl Resolver {
    pub fn new(opts: Options) -> Resolver {
        let docker_config = auth::DockerConfig::load(auth::docker_config_path().as_deref());
        Resolver {
            client: Client::new(
                ClientOptions {
                    timeout: opts.timeout,
                    insecure: opts.insecure.clone(),
                },
                docker_config,
            ),
            cache: Cache::new(opts.cache_dir.clone()),
            opts,
            memo: Mutex::new(HashMap::new()),
            cache_hits: AtomicUsize::new(0),
        }
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Resolve one reference (memoised: each distinct reference is looked up once per run).
    pub fn resolve(&self, image: &str) -> Lookup {
        let cell = {
            let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
            memo.entry(image.to_string()).or_default().clone()
        };
        cell.get_or_init(|| self.lookup(image)).clone()
    }

    /// Resolve many references on up to [`client::MAX_IN_FLIGHT`] threads.
    pub fn resolve_all(&self, images: &[String]) -> Vec<Lookup> {
        let threads = images.len().clamp(1, client::MAX_IN_FLIGHT);
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Lookup>>> = Mutex::new(vec![None; images.len()]);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(image) = images.get(i) else { break };
                    let l = self.resolve(image);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(l);
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .into_iter()
            .zip(images)
            .map(|(l, image)| {
                l.unwrap_or_else(|| Lookup {
                    reference: image.clone(),
                    error: Some("internal error while resolving this image".into()),
                    ..Lookup::default()
                })
            })
            .collect()
    }

    pub fn summary(&self) -> Summary {
        let memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        let mut failed: Vec<(String, String)> = memo
            .iter()
            .filter_map(|(image, cell)| {
                let l = cell.get()?;
                l.error.clone().map(|e| (image.clone(), e))
            })
            .collect();
        failed.sort();
        Summary {
            images: memo.len(),
            failed,
            requests: self.client.stats.requests.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            peak_in_flight: self.client.stats.peak_in_flight.load(Ordering::Relaxed),
        }
    }

    fn lookup(&self, image: &str) -> Lookup {
        let r = match Reference::parse(image) {
            Ok(r) => r,
            Err(e) => {
                return Lookup {
                    reference: image.to_string(),
                    error: Some(format!("not a valid image reference: {e}")),
                    ..Lookup::default()
                }
            }
        };
        let mut out = Lookup {
            reference: r.to_string(),
            plain_http: self.client.plain_http(&r.registry),
            ..Lookup::default()
        };
        let tag = r
            .tag_or_latest()
            .filter(|_| r.digest.is_none() || self.opts.check_pinned_tags)
            .map(str::to_string);
        if let Some(tag) = tag {
            match self.tag_digest(&r, &tag) {
                Ok(d) => out.tag_digest = Some(d),
                Err(e) => {
                    out.error = Some(e.to_string());
                    if r.digest.is_none() {
                        return out;
                    }
                }
            }
        }
        let Some(target) = r.digest.clone().or_else(|| out.tag_digest.clone()) else {
            return out;
        };
        match self.image_facts(&r, &target) {
            Ok((config, annotations)) => {
                out.config = Some(config);
                out.annotations = annotations;
            }
            Err(e) => {
                out.error.get_or_insert(e.to_string());
            }
        }
        out
    }

    /// What `tag` points to: the cache within its TTL (any age offline), else a HEAD with the
    /// full Accept list (a GET when the registry sends no digest header).
    fn tag_digest(&self, r: &Reference, tag: &str) -> Result<String, FetchError> {
        let key = format!("{}:{tag}", r.name());
        let max_age = if self.opts.offline {
            None
        } else {
            Some(TAG_TTL)
        };
        if let Some(hit) = self.cache.get_tag(&key, max_age) {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit.digest);
        }
        if self.opts.offline {
            return Err(FetchError::Offline(format!("the digest of {key}")));
        }
        let head = self
            .client
            .fetch(r, Method::Head, "manifests", tag, Some(MANIFEST_ACCEPT))?;
        check_not_schema1(r, head.content_type.as_deref())?;
        let digest = match head
            .digest
            .filter(|d| reference::validate_digest(d).is_ok())
        {
            Some(d) => d,
            None => {
                // old registries: no Docker-Content-Digest; the digest is that of the body
                let get =
                    self.client
                        .fetch(r, Method::Get, "manifests", tag, Some(MANIFEST_ACCEPT))?;
                check_not_schema1(r, get.content_type.as_deref())?;
                let d = cache::sha256_digest(&get.body);
                self.cache.put_blob(&d, &get.body);
                d
            }
        };
        self.cache.put_tag(&key, &digest);
        Ok(digest)
    }

    /// A document by digest: the cache, else a GET verified against the digest.
    fn by_digest(&self, r: &Reference, kind: &str, digest: &str) -> Result<Vec<u8>, FetchError> {
        if let Some(b) = self.cache.get_blob(digest) {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(b);
        }
        if self.opts.offline {
            return Err(FetchError::Offline(format!("{}@{digest}", r.name())));
        }
        let accept = (kind == "manifests").then_some(MANIFEST_ACCEPT);
        let got = self.client.fetch(r, Method::Get, kind, digest, accept)?;
        if kind == "manifests" {
            check_not_schema1(r, got.content_type.as_deref())?;
        }
        if !cache::verify(digest, &got.body) {
            return Err(FetchError::Protocol {
                registry: r.registry.clone(),
                reason: format!(
                    "the content served for {digest} has digest {}",
                    cache::sha256_digest(&got.body)
                ),
            });
        }
        self.cache.put_blob(digest, &got.body);
        Ok(got.body)
    }

    /// Manifest (through the index for the platform) → config blob → facts.
    fn image_facts(
        &self,
        r: &Reference,
        digest: &str,
    ) -> Result<(ConfigFacts, BTreeMap<String, String>), FetchError> {
        let proto = |reason: String| FetchError::Protocol {
            registry: r.registry.clone(),
            reason,
        };
        let mut annotations = BTreeMap::new();
        let bytes = self.by_digest(r, "manifests", digest)?;
        let manifest = match image::parse_manifest(&bytes).map_err(proto)? {
            Manifest::Image(m) => m,
            Manifest::Index(index) => {
                if let Some(a) = index.annotations() {
                    annotations.extend(a.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                let entry = image::select_platform(&index, &self.opts.platform).map_err(proto)?;
                let d = entry.digest().to_string();
                let bytes = self.by_digest(r, "manifests", &d)?;
                match image::parse_manifest(&bytes).map_err(proto)? {
                    Manifest::Image(m) => m,
                    Manifest::Index(_) => {
                        return Err(proto("an index nested in an index".into()));
                    }
                }
            }
        };
        if let Some(a) = manifest.annotations() {
            annotations.extend(a.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let config = manifest.config();
        if config.size() > cache::MAX_DOCUMENT {
            return Err(proto(format!("an image config of {} bytes", config.size())));
        }
        let blob = self.by_digest(r, "blobs", config.digest().as_ref())?;
        let facts = image::parse_config(&blob).map_err(proto)?;
        Ok((facts, annotations))
    }
}

fn check_not_schema1(r: &Reference, content_type: Option<&str>) -> Result<(), FetchError> {
    match content_type {
        Some(t) if t.contains("distribution.manifest.v1") => Err(FetchError::Protocol {
            registry: r.registry.clone(),
            reason: "a schema1 manifest (deprecated), although the Accept list asked for v2/OCI"
                .into(),
        }),
        _ => Ok(()),
    }
}

/// Copy a lookup into a service's image facts. Facts already known (a live node's own image)
/// are kept; the registry fills what is unknown.
pub fn apply_lookup(svc: &mut Service, lookup: &Lookup) {
    let info = &mut svc.image_info;
    info.registry = Some(RegistryFacts {
        reference: lookup.reference.clone(),
        tag_digest: lookup.tag_digest.clone(),
        error: lookup.error.clone(),
    });
    if let Some(cfg) = &lookup.config {
        if matches!(info.user, ImageFact::Unknown) {
            info.user = ImageFact::Known(cfg.user.clone());
        }
        if matches!(info.has_healthcheck, ImageFact::Unknown) {
            info.has_healthcheck = ImageFact::Known(cfg.has_healthcheck());
        }
        if matches!(info.health_timing, ImageFact::Unknown) {
            // a cached config from before timings were recorded leaves them unknown
            match (cfg.health_timing, cfg.has_healthcheck()) {
                (Some([interval_ns, retries, start_period_ns]), _) => {
                    info.health_timing = ImageFact::Known(crate::model::HealthTiming {
                        interval_ns,
                        retries,
                        start_period_ns,
                    })
                }
                (None, false) => info.health_timing = ImageFact::Known(Default::default()),
                (None, true) => {}
            }
        }
        if matches!(info.created, ImageFact::Unknown) {
            if let Some(c) = &cfg.created {
                info.created = ImageFact::Known(c.clone());
            }
        }
        if matches!(info.labels, ImageFact::Unknown) {
            let mut labels = cfg.labels.clone();
            labels.extend(lookup.annotations.clone());
            info.labels = ImageFact::Known(labels);
        }
    }
}

/// The image references of a deployment worth looking up (known, non-empty).
pub fn images_of(d: &Deployment) -> Vec<String> {
    let mut refs: Vec<String> = d
        .services
        .iter()
        .filter_map(|s| s.image.as_ref())
        .filter(|i| i.is_known() && !i.text.trim().is_empty())
        .map(|i| i.text.trim().to_string())
        .collect();
    refs.sort();
    refs.dedup();
    refs
}

/// Mark services whose registry is named with `--insecure-registry` (SA507).
pub fn mark_insecure(d: &mut Deployment, resolver: &Resolver) {
    for svc in &mut d.services {
        let Some(img) = svc.image.as_ref().filter(|i| i.is_known()) else {
            continue;
        };
        if let Ok(r) = Reference::parse(img.text.trim()) {
            if resolver.client.is_flagged_insecure(&r.registry) {
                svc.image_info.insecure_registry = Some(format!(
                    "{} is named with --insecure-registry (plain HTTP)",
                    r.registry
                ));
            }
        }
    }
}

/// File mode: mark `--insecure-registry` hosts and, when resolving, join the registry's
/// answers into the services' image facts.
pub fn annotate(d: &mut Deployment, resolver: &Resolver) {
    mark_insecure(d, resolver);
    let lookups: HashMap<String, Lookup> = if resolver.opts.resolve {
        let refs = images_of(d);
        let found = resolver.resolve_all(&refs);
        refs.into_iter().zip(found).collect()
    } else {
        HashMap::new()
    };
    for svc in &mut d.services {
        let Some(img) = svc.image.as_ref().filter(|i| i.is_known()) else {
            continue;
        };
        if let Some(l) = lookups.get(img.text.trim()) {
            apply_lookup(svc, l);
        }
    }
}
