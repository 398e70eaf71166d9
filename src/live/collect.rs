//! Read-only collection from the Engine API: one list per collection plus one image inspect per
//! distinct image (bounded concurrency), every call under a timeout.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

use bollard::models::{
    Config, ImageInspect, Network, Node, Secret, Service, Swarm, SystemInfo, Task,
};
use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListNodesOptions, ListSecretsOptions,
    ListServicesOptionsBuilder, ListTasksOptionsBuilder,
};
use bollard::Docker;
use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::live::connect::Endpoint;
use crate::live::LiveError;

/// Engine API 1.41 (Engine 20.10) adds ServiceStatus, CapabilityAdd/Drop and PIDs limits.
pub const MIN_API: (u32, u32) = (1, 41);
pub const MAX_IMAGE_CONCURRENCY: usize = 8;

/// What the image on this node says (from `GET /images/{name}/json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspect: Option<ImageInspect>,
    /// Why the image could not be inspected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Everything read from the swarm. Also the format of recorded fixtures
/// (`fixtures/<ID>/*.swarm.json`), which hold API JSON as the daemon returns it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub info: Option<SystemInfo>,
    #[serde(default)]
    pub swarm: Option<Swarm>,
    #[serde(default)]
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub tasks: Vec<Task>,
    #[serde(default)]
    pub networks: Vec<Network>,
    #[serde(default)]
    pub secrets: Vec<Secret>,
    #[serde(default)]
    pub configs: Vec<Config>,
    /// Keyed by the image reference as the service spec names it.
    #[serde(default)]
    pub images: BTreeMap<String, ImageResult>,
    /// Number of API requests made.
    #[serde(skip)]
    pub api_calls: usize,
    /// Why service healthchecks could not be read (then they are unknown, not absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthchecks_unreadable: Option<String>,
    /// When the snapshot was taken (RFC 3339); image ages are measured from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<String>,
    /// Registry lookups (`--resolve-images`), keyed like `images`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub registry: BTreeMap<String, crate::registry::Lookup>,
}

fn parse_api(v: &str) -> Option<(u32, u32)> {
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

struct Ctx<'a> {
    ep: &'a Endpoint,
    timeout: Duration,
    calls: usize,
}

impl Ctx<'_> {
    /// Run one API call under the timeout and turn failures into clear errors.
    async fn call<T, F>(&mut self, what: &str, fut: F) -> Result<T, LiveError>
    where
        F: Future<Output = Result<T, bollard::errors::Error>>,
    {
        self.calls += 1;
        match tokio::time::timeout(self.timeout, fut).await {
            Err(_) => Err(LiveError::Timeout {
                address: self.ep.host.clone(),
                what: what.to_string(),
                seconds: self.timeout.as_secs(),
            }),
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(classify(self.ep, what, e)),
        }
    }
}

/// Map a bollard error to what the user must know.
pub fn classify(ep: &Endpoint, what: &str, e: bollard::errors::Error) -> LiveError {
    use bollard::errors::Error as E;
    match e {
        E::DockerResponseServerError {
            status_code,
            message,
        } => {
            if status_code == 503 && message.contains("not a swarm manager") {
                LiveError::NotManager(message)
            } else if status_code == 503 && message.contains("not part of a swarm") {
                LiveError::NotInSwarm
            } else {
                LiveError::Api {
                    what: what.to_string(),
                    status: status_code,
                    message,
                }
            }
        }
        E::RequestTimeoutError => LiveError::Timeout {
            address: ep.host.clone(),
            what: what.to_string(),
            seconds: 0,
        },
        other => {
            let text = other.to_string();
            let lower = format!("{other:?} {text}").to_ascii_lowercase();
            if lower.contains("permission denied") {
                LiveError::PermissionDenied {
                    address: ep.host.clone(),
                }
            } else {
                LiveError::Unreachable {
                    address: ep.host.clone(),
                    source: ep.source.clone(),
                    reason: text,
                }
            }
        }
    }
}

