//! A small synchronous OCI distribution client: manifests (HEAD and GET, with the full Accept
//! list) and blobs, anonymous bearer tokens from `WWW-Authenticate`, credentials from the
//! docker CLI config, HTTPS except for loopback and `--insecure-registry` hosts, at most
//! [`MAX_IN_FLIGHT`] requests at a time, a timeout on every request, retries with backoff on 429
//! and 5xx. Every request is counted. No header value or token is ever put in a message.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::registry::auth::{parse_challenge, Challenge, Credentials, DockerConfig};
use crate::registry::cache::MAX_DOCUMENT;
use crate::registry::reference::{is_loopback, Reference};

/// Requests in flight at once, over all threads.
pub const MAX_IN_FLIGHT: usize = 8;
/// Attempts per request when the registry answers 429 or 5xx.
const ATTEMPTS: u32 = 3;
/// The longest `Retry-After` we wait for; a longer one is reported as rate limiting.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Every manifest type we can read, so the registry never falls back to schema1 (which the
/// distribution registry does when the Docker v2 type is missing).
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// Why a registry could not tell us something. Messages name the registry and never contain
/// credentials or tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// `--offline` and the answer is not in the cache.
    Offline(String),
    Unreachable {
        registry: String,
        reason: String,
    },
    Timeout {
        registry: String,
        seconds: u64,
    },
    /// 401: no credentials, or rejected ones.
    Unauthorized {
        registry: String,
        reason: String,
    },
    /// 403.
    Denied {
        registry: String,
    },
    /// 404: repository, tag or digest unknown.
    NotFound {
        registry: String,
        what: String,
    },
    RateLimited {
        registry: String,
        retry_after: Option<u64>,
    },
    Server {
        registry: String,
        status: u16,
    },
    /// The answer made no sense (bad JSON, digest mismatch, schema1, too large).
    Protocol {
        registry: String,
        reason: String,
    },
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Offline(what) => write!(f, "--offline and {what} is not in the cache"),
            FetchError::Unreachable { registry, reason } => {
                write!(f, "registry {registry} cannot be reached: {reason}")
            }
            FetchError::Timeout { registry, seconds } => write!(
                f,
                "registry {registry} did not answer within {seconds}s (--registry-timeout)"
            ),
            FetchError::Unauthorized { registry, reason } => {
                write!(f, "registry {registry} requires authentication: {reason}")
            }
            FetchError::Denied { registry } => {
                write!(f, "registry {registry} denied access (HTTP 403)")
            }
            FetchError::NotFound { registry, what } => {
                write!(f, "registry {registry} does not have {what} (HTTP 404)")
            }
            FetchError::RateLimited {
                registry,
                retry_after,
            } => match retry_after {
                Some(s) => write!(
                    f,
                    "registry {registry} rate-limits requests (HTTP 429, retry after {s}s)"
                ),
                None => write!(f, "registry {registry} rate-limits requests (HTTP 429)"),
            },
            FetchError::Server { registry, status } => {
                write!(f, "registry {registry} failed with HTTP {status}")
            }
            FetchError::Protocol { registry, reason } => {
                write!(f, "registry {registry} answered unexpectedly: {reason}")
            }
        }
    }
}

/// What a request returned.
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub digest: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub timeout: Duration,
    /// Hosts (with or without port) spoken to over plain HTTP, besides loopback.
    pub insecure: Vec<String>,
}

/// Request counters (the benchmark and the run summary print them).
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicUsize,
    pub peak_in_flight: AtomicUsize,
}

/// A counting semaphore bounding requests in flight.
struct Gate {
    in_flight: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

struct GateGuard<'a>(&'a Gate);

impl Gate {
    fn enter(&self, stats: &Stats) -> GateGuard<'_> {
        let mut n = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        while *n >= self.max {
            n = self.freed.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        *n += 1;
        stats.peak_in_flight.fetch_max(*n, Ordering::Relaxed);
        GateGuard(self)
    }
}

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        let mut n = self.0.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        *n = n.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

struct Token {
    header: String,
    expires: Instant,
}

pub struct Client {
    agent: ureq::Agent,
    opts: ClientOptions,
    docker_config: DockerConfig,
    credentials: Mutex<HashMap<String, Result<Option<Credentials>, String>>>,
    /// Bearer tokens by (registry, scope).
    tokens: Mutex<HashMap<(String, String), Token>>,
    /// Registries that asked for Basic auth (sent up front afterwards).
    basic: Mutex<HashSet<String>>,
    gate: Gate,
    pub stats: Stats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Head,
    Get,
}

