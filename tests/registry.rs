//! Image checks against real registries: Debian's `docker-registry` on loopback, started by
//! `scripts/registry-up` (one open, one with htpasswd basic auth), plus small responders on
//! 127.0.0.1 for what a real registry will not do on demand (hang, rate-limit, fail, hand out
//! bearer tokens). Images are written by the test with HTTP PUTs (OCI manifests, indexes,
//! configs) or pushed from the local daemon for the live scenario. Without the registries the
//! tests skip, except under CI=true, where they fail.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

const USER: &str = "satest";
const PASSWORD: &str = "satest-password";

fn open_registry() -> String {
    std::env::var("SWARMAUDIT_TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5055".into())
}

fn auth_registry() -> String {
    std::env::var("SWARMAUDIT_TEST_REGISTRY_AUTH").unwrap_or_else(|_| "127.0.0.1:5056".into())
}

fn registry_log(name: &str) -> std::path::PathBuf {
    let dir = std::env::var("SWARMAUDIT_TEST_REGISTRY_LOGS").unwrap_or_else(|_| "/var/log".into());
    Path::new(&dir).join(format!("swarmaudit-registry-{name}.log"))
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    )
}

fn answers(addr: &str) -> bool {
    agent()
        .get(&format!("http://{addr}/v2/"))
        .call()
        .is_ok_and(|r| matches!(r.status().as_u16(), 200 | 401))
}

/// Are the test registries up? Skips (or fails under CI) when not.
fn registries_ready() -> bool {
    let ready = answers(&open_registry()) && answers(&auth_registry());
    if !ready {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the test registries are required under CI (scripts/registry-up)");
        }
        eprintln!("skipping: no test registries (run scripts/registry-up)");
    }
    ready
}

fn digest(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(bytes);
    format!(
        "sha256:{}",
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

fn basic() -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    )
}

/// Writes images into a registry through the distribution API.
struct Pusher {
    addr: String,
    auth: Option<String>,
}

impl Pusher {
    fn open() -> Pusher {
        Pusher {
            addr: open_registry(),
            auth: None,
        }
    }

    fn authenticated() -> Pusher {
        Pusher {
            addr: auth_registry(),
            auth: Some(basic()),
        }
    }

    fn blob(&self, repo: &str, bytes: &[u8]) -> String {
        let d = digest(bytes);
        let a = agent();
        let mut post = a.post(&format!("http://{}/v2/{repo}/blobs/uploads/", self.addr));
        if let Some(h) = &self.auth {
            post = post.header("Authorization", h);
        }
        let resp = post.send_empty().expect("start upload");
        assert_eq!(resp.status().as_u16(), 202, "upload start");
        let location = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("upload location")
            .to_string();
        let url = if location.starts_with("http") {
            location
        } else {
            format!("http://{}{location}", self.addr)
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        let mut put = a
            .put(&format!("{url}{sep}digest={d}"))
            .header("Content-Type", "application/octet-stream");
        if let Some(h) = &self.auth {
            put = put.header("Authorization", h);
        }
        let resp = put.send(bytes).expect("finish upload");
        assert_eq!(resp.status().as_u16(), 201, "upload finish");
        d
    }

    fn manifest(&self, repo: &str, reference: &str, media_type: &str, body: &[u8]) -> String {
        let mut put = agent()
            .put(&format!(
                "http://{}/v2/{repo}/manifests/{reference}",
                self.addr
            ))
            .header("Content-Type", media_type);
        if let Some(h) = &self.auth {
            put = put.header("Authorization", h);
        }
        let resp = put.send(body).expect("put manifest");
        assert_eq!(
            resp.status().as_u16(),
            201,
            "put manifest {repo}:{reference}"
        );
        digest(body)
    }

    /// An image with this config (os/arch/created/config fields) under `repo:tag`; returns
    /// the manifest's digest and bytes.
    fn image(&self, repo: &str, tag: &str, config: Value) -> (String, Vec<u8>) {
        let mut config = config;
        if config.get("rootfs").is_none() {
            config["rootfs"] = json!({"type": "layers", "diff_ids": []});
        }
        let config_bytes = serde_json::to_vec(&config).expect("json");
        let config_digest = self.blob(repo, &config_bytes);
        let layer = format!("layer of {repo}:{tag}").into_bytes();
        let layer_digest = self.blob(repo, &layer);
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": config_bytes.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": layer_digest, "size": layer.len()}],
        });
        let bytes = serde_json::to_vec(&manifest).expect("json");
        let d = self.manifest(
            repo,
            tag,
            "application/vnd.oci.image.manifest.v1+json",
            &bytes,
        );
        (d, bytes)
    }
}