async fn collect_async(
    docker: Docker,
    ep: &Endpoint,
    stack: Option<&str>,
    timeout: Duration,
) -> Result<Snapshot, LiveError> {
    let mut ctx = Ctx {
        ep,
        timeout,
        calls: 0,
    };
    ctx.calls += 1;
    let docker = match tokio::time::timeout(timeout, docker.negotiate_version()).await {
        Err(_) => {
            return Err(LiveError::Timeout {
                address: ep.host.clone(),
                what: "the version negotiation".into(),
                seconds: timeout.as_secs(),
            })
        }
        Ok(r) => r.map_err(|e| classify(ep, "the version negotiation", e))?,
    };
    let version = ctx.call("GET /version", docker.version()).await?;
    let api = version.api_version.clone().unwrap_or_default();
    if parse_api(&api).is_some_and(|v| v < MIN_API) {
        return Err(LiveError::ApiTooOld {
            have: api,
            fact: "service status, capabilities and PIDs limits".into(),
            needed: format!("{}.{} (Engine 20.10)", MIN_API.0, MIN_API.1),
        });
    }
    let info = ctx.call("GET /info", docker.info()).await?;
    let swarm_info = info.swarm.clone().unwrap_or_default();
    let state = swarm_info
        .local_node_state
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_default();
    if state != "active" {
        return Err(LiveError::NotInSwarm);
    }
    if swarm_info.control_available != Some(true) {
        return Err(LiveError::NotManager(
            "this node is a worker: run swarmaudit on a manager, or point -H/--context at one"
                .into(),
        ));
    }
    let mut filters: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(s) = stack {
        filters.insert(
            "label".into(),
            vec![format!("com.docker.stack.namespace={s}")],
        );
    }
    let service_opts = ListServicesOptionsBuilder::new()
        .filters(&filters)
        .status(true)
        .build();
    let mut task_filters: HashMap<String, Vec<String>> = HashMap::new();
    task_filters.insert("desired-state".into(), vec!["running".into()]);
    if let Some(s) = stack {
        task_filters.insert(
            "label".into(),
            vec![format!("com.docker.stack.namespace={s}")],
        );
    }
    let task_opts = ListTasksOptionsBuilder::new()
        .filters(&task_filters)
        .build();
    let mut swarm = ctx.call("GET /swarm", docker.inspect_swarm()).await?;
    // join tokens are secrets: drop them at once
    swarm.join_tokens = None;
    let nodes = ctx
        .call("GET /nodes", docker.list_nodes(None::<ListNodesOptions>))
        .await?;
    let services = ctx
        .call("GET /services", docker.list_services(Some(service_opts)))
        .await?;
    let tasks = ctx
        .call("GET /tasks", docker.list_tasks(Some(task_opts)))
        .await?;
    let networks = ctx
        .call(
            "GET /networks",
            docker.list_networks(None::<ListNetworksOptions>),
        )
        .await?;
    let secrets = ctx
        .call(
            "GET /secrets",
            docker.list_secrets(None::<ListSecretsOptions>),
        )
        .await?;
    let configs = ctx
        .call(
            "GET /configs",
            docker.list_configs(None::<ListConfigsOptions>),
        )
        .await?;
    // like services: only the stack's own objects when one stack is audited
    let in_stack = |labels: Option<&HashMap<String, String>>| {
        stack.is_none_or(|s| {
            labels
                .and_then(|l| l.get("com.docker.stack.namespace"))
                .is_some_and(|ns| ns == s)
        })
    };
    let secrets: Vec<_> = secrets
        .into_iter()
        .filter(|x| in_stack(x.spec.as_ref().and_then(|s| s.labels.as_ref())))
        .collect();
    let configs: Vec<_> = configs
        .into_iter()
        .filter(|x| in_stack(x.spec.as_ref().and_then(|s| s.labels.as_ref())))
        .collect();

    let mut refs: Vec<String> = services
        .iter()
        .filter_map(|s| {
            s.spec
                .as_ref()?
                .task_template
                .as_ref()?
                .container_spec
                .as_ref()?
                .image
                .clone()
        })
        .collect();
    refs.sort();
    refs.dedup();
    let image_calls = refs.len();
    let images: BTreeMap<String, ImageResult> = stream::iter(refs)
        .map(|r| {
            let docker = docker.clone();
            async move {
                let res = inspect_image(&docker, &r, timeout).await;
                (r, res)
            }
        })
        .buffer_unordered(MAX_IMAGE_CONCURRENCY)
        .collect()
        .await;
    Ok(Snapshot {
        api_version: Some(api),
        info: Some(info),
        swarm: Some(swarm),
        nodes,
        services,
        tasks,
        networks,
        secrets,
        configs,
        images,
        api_calls: ctx.calls + image_calls,
        healthchecks_unreadable: None,
        observed_at: Some(crate::registry::time::format_rfc3339(
            crate::registry::time::now(),
        )),
        registry: BTreeMap::new(),
    })
}