/// Percent-encode a query value.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// The registry's `{"errors": [{"code": …, "message": …}]}` (codes kept as text: registries
/// use codes outside the spec, e.g. Docker Hub's TOOMANYREQUESTS).
#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(serde::Deserialize)]
struct ErrorItem {
    #[serde(default)]
    code: String,
}

impl Client {
    pub fn new(opts: ClientOptions, docker_config: DockerConfig) -> Client {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(opts.timeout))
            .http_status_as_error(false)
            .max_redirects(5)
            .max_idle_connections(16)
            .max_idle_connections_per_host(MAX_IN_FLIGHT)
            .user_agent(concat!("swarmaudit/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            opts,
            docker_config,
            credentials: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            basic: Mutex::new(HashSet::new()),
            gate: Gate {
                in_flight: Mutex::new(0),
                freed: Condvar::new(),
                max: MAX_IN_FLIGHT,
            },
            stats: Stats::default(),
        }
    }

    /// Plain HTTP for loopback registries and `--insecure-registry` hosts; HTTPS otherwise.
    pub fn plain_http(&self, registry: &str) -> bool {
        is_loopback(registry) || self.is_flagged_insecure(registry)
    }

    /// Named with `--insecure-registry` (with or without its port).
    pub fn is_flagged_insecure(&self, registry: &str) -> bool {
        let host = crate::registry::reference::host_without_port(registry);
        self.opts.insecure.iter().any(|h| {
            let h = h
                .trim()
                .trim_start_matches("http://")
                .trim_start_matches("https://")
                .trim_end_matches('/');
            h == registry || h == host
        })
    }

    fn base_url(&self, r: &Reference) -> String {
        let scheme = if self.plain_http(&r.registry) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{}", r.api_host())
    }

    fn credentials_for(&self, registry: &str) -> Result<Option<Credentials>, String> {
        let mut map = self.credentials.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(registry.to_string())
            .or_insert_with(|| {
                if let Some(p) = &self.docker_config.problem {
                    return Err(p.clone());
                }
                self.docker_config.credentials(registry, self.opts.timeout)
            })
            .clone()
    }