fn config(user: &str, created: &str) -> Value {
    json!({"architecture": "amd64", "os": "linux", "created": created,
           "config": {"User": user, "Env": null}})
}

/// A unique repository name per test and process.
fn repo(tag: &str) -> String {
    format!("sa-test/{tag}-{}", std::process::id())
}

/// A scan with its own cache directory and docker config (so the user's are never touched).
struct Env {
    cache: tempfile::TempDir,
    docker_config: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            cache: tempfile::tempdir().expect("tmp"),
            docker_config: tempfile::tempdir().expect("tmp"),
        }
    }

    fn write_docker_config(&self, v: Value) {
        std::fs::write(
            self.docker_config.path().join("config.json"),
            serde_json::to_vec(&v).expect("json"),
        )
        .expect("write config");
    }

    fn scan(&self, stack: &str, args: &[&str]) -> (Output, Value) {
        self.scan_with_path(stack, args, None)
    }

    fn scan_with_path(&self, stack: &str, args: &[&str], path: Option<&str>) -> (Output, Value) {
        let file = self.cache.path().join("stack.yml");
        std::fs::write(&file, stack).expect("write stack");
        let mut cmd = bin();
        cmd.current_dir(self.cache.path())
            .args([
                "scan",
                "--format",
                "json",
                "--fail-on",
                "never",
                "--resolve-images",
            ])
            .args(args)
            .arg(&file)
            .env("NO_COLOR", "1")
            .env("SWARMAUDIT_CACHE_DIR", self.cache.path().join("cache"))
            .env("DOCKER_CONFIG", self.docker_config.path());
        if let Some(p) = path {
            cmd.env("PATH", p);
        }
        let o = cmd.output().expect("run swarmaudit");
        let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        (o, v)
    }
}

/// `(rule, service, unknown, message)` of every finding.
fn findings(v: &Value) -> Vec<(String, String, bool, String)> {
    v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule_id"].as_str().unwrap_or("").to_string(),
                        f["object"]["name"].as_str().unwrap_or("").to_string(),
                        f["unknown"].as_bool().unwrap_or(false),
                        f["message"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn find<'a>(
    all: &'a [(String, String, bool, String)],
    rule: &str,
    svc: &str,
) -> Option<&'a (String, String, bool, String)> {
    all.iter().find(|f| f.0 == rule && f.1 == svc)
}