/// Inspect an image on this node: by the full reference, else without the digest (a locally
/// built or imported image has no repo digest).
async fn inspect_image(docker: &Docker, reference: &str, timeout: Duration) -> ImageResult {
    let mut candidates = vec![reference.to_string()];
    if let Some((name, _digest)) = reference.split_once('@') {
        candidates.push(name.to_string());
    }
    let mut last = String::new();
    for c in candidates {
        match tokio::time::timeout(timeout, docker.inspect_image(&c)).await {
            Ok(Ok(i)) => {
                return ImageResult {
                    inspect: Some(i),
                    error: None,
                }
            }
            Ok(Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            })) => {
                last = "the image is not present on this node".into();
            }
            Ok(Err(e)) => last = format!("image inspect failed: {e}"),
            Err(_) => last = format!("image inspect timed out after {}s", timeout.as_secs()),
        }
    }
    ImageResult {
        inspect: None,
        error: Some(last),
    }
}

/// Collect a snapshot (blocking; the async runtime lives only here).
pub fn collect(
    ep: &Endpoint,
    stack: Option<&str>,
    timeout: Duration,
) -> Result<Snapshot, LiveError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LiveError::Config(format!("cannot start the async runtime: {e}")))?;
    let mut snapshot = rt.block_on(async {
        let docker = crate::live::connect::client(ep, timeout)?;
        collect_async(docker, ep, stack, timeout).await
    })?;
    snapshot.healthchecks_unreadable = restore_healthchecks(&mut snapshot, ep, timeout);
    Ok(snapshot)
}

/// bollard's `TaskSpecContainerSpec` reads `HealthCheck`, but the daemon writes `Healthcheck`
/// (Go field name): move the key so the healthcheck is not silently lost.
pub fn fix_healthcheck_keys(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(cs)) = map.get_mut("ContainerSpec") {
                if let Some(h) = cs.remove("Healthcheck") {
                    cs.insert("HealthCheck".into(), h);
                }
            }
            for (_, x) in map.iter_mut() {
                fix_healthcheck_keys(x);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(fix_healthcheck_keys),
        _ => {}
    }
}

impl Snapshot {
    /// Read a snapshot from API JSON (recorded fixtures), daemon spelling included.
    pub fn from_json(mut v: serde_json::Value) -> Result<Snapshot, serde_json::Error> {
        fix_healthcheck_keys(&mut v);
        serde_json::from_value(v)
    }
}

/// A plain HTTP/1.0 GET over the endpoint's unix socket or TCP port (with TLS when the
/// endpoint uses it), for the one response bollard's typed models cannot read faithfully.
pub(crate) fn raw_get(ep: &Endpoint, path: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let request =
        format!("GET {path} HTTP/1.0\r\nHost: docker\r\nAccept: application/json\r\n\r\n");
    let buf = if let Some(sock) = ep.host.strip_prefix("unix://") {
        let s = std::os::unix::net::UnixStream::connect(sock).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        exchange(s, &request)?
    } else if let Some(addr) = ["tcp://", "http://", "https://"]
        .iter()
        .find_map(|p| ep.host.strip_prefix(p))
    {
        use std::net::ToSocketAddrs;
        let addr = addr.trim_end_matches('/');
        let sa = addr
            .to_socket_addrs()
            .map_err(|e| e.to_string())?
            .next()
            .ok_or("no address")?;
        let s = std::net::TcpStream::connect_timeout(&sa, timeout).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        match &ep.tls {
            Some(dir) => exchange(tls_stream(s, addr, dir)?, &request)?,
            None => exchange(s, &request)?,
        }
    } else {
        return Err(format!("unsupported host {}", ep.host));
    };
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed HTTP response")?;
    let head = String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") && !head.starts_with("http/1.0 200") {
        return Err(head.lines().next().unwrap_or("").to_string());
    }
    let body = buf[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..nl]).trim(), 16)
                .map_err(|e| e.to_string())?;
            if size == 0 {
                break;
            }
            let start = nl + 2;
            let chunk = rest.get(start..start + size).ok_or("truncated chunk")?;
            out.extend_from_slice(chunk);
            rest = rest.get(start + size + 2..).unwrap_or(&[]);
        }
        return Ok(out);
    }
    Ok(body)
}