    /// One HTTP exchange, counted and gated. Redirects are followed by ureq, which drops the
    /// Authorization header when it does.
    fn exchange(
        &self,
        method: Method,
        url: &str,
        accept: Option<&str>,
        auth: Option<&str>,
        registry: &str,
    ) -> Result<(u16, ureq::http::HeaderMap, Vec<u8>), FetchError> {
        let _slot = self.gate.enter(&self.stats);
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let result = match method {
            Method::Head => {
                let mut req = self.agent.head(url);
                if let Some(a) = accept {
                    req = req.header("Accept", a);
                }
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                req.call()
            }
            Method::Get => {
                let mut req = self.agent.get(url);
                if let Some(a) = accept {
                    req = req.header("Accept", a);
                }
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                req.call()
            }
        };
        let seconds = self.opts.timeout.as_secs().max(1);
        let map_err = |e: ureq::Error| match e {
            ureq::Error::Timeout(_) => FetchError::Timeout {
                registry: registry.to_string(),
                seconds,
            },
            ureq::Error::BodyExceedsLimit(n) => FetchError::Protocol {
                registry: registry.to_string(),
                reason: format!("a document larger than {n} bytes"),
            },
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                FetchError::Timeout {
                    registry: registry.to_string(),
                    seconds,
                }
            }
            other => FetchError::Unreachable {
                registry: registry.to_string(),
                reason: other.to_string(),
            },
        };
        let mut resp = result.map_err(map_err)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = if method == Method::Get {
            resp.body_mut()
                .with_config()
                .limit(MAX_DOCUMENT)
                .read_to_vec()
                .map_err(map_err)?
        } else {
            vec![]
        };
        Ok((status, headers, body))
    }

    fn header(headers: &ureq::http::HeaderMap, name: &str) -> Option<String> {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Ask the token service named by a Bearer challenge; with credentials when we have them
    /// (only sent over HTTPS, or to a loopback/insecure host).
    fn fetch_token(
        &self,
        r: &Reference,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<Token, FetchError> {
        let registry = r.registry.clone();
        let proto = |reason: String| FetchError::Protocol {
            registry: registry.clone(),
            reason,
        };
        let realm_host = realm
            .strip_prefix("https://")
            .or_else(|| realm.strip_prefix("http://"))
            .map(|rest| rest.split(['/', '?']).next().unwrap_or(rest))
            .ok_or_else(|| proto(format!("token realm `{realm}` is not an http(s) URL")))?;
        let realm_plain = realm.starts_with("http://");
        if realm_plain && !(is_loopback(realm_host) || self.is_flagged_insecure(realm_host)) {
            return Err(proto(format!(
                "token realm `{realm}` is plain HTTP on a host that is neither loopback nor named with --insecure-registry"
            )));
        }
        let mut url = realm.to_string();
        url.push(if realm.contains('?') { '&' } else { '?' });
        let mut params = vec![];
        if let Some(s) = service {
            params.push(format!("service={}", encode(s)));
        }
        params.push(format!("scope={}", encode(scope)));
        url.push_str(&params.join("&"));
        let creds =
            self.credentials_for(&r.registry)
                .map_err(|reason| FetchError::Unauthorized {
                    registry: registry.clone(),
                    reason,
                })?;
        let auth = creds.as_ref().map(Credentials::basic_header);
        let mut attempt = 0;
        let (status, headers, body) = loop {
            attempt += 1;
            let (status, headers, body) =
                self.exchange(Method::Get, &url, None, auth.as_deref(), &registry)?;
            if retryable(status) && attempt < ATTEMPTS {
                self.backoff(attempt, &headers, &registry, status)?;
                continue;
            }
            break (status, headers, body);
        };
        match status {
            200 => {}
            401 | 403 => {
                return Err(FetchError::Unauthorized {
                    registry,
                    reason: match &creds {
                        Some(c) => format!("the token service rejected the credentials from {}", c.source),
                        None => "the token service refused an anonymous token (no credentials for this registry in the docker CLI config)".into(),
                    },
                })
            }
            429 => {
                return Err(FetchError::RateLimited {
                    registry,
                    retry_after: retry_after(&headers),
                })
            }
            s => {
                return Err(proto(format!("the token service answered HTTP {s}")));
            }
        }
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|_| proto("the token service's answer is not JSON".into()))?;
        let token = answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| proto("the token service's answer holds no token".into()))?;
        let lifetime = answer.expires_in.unwrap_or(60).max(60);
        Ok(Token {
            header: format!("Bearer {token}"),
            expires: Instant::now() + Duration::from_secs(lifetime.saturating_sub(10)),
        })
    }

    /// Wait before a retry: `Retry-After` when given and short, else 250 ms × 2^attempt.
    fn backoff(
        &self,
        attempt: u32,
        headers: &ureq::http::HeaderMap,
        registry: &str,
        status: u16,
    ) -> Result<(), FetchError> {
        let wait = match retry_after(headers) {
            Some(s) if Duration::from_secs(s) > MAX_RETRY_AFTER => {
                return Err(if status == 429 {
                    FetchError::RateLimited {
                        registry: registry.to_string(),
                        retry_after: Some(s),
                    }
                } else {
                    FetchError::Server {
                        registry: registry.to_string(),
                        status,
                    }
                })
            }
            Some(s) => Duration::from_secs(s),
            None => Duration::from_millis(250 << attempt.min(4)),
        };
        std::thread::sleep(wait);
        Ok(())
    }

    /// A request to `/v2/<repo>/<kind>/<reference>` with authentication and retries.
    pub fn fetch(
        &self,
        r: &Reference,
        method: Method,
        kind: &str,
        reference: &str,
        accept: Option<&str>,
    ) -> Result<Answer, FetchError> {
        let url = format!(
            "{}/v2/{}/{kind}/{reference}",
            self.base_url(r),
            r.repository
        );
        let registry = r.registry.clone();
        let scope = format!("repository:{}:pull", r.repository);
        let mut auth = self.preset_auth(&r.registry, &scope)?;
        let mut authenticated = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (status, headers, body) =
                self.exchange(method, &url, accept, auth.as_deref(), &registry)?;
            match status {
                200..=299 => {
                    return Ok(Answer {
                        status,
                        content_type: Self::header(&headers, "content-type"),
                        digest: Self::header(&headers, "docker-content-digest"),
                        body,
                    })
                }
                401 if !authenticated => {
                    authenticated = true;
                    attempt -= 1; // the challenge round does not count as a retry
                    let challenge = Self::header(&headers, "www-authenticate")
                        .map(|h| parse_challenge(&h))
                        .ok_or_else(|| FetchError::Unauthorized {
                            registry: registry.clone(),
                            reason: "HTTP 401 without a WWW-Authenticate challenge".into(),
                        })?;
                    auth = Some(self.answer_challenge(r, &challenge, &scope)?);
                }
                401 => {
                    let reason = match self.credentials_for(&r.registry) {
                        Ok(Some(c)) => format!("the credentials from {} were rejected", c.source),
                        _ => {
                            "no credentials for it in the docker CLI config (`docker login`)".into()
                        }
                    };
                    return Err(FetchError::Unauthorized { registry, reason });
                }
                403 => return Err(FetchError::Denied { registry }),
                404 => {
                    let code = serde_json::from_slice::<ErrorBody>(&body)
                        .ok()
                        .and_then(|b| b.errors.into_iter().next())
                        .map(|e| e.code)
                        .unwrap_or_default();
                    let what = match (kind, code.as_str()) {
                        (_, "NAME_UNKNOWN") => format!("repository {}", r.repository),
                        ("manifests", _) => format!("{}:{reference}", r.repository),
                        _ => format!("blob {reference} of {}", r.repository),
                    };
                    return Err(FetchError::NotFound { registry, what });
                }
                s if retryable(s) && attempt < ATTEMPTS => {
                    self.backoff(attempt, &headers, &registry, s)?;
                }
                429 => {
                    return Err(FetchError::RateLimited {
                        registry,
                        retry_after: retry_after(&headers),
                    })
                }
                s if s >= 500 => {
                    return Err(FetchError::Server {
                        registry,
                        status: s,
                    })
                }
                s => {
                    return Err(FetchError::Protocol {
                        registry,
                        reason: format!("HTTP {s}"),
                    })
                }
            }
        }
    }

    /// A cached token or Basic header for this registry and scope.
    fn preset_auth(&self, registry: &str, scope: &str) -> Result<Option<String>, FetchError> {
        {
            let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(t) = tokens.get(&(registry.to_string(), scope.to_string())) {
                if t.expires > Instant::now() {
                    return Ok(Some(t.header.clone()));
                }
            }
        }
        let basic = self
            .basic
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(registry);
        if basic {
            if let Ok(Some(c)) = self.credentials_for(registry) {
                return Ok(Some(c.basic_header()));
            }
        }
        Ok(None)
    }

    fn answer_challenge(
        &self,
        r: &Reference,
        challenge: &Challenge,
        scope: &str,
    ) -> Result<String, FetchError> {
        let registry = r.registry.clone();
        match challenge {
            Challenge::Bearer {
                realm,
                service,
                scope: asked,
            } => {
                let scope_used = asked.clone().unwrap_or_else(|| scope.to_string());
                let token = self.fetch_token(r, realm, service.as_deref(), &scope_used)?;
                let header = token.header.clone();
                self.tokens
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert((registry, scope.to_string()), token);
                Ok(header)
            }
            Challenge::Basic => {
                // plain HTTP is only ever used for loopback hosts and hosts the user named
                match self.credentials_for(&r.registry) {
                    Ok(Some(c)) => {
                        self.basic
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(registry);
                        Ok(c.basic_header())
                    }
                    Ok(None) => Err(FetchError::Unauthorized {
                        registry,
                        reason: "no credentials for it in the docker CLI config (`docker login`)"
                            .into(),
                    }),
                    Err(reason) => Err(FetchError::Unauthorized { registry, reason }),
                }
            }
            Challenge::Other(scheme) => Err(FetchError::Unauthorized {
                registry,
                reason: format!("unsupported authentication scheme `{scheme}`"),
            }),
        }
    }
}

fn retryable(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

fn retry_after(headers: &ureq::http::HeaderMap) -> Option<u64> {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
    }

    #[test]
    fn insecure_hosts() {
        let c = Client::new(
            ClientOptions {
                timeout: Duration::from_secs(1),
                insecure: vec!["reg.lan:5000".into(), "http://other.lan".into()],
            },
            DockerConfig::default(),
        );
        assert!(c.plain_http("127.0.0.1:5000"));
        assert!(c.plain_http("reg.lan:5000"));
        assert!(c.plain_http("other.lan:443"));
        assert!(!c.plain_http("reg.lan:5001"));
        assert!(!c.plain_http("docker.io"));
    }
}