#[test]
fn file_mode_learns_user_and_healthcheck_and_suggests_the_digest() {
    if !registries_ready() {
        return;
    }
    let p = Pusher::open();
    let r = repo("facts");
    let mut hardened = config("10001:10001", "2026-01-01T00:00:00Z");
    hardened["config"]["Healthcheck"] =
        json!({"Test": ["CMD", "/bin/true"], "Interval": 30_000_000_000u64});
    let (hardened_digest, _) = p.image(&r, "hardened", hardened);
    p.image(&r, "root", config("", "2026-01-01T00:00:00Z"));
    let reg = open_registry();
    let stack = format!(
        "services:\n  safe:\n    image: {reg}/{r}:hardened\n  root:\n    image: {reg}/{r}:root\n"
    );
    let env = Env::new();
    let (o, v) = env.scan(&stack, &["--select", "SA101,SA601,SA502"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let all = findings(&v);
    assert!(find(&all, "SA101", "safe").is_none(), "{all:#?}");
    assert!(find(&all, "SA601", "safe").is_none(), "{all:#?}");
    let root = find(&all, "SA101", "root").expect("SA101 for root");
    assert!(!root.2, "USER is known from the config: {root:?}");
    let no_health = find(&all, "SA601", "root").expect("SA601 for root");
    assert!(!no_health.2, "{no_health:?}");
    let pin = find(&all, "SA502", "safe").expect("SA502");
    assert!(
        pin.3
            .contains(&format!("{reg}/{r}:hardened@{hardened_digest}")),
        "{}",
        pin.3
    );
    assert!(stderr(&o).contains("resolved 2 image(s)"), "{}", stderr(&o));
}

#[test]
fn build_age_and_end_of_life_labels_come_from_the_config() {
    if !registries_ready() {
        return;
    }
    let p = Pusher::open();
    let r = repo("age");
    let mut old = config("1000", "2020-03-01T10:00:00Z");
    old["config"]["Labels"] =
        json!({"org.opencontainers.image.base.name": "docker.io/library/debian:buster-slim"});
    p.image(&r, "old", old);
    p.image(&r, "epoch", config("1000", "1970-01-01T00:00:00Z"));
    p.image(
        &r,
        "fresh",
        config(
            "1000",
            &swarmaudit::registry::time::format_rfc3339(swarmaudit::registry::time::now()),
        ),
    );
    let reg = open_registry();
    let stack = format!(
        "services:\n  old:\n    image: {reg}/{r}:old\n  epoch:\n    image: {reg}/{r}:epoch\n  fresh:\n    image: {reg}/{r}:fresh\n"
    );
    let env = Env::new();
    let (o, v) = env.scan(&stack, &["--select", "SA504,SA505"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let all = findings(&v);
    let old = find(&all, "SA504", "old").expect("SA504 old");
    assert!(old.3.contains("2020-03-01"), "{}", old.3);
    let sev = v["findings"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|f| f["rule_id"] == "SA504" && f["object"]["name"] == "old")
        })
        .map(|f| f["severity"].clone());
    assert_eq!(sev, Some(json!("high")));
    let epoch = find(&all, "SA504", "epoch").expect("SA504 epoch");
    assert!(epoch.2 && epoch.3.contains("placeholder"), "{epoch:?}");
    assert!(find(&all, "SA504", "fresh").is_none(), "{all:#?}");
    let eol = find(&all, "SA505", "old").expect("SA505 from the base label");
    assert!(eol.3.contains("Debian 10 (buster)"), "{}", eol.3);
    assert!(find(&all, "SA505", "fresh").is_none(), "{all:#?}");
}

#[test]
fn a_multi_arch_index_is_read_for_the_requested_platform() {
    if !registries_ready() {
        return;
    }
    let p = Pusher::open();
    let r = repo("multi");
    let (amd, amd_bytes) = p.image(&r, "amd64-only", config("0", "2026-01-01T00:00:00Z"));
    let mut arm_cfg = config("10001", "2026-01-01T00:00:00Z");
    arm_cfg["architecture"] = json!("arm64");
    let (arm, arm_bytes) = p.image(&r, "arm64-only", arm_cfg);
    // an attestation manifest, listed as unknown/unknown, as buildx writes it
    let (att, att_bytes) = p.image(&r, "attestation", config("", "2026-01-01T00:00:00Z"));
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": att, "size": att_bytes.len(),
             "platform": {"architecture": "unknown", "os": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": amd}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": amd, "size": amd_bytes.len(),
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm, "size": arm_bytes.len(),
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
        ],
        "annotations": {"org.opencontainers.image.base.name": "docker.io/library/ubuntu:18.04"},
    });
    let index_bytes = serde_json::to_vec(&index).expect("json");
    let index_digest = p.manifest(
        &r,
        "multi",
        "application/vnd.oci.image.index.v1+json",
        &index_bytes,
    );
    let reg = open_registry();
    let stack = format!("services:\n  app:\n    image: {reg}/{r}:multi\n");
    let env = Env::new();
    // default linux/amd64: USER 0
    let (_, v) = env.scan(&stack, &["--select", "SA101,SA502,SA505"]);
    let all = findings(&v);
    assert!(find(&all, "SA101", "app").is_some_and(|f| !f.2), "{all:#?}");
    // the pin names the index digest, as the daemon records it
    assert!(
        find(&all, "SA502", "app").is_some_and(|f| f.3.contains(&index_digest)),
        "{all:#?}"
    );
    // index annotations count as labels
    assert!(
        find(&all, "SA505", "app").is_some_and(|f| f.3.contains("Ubuntu 18.04")),
        "{all:#?}"
    );
    // arm64: USER 10001
    let (_, v) = env.scan(&stack, &["--select", "SA101", "--platform", "linux/arm64"]);
    assert!(findings(&v).is_empty(), "{v:#}");
    // a platform the index lacks: unknown, naming what it has (not the attestation)
    let (o, v) = env.scan(&stack, &["--select", "SA101", "--platform", "linux/s390x"]);
    let all = findings(&v);
    let f = find(&all, "SA101", "app").expect("SA101");
    assert!(f.2, "{f:?}");
    assert!(
        f.3.contains("no linux/s390x image in the index (it has: linux/amd64, linux/arm64/v8)"),
        "{}",
        f.3
    );
    assert!(
        stderr(&o).contains("could not check 1 image(s)"),
        "{}",
        stderr(&o)
    );
    // a bad platform is a usage error
    let (o, _) = env.scan(&stack, &["--platform", "linux"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn an_unknown_tag_or_repository_is_unknown_not_a_pass() {
    if !registries_ready() {
        return;
    }
    let reg = open_registry();
    let r = repo("missing");
    let stack = format!("services:\n  gone:\n    image: {reg}/{r}:1\n");
    let env = Env::new();
    let (o, v) = env.scan(&stack, &["--select", "SA101,SA504,SA505,SA601"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let all = findings(&v);
    for rule in ["SA101", "SA504", "SA505", "SA601"] {
        let f = find(&all, rule, "gone").unwrap_or_else(|| panic!("{rule}: {all:#?}"));
        assert!(f.2, "{rule} must be unknown: {f:?}");
        assert!(f.3.contains("(HTTP 404)"), "{}", f.3);
    }
    assert!(
        stderr(&o).contains("could not check 1 image(s)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn basic_auth_registries_use_docker_credentials_and_failures_are_unknown() {
    if !registries_ready() {
        return;
    }
    let p = Pusher::authenticated();
    let r = repo("private");
    p.image(&r, "1", config("10001", "2026-01-01T00:00:00Z"));
    let reg = auth_registry();
    let stack = format!("services:\n  app:\n    image: {reg}/{r}:1\n");
    let no_secret = |o: &Output| {
        let all = format!("{}{}", stdout(o), stderr(o));
        assert!(!all.contains(PASSWORD), "the password leaked");
        assert!(!all.contains(&basic()[6..]), "the credentials leaked");
    };

    // no credentials: unknown, saying why
    let env = Env::new();
    let (o, v) = env.scan(&stack, &["--select", "SA101"]);
    let all = findings(&v);
    let f = find(&all, "SA101", "app").expect("SA101");
    assert!(f.2 && f.3.contains("requires authentication"), "{f:?}");
    no_secret(&o);

    // `auths` with base64 user:password
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    env.write_docker_config(json!({"auths": {reg.clone(): {"auth": auth}}}));
    let (o, v) = env.scan(&stack, &["--select", "SA101"]);
    assert!(findings(&v).is_empty(), "{v:#}\n{}", stderr(&o));
    no_secret(&o);

    // wrong password: rejected, unknown (a fresh cache, or the answers above would be reused)
    let env = Env::new();
    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:nope"));
    env.write_docker_config(json!({"auths": {format!("http://{reg}"): {"auth": wrong}}}));
    let (o, v) = env.scan(&stack, &["--select", "SA101"]);
    let all = findings(&v);
    let f = find(&all, "SA101", "app").expect("SA101");
    assert!(f.2 && f.3.contains("were rejected"), "{f:?}");
    no_secret(&o);

    // a credential helper named in credHelpers, run as `docker-credential-<name> get`
    let helper_dir = tempfile::tempdir().expect("tmp");
    let helper = helper_dir.path().join("docker-credential-satest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\n[ \"$server\" = \"{reg}\" ] || exit 1\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\n"
        ),
    )
    .expect("write helper");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let env = Env::new();
    env.write_docker_config(json!({"credHelpers": {reg.clone(): "satest"}}));
    let path = format!(
        "{}:{}",
        helper_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (o, v) = env.scan_with_path(&stack, &["--select", "SA101"], Some(&path));
    assert!(findings(&v).is_empty(), "{v:#}\n{}", stderr(&o));
    no_secret(&o);
}

/// Lines of a registry's access log that request this repository.
fn log_lines(log: &Path, repo: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(log) else {
        return 0;
    };
    let needle = format!(" /v2/{repo}/");
    text.lines()
        .filter(|l| l.contains("HTTP/1.1\"") && l.contains(&needle))
        .count()
}

#[test]
fn a_warm_cache_answers_without_network_and_offline_uses_only_the_cache() {
    if !registries_ready() {
        return;
    }
    let p = Pusher::open();
    let r = repo("cache");
    p.image(&r, "1", config("10001", "2026-01-01T00:00:00Z"));
    let reg = open_registry();
    let stack = format!("services:\n  app:\n    image: {reg}/{r}:1\n");
    let log = registry_log("open");
    let before = log_lines(&log, &r);
    let env = Env::new();
    let (o, v) = env.scan(&stack, &["--select", "SA101"]);
    assert!(findings(&v).is_empty(), "{v:#}");
    assert!(
        stderr(&o).contains("with 3 registry request(s), 0 answer(s) from the cache"),
        "{}",
        stderr(&o)
    );
    // the access log is written asynchronously; wait until the registry saw the cold run
    let deadline = Instant::now() + Duration::from_secs(5);
    while log_lines(&log, &r) < before + 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let cold = log_lines(&log, &r) - before;
    assert_eq!(cold, 3, "HEAD tag, GET manifest, GET config");

    let (o, v) = env.scan(&stack, &["--select", "SA101"]);
    assert!(findings(&v).is_empty(), "{v:#}");
    assert!(
        stderr(&o).contains("with 0 registry request(s), 3 answer(s) from the cache"),
        "{}",
        stderr(&o)
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        log_lines(&log, &r) - before,
        cold,
        "the warm run reached the registry"
    );

    // --offline: the same answers from the cache; another cache directory knows nothing
    let (o, v) = env.scan(&stack, &["--select", "SA101", "--offline"]);
    assert!(findings(&v).is_empty(), "{v:#}\n{}", stderr(&o));
    let empty = Env::new();
    let (o, v) = empty.scan(&stack, &["--select", "SA101", "--offline"]);
    let all = findings(&v);
    let f = find(&all, "SA101", "app").expect("SA101");
    assert!(f.2 && f.3.contains("--offline"), "{f:?}");
    assert!(
        stderr(&o).contains("with 0 registry request(s)"),
        "{}",
        stderr(&o)
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(log_lines(&log, &r) - before, cold);
}

/// A minimal HTTP responder on 127.0.0.1: `respond(request head)` gives the raw response, or
/// `None` to hold the connection open for `hold` without answering. Connections are counted.
/// The thread stops after `max` connections.
fn responder(
    max: usize,
    hold: Duration,
    respond: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let respond = Arc::new(respond);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            let respond = respond.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = String::new();
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => head.push_str(&line),
                    }
                }
                match respond(&head) {
                    Some(resp) => {
                        let _ = stream.write_all(resp.as_bytes());
                    }
                    None => std::thread::sleep(hold),
                }
            });
        }
    });
    (addr, count)
}

fn http(status: &str, headers: &[(&str, String)], body: &[u8]) -> String {
    let mut s = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(&String::from_utf8_lossy(body));
    s
}

#[test]
fn a_registry_that_never_answers_times_out_in_bounded_time() {
    let (addr, _) = responder(16, Duration::from_secs(20), |_| None);
    let stack = format!("services:\n  slow:\n    image: {addr}/app:1\n");
    let env = Env::new();
    let started = Instant::now();
    let (o, v) = env.scan(&stack, &["--select", "SA101", "--registry-timeout", "1"]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let all = findings(&v);
    let f = find(&all, "SA101", "slow").expect("SA101");
    assert!(f.2 && f.3.contains("did not answer within 1s"), "{f:?}");
    assert!(
        stderr(&o).contains("could not check 1 image(s)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn rate_limits_and_server_errors_are_retried_then_unknown() {
    // 503 every time: three attempts, then unknown
    let (addr, count) = responder(16, Duration::ZERO, |_| {
        Some(http("503 Service Unavailable", &[], b""))
    });
    let stack = format!("services:\n  flaky:\n    image: {addr}/app:1\n");
    let env = Env::new();
    let (_, v) = env.scan(&stack, &["--select", "SA101"]);
    let all = findings(&v);
    let f = find(&all, "SA101", "flaky").expect("SA101");
    assert!(f.2 && f.3.contains("failed with HTTP 503"), "{f:?}");
    assert_eq!(count.load(Ordering::SeqCst), 3);

    // 429 with a long Retry-After: no waiting, unknown with the reason
    let (addr, count) = responder(16, Duration::ZERO, |_| {
        Some(http(
            "429 Too Many Requests",
            &[("Retry-After", "3600".into())],
            b"{\"errors\":[{\"code\":\"TOOMANYREQUESTS\"}]}",
        ))
    });
    let stack = format!("services:\n  limited:\n    image: {addr}/app:1\n");
    let started = Instant::now();
    let (_, v) = env.scan(&stack, &["--select", "SA101"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    let all = findings(&v);
    let f = find(&all, "SA101", "limited").expect("SA101");
    assert!(
        f.2 && f
            .3
            .contains("rate-limits requests (HTTP 429, retry after 3600s)"),
        "{f:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn anonymous_bearer_tokens_are_fetched_from_the_challenge_realm() {
    // a registry that wants a bearer token from its realm, as Docker Hub, GHCR and Quay do
    let mut cfg = config("10001", "2026-01-01T00:00:00Z");
    cfg["rootfs"] = json!({"type": "layers", "diff_ids": []});
    let config_bytes = serde_json::to_vec(&cfg).expect("json");
    let config_digest = digest(&config_bytes);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "digest": config_digest, "size": config_bytes.len()},
        "layers": [],
    }))
    .expect("json");
    let manifest_digest = digest(&manifest);
    let token = "t0ken-that-must-not-leak";
    let realm_seen = Arc::new(std::sync::Mutex::new(String::new()));
    let seen = realm_seen.clone();
    let addr_cell: Arc<std::sync::OnceLock<String>> = Arc::new(std::sync::OnceLock::new());
    let addr_for = addr_cell.clone();
    let (addr, _) = responder(32, Duration::ZERO, move |head| {
        let line = head.lines().next().unwrap_or("").to_string();
        let path = line.split(' ').nth(1).unwrap_or("").to_string();
        let authorized = head
            .lines()
            .any(|l| l.to_ascii_lowercase() == format!("authorization: bearer {token}"));
        let me = addr_for.get().cloned().unwrap_or_default();
        if path.starts_with("/token?") {
            *seen.lock().unwrap_or_else(|p| p.into_inner()) = path.clone();
            return Some(http(
                "200 OK",
                &[("Content-Type", "application/json".into())],
                format!("{{\"token\":\"{token}\",\"expires_in\":300}}").as_bytes(),
            ));
        }
        if !authorized {
            return Some(http("401 Unauthorized", &[(
                "WWW-Authenticate",
                format!("Bearer realm=\"http://{me}/token\",service=\"fake-registry\",scope=\"repository:team/app:pull\""),
            )], b""));
        }
        let is_head = line.starts_with("HEAD");
        if path.contains("/manifests/") {
            let ct = (
                "Content-Type",
                "application/vnd.docker.distribution.manifest.v2+json".to_string(),
            );
            let dg = ("Docker-Content-Digest", manifest_digest.clone());
            if is_head {
                return Some(format!(
                    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {}\r\nContent-Type: {}\r\nDocker-Content-Digest: {}\r\n\r\n",
                    manifest.len(), ct.1, dg.1
                ));
            }
            return Some(http("200 OK", &[ct, dg], &manifest));
        }
        if path.ends_with(&config_digest) {
            return Some(http("200 OK", &[], &config_bytes));
        }
        Some(http(
            "404 Not Found",
            &[],
            b"{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}",
        ))
    });
    let _ = addr_cell.set(addr.clone());
    let stack = format!("services:\n  app:\n    image: {addr}/team/app:1\n");
    let env = Env::new();
    let (o, v) = env.scan(&stack, &["--select", "SA101,SA502"]);
    let all = findings(&v);
    assert!(
        find(&all, "SA101", "app").is_none(),
        "{all:#?}\n{}",
        stderr(&o)
    );
    let realm = realm_seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(
        realm,
        "/token?service=fake-registry&scope=repository%3Ateam%2Fapp%3Apull"
    );
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!out.contains(token), "the token leaked");
}

/// The swarm tests of this file run one at a time (they deploy services).
static SWARM: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Is a swarm with the test images available? Skips (or fails under CI) when not.
fn swarm_ready() -> bool {
    swarm_with_image("swarmaudit-test/hardened:1")
}

/// A deployed stack and the local tags pushed for it, removed on drop.
struct Deployed {
    stack: String,
    tags: Vec<String>,
}

impl Drop for Deployed {
    fn drop(&mut self) {
        let _ = docker(&["stack", "rm", &self.stack]);
        let filter = format!("label=com.docker.stack.namespace={}", self.stack);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let s = docker(&["service", "ls", "-q", "--filter", &filter]);
            let n = docker(&["network", "ls", "-q", "--filter", &filter]);
            if String::from_utf8_lossy(&s.stdout).trim().is_empty()
                && String::from_utf8_lossy(&n.stdout).trim().is_empty()
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        for t in &self.tags {
            let _ = docker(&["rmi", t]);
        }
    }
}

fn push(local: &str, remote: &str, deployed: &mut Deployed) {
    assert!(docker(&["tag", local, remote]).status.success());
    deployed.tags.push(remote.to_string());
    let o = docker(&["push", "-q", remote]);
    assert!(
        o.status.success(),
        "push: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn service_image(service: &str) -> String {
    let o = docker(&[
        "service",
        "inspect",
        "--format",
        "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
        service,
    ]);
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn live_scan(stack: &str, cache: &Path) -> (Output, Value) {
    let o = bin()
        .args([
            "scan",
            "--live",
            "--stack",
            stack,
            "--resolve-images",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--select",
            "SA503,SA504,SA505,SA507",
        ])
        .env("NO_COLOR", "1")
        .env("SWARMAUDIT_CACHE_DIR", cache)
        .output()
        .expect("run swarmaudit");
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o, v)
}

#[test]
fn a_running_image_whose_tag_moved_is_stale_until_the_service_is_updated() {
    let _swarm = SWARM.lock().unwrap_or_else(|p| p.into_inner());
    if !registries_ready() || !swarm_ready() {
        return;
    }
    let name = format!("sa_stale_{}", std::process::id());
    let image = format!("{}/sa-test/stale-{}:1", open_registry(), std::process::id());
    let mut deployed = Deployed {
        stack: name.clone(),
        tags: vec![],
    };
    push("swarmaudit-test/busybox:1", &image, &mut deployed);
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("stack.yml");
    std::fs::write(
        &file,
        format!("services:\n  app:\n    image: {image}\n    deploy:\n      replicas: 1\n"),
    )
    .expect("write");
    let o = docker(&[
        "stack",
        "deploy",
        "--resolve-image",
        "always",
        "-c",
        file.to_str().expect("utf8"),
        &name,
    ]);
    assert!(
        o.status.success(),
        "deploy: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let service = format!("{name}_app");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !service_image(&service).contains("@sha256:") {
        assert!(
            Instant::now() < deadline,
            "the service did not appear with a digest"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let deployed_image = service_image(&service);

    let cache = tempfile::tempdir().expect("tmp");
    let (o, v) = live_scan(&name, cache.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let all = findings(&v);
    assert!(
        find(&all, "SA503", "app").is_none(),
        "fresh deploy: {all:#?}"
    );
    // the loopback registry is insecure; the image config was read from the registry
    assert!(find(&all, "SA507", "app").is_some(), "{all:#?}");

    // push another image to the same tag: the service now runs a stale digest
    push("swarmaudit-test/hardened:1", &image, &mut deployed);
    let fresh_cache = tempfile::tempdir().expect("tmp");
    let (o, v) = live_scan(&name, fresh_cache.path());
    let all = findings(&v);
    let stale = find(&all, "SA503", "app")
        .unwrap_or_else(|| panic!("SA503 expected: {all:#?}\n{}", stderr(&o)));
    assert!(!stale.2, "{stale:?}");
    assert!(
        stale
            .3
            .contains("docker service update --with-registry-auth --image"),
        "{}",
        stale.3
    );

    // update the service with the same tag: the manager resolves the new digest
    let o = docker(&["service", "update", "--detach", "--image", &image, &service]);
    assert!(
        o.status.success(),
        "update: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while service_image(&service) == deployed_image {
        assert!(
            Instant::now() < deadline,
            "the update did not change the digest"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (o, v) = live_scan(&name, fresh_cache.path());
    let all = findings(&v);
    assert!(
        find(&all, "SA503", "app").is_none(),
        "after the update: {all:#?}\n{}",
        stderr(&o)
    );
}

#[test]
fn a_stack_file_with_several_images_is_resolved_concurrently_and_bounded() {
    if !registries_ready() {
        return;
    }
    let p = Pusher::open();
    let r = repo("many");
    let reg = open_registry();
    let mut stack = String::from("services:\n");
    for i in 0..12 {
        p.image(
            &r,
            &format!("t{i}"),
            config(&format!("{}", 1000 + i), "2026-01-01T00:00:00Z"),
        );
        stack.push_str(&format!("  s{i}:\n    image: {reg}/{r}:t{i}\n"));
    }
    let env = Env::new();
    let (o, v) = env.scan(&stack, &["--select", "SA101"]);
    assert!(findings(&v).is_empty(), "{v:#}");
    let err = stderr(&o);
    assert!(
        err.contains("resolved 12 image(s) with 36 registry request(s)"),
        "{err}"
    );
    let peak: usize = err
        .split("at most ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    assert!((2..=8).contains(&peak), "requests in flight: {peak}\n{err}");
}

#[test]
fn hosts_named_insecure_are_reported_without_asking_them() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "stack.yml",
        "services:\n  app:\n    image: registry.lan:5000/app:1\n  web:\n    image: nginx:1.27.3\n",
    );
    let args = [
        "scan",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--select",
        "SA507",
    ];
    let o = run_in(dir.path(), &[&args[..], &["stack.yml"]].concat());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    assert!(findings(&v).is_empty(), "{v:#}");
    let o = run_in(
        dir.path(),
        &[
            &args[..],
            &["--insecure-registry", "registry.lan:5000", "stack.yml"],
        ]
        .concat(),
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    let all = findings(&v);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(
        all[0].3.contains("named with --insecure-registry"),
        "{all:#?}"
    );
    // no lookup was asked for: nothing was resolved, nothing said about it
    assert!(!stderr(&o).contains("resolved"), "{}", stderr(&o));
}

#[test]
fn fix_pins_the_digest_the_registry_serves_and_the_rescan_is_clean() {
    if !registries_ready() {
        return;
    }
    let p = Pusher::open();
    let r = repo("pin");
    let (tagged, _) = p.image(&r, "1.2", config("10001", "2026-01-01T00:00:00Z"));
    let (latest, _) = p.image(&r, "latest", config("10001", "2026-01-02T00:00:00Z"));
    let reg = open_registry();
    let env = Env::new();
    let file = env.cache.path().join("stack.yml");
    let original = format!(
        "services:\n  app:\n    image: {reg}/{r}:1.2   # keep this comment\n  edge:\n    image: \"{reg}/{r}\"\n"
    );
    std::fs::write(&file, &original).expect("write");
    let fix = |args: &[&str]| {
        bin()
            .current_dir(env.cache.path())
            .args(["fix", "--select", "SA501,SA502"])
            .args(args)
            .arg("stack.yml")
            .env("NO_COLOR", "1")
            .env("SWARMAUDIT_CACHE_DIR", env.cache.path().join("cache"))
            .env("DOCKER_CONFIG", env.docker_config.path())
            .output()
            .expect("run swarmaudit fix")
    };
    // without a registry lookup there is no digest to pin: no patch, and it says why
    let o = fix(&["--unsafe-fixes"]);
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(stderr(&o).contains("--resolve-images"), "{}", stderr(&o));
    // pinning is unsafe (later pushes no longer deploy): not without --unsafe-fixes
    let o = fix(&["--resolve-images"]);
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    let o = fix(&["--resolve-images", "--unsafe-fixes", "--write"]);
    let fixed = std::fs::read_to_string(&file).expect("read");
    assert_eq!(
        fixed,
        format!(
            "services:\n  app:\n    image: {reg}/{r}:1.2@{tagged}   # keep this comment\n  edge:\n    image: \"{reg}/{r}:latest@{latest}\"\n"
        ),
        "{}",
        stderr(&o)
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (o, v) = env.scan_with_path(&fixed, &["--select", "SA501,SA502"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(findings(&v).is_empty(), "{v:#}");
}