/// Send the request and read the whole response (the server closes after an HTTP/1.0 reply).
fn exchange(mut s: impl std::io::Read + std::io::Write, request: &str) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    s.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    s.flush().map_err(|e| e.to_string())?;
    match s.read_to_end(&mut buf) {
        Ok(_) => Ok(buf),
        // a TLS peer that closes without close_notify: the response is complete anyway
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !buf.is_empty() => Ok(buf),
        Err(e) => Err(e.to_string()),
    }
}

/// TLS over `tcp` the way `connect_with_ssl` sets it up: `ca.pem` verifies the daemon (by the
/// host name or IP address of the endpoint), `cert.pem` and `key.pem` authenticate us.
fn tls_stream(
    tcp: std::net::TcpStream,
    addr: &str,
    dir: &std::path::Path,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    let file = |name: &str| dir.join(name);
    let pem_err = |name: &str, e: rustls::pki_types::pem::Error| {
        format!("cannot read {}: {e}", file(name).display())
    };
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(file("ca.pem")).map_err(|e| pem_err("ca.pem", e))? {
        let c = c.map_err(|e| pem_err("ca.pem", e))?;
        roots.add(c).map_err(|e| format!("ca.pem: {e}"))?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let config = if file("cert.pem").is_file() {
        let certs = CertificateDer::pem_file_iter(file("cert.pem"))
            .map_err(|e| pem_err("cert.pem", e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_err("cert.pem", e))?;
        let key =
            PrivateKeyDer::from_pem_file(file("key.pem")).map_err(|e| pem_err("key.pem", e))?;
        builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| e.to_string())?
    } else {
        builder.with_no_client_auth()
    };
    let host = match addr.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => addr,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name)
        .map_err(|e| e.to_string())?;
    Ok(rustls::StreamOwned::new(conn, tcp))
}

/// Fill in service healthchecks from the daemon's raw JSON (see [`fix_healthcheck_keys`]).
/// Returns why they could not be read, if so.
fn restore_healthchecks(
    snapshot: &mut Snapshot,
    ep: &Endpoint,
    timeout: Duration,
) -> Option<String> {
    let api = snapshot
        .api_version
        .clone()
        .unwrap_or_else(|| "1.41".into());
    snapshot.api_calls += 1;
    let body = match raw_get(ep, &format!("/v{api}/services"), timeout) {
        Ok(b) => b,
        Err(e) => return Some(format!("service healthchecks could not be read ({e})")),
    };
    let raw: Vec<serde_json::Value> = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return Some(format!("service healthchecks could not be read ({e})")),
    };
    for r in raw {
        let id = r["ID"].as_str().unwrap_or_default();
        let h = &r["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"];
        if h.is_null() {
            continue;
        }
        let Ok(h) = serde_json::from_value::<bollard::models::HealthConfig>(h.clone()) else {
            continue;
        };
        if let Some(cs) = snapshot
            .services
            .iter_mut()
            .find(|s| s.id.as_deref() == Some(id))
            .and_then(|s| s.spec.as_mut())
            .and_then(|s| s.task_template.as_mut())
            .and_then(|t| t.container_spec.as_mut())
        {
            cs.health_check = Some(h);
        }
    }
    None
}
