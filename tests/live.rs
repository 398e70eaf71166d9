//! Live mode against a real single-node swarm (started by `scripts/swarm-up`, which the test
//! command runs). Each test deploys its own stacks under a unique name and removes them again,
//! also when it fails. Without a swarm the tests skip, except under CI=true, where they fail.
//! Error paths that one machine cannot produce with a real daemon (a hung daemon, an old API)
//! use a minimal HTTP responder on 127.0.0.1.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Tests that use the swarm run one at a time (the read-only test compares the whole swarm's
/// state before and after a scan). Poisoning is ignored: a failed test must not fail the rest.
static SWARM: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn swarm_lock() -> std::sync::MutexGuard<'static, ()> {
    SWARM.lock().unwrap_or_else(|p| p.into_inner())
}

/// Is a swarm with the test images available? Skips (or fails under CI) when not.
fn swarm_ready() -> bool {
    swarm_with_image("swarmaudit-test/hardened:1")
}

/// A deployed stack, removed on drop (also when the test panics).
struct Stack {
    name: String,
}

impl Stack {
    fn deploy(tag: &str, file: &str, services: usize) -> Stack {
        let name = format!("sa_{tag}_{}", std::process::id());
        let stack = Stack { name: name.clone() };
        let path = repo().join("fixtures/live").join(file);
        let out = docker(&["stack", "deploy", "-c", path.to_str().expect("utf8"), &name]);
        assert!(
            out.status.success(),
            "deploy failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while stack.services().len() < services {
            assert!(Instant::now() < deadline, "stack {name} did not appear");
            std::thread::sleep(Duration::from_millis(200));
        }
        stack
    }

    fn services(&self) -> Vec<String> {
        let filter = format!("label=com.docker.stack.namespace={}", self.name);
        let out = docker(&[
            "service",
            "ls",
            "--filter",
            &filter,
            "--format",
            "{{.Name}}",
        ]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = docker(&["stack", "rm", &self.name]);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.services().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
        }
        // networks go away asynchronously; wait so later tests see a clean swarm
        let filter = format!("label=com.docker.stack.namespace={}", self.name);
        while Instant::now() < deadline {
            let out = docker(&["network", "ls", "-q", "--filter", &filter]);
            if String::from_utf8_lossy(&out.stdout).trim().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn scan(args: &[&str]) -> (Output, Value) {
    let o = run_in(
        &repo(),
        &[
            &["scan", "--live", "--format", "json", "--fail-on", "never"],
            args,
        ]
        .concat(),
    );
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o, v)
}

fn findings(v: &Value) -> BTreeSet<(String, String)> {
    v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule_id"].as_str().unwrap_or("").to_string(),
                        format!(
                            "{} {}",
                            f["object"]["kind"].as_str().unwrap_or(""),
                            f["object"]["name"].as_str().unwrap_or("")
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn flawed_stack_reports_exactly_its_findings() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let stack = Stack::deploy("flawed", "flawed.yml", 1);
    let (o, v) = scan(&["--stack", &stack.name, "--ignore", "SA7,SA202"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        findings(&v),
        set(&[
            ("SA101", "service web"), // USER of the image is empty: root, known from the image
            ("SA103", "service web"), // no CapabilityDrop
            ("SA107", "service web"), // the test daemon does not enforce no-new-privileges
            ("SA109", "service web"), // ReadOnly not set
            ("SA201", "network default"),
            ("SA203", "service web"),
            ("SA301", "service web"),
            ("SA302", "service web"),
            ("SA303", "service web"),
            ("SA304", "service web"),
            ("SA305", "service web"),
            ("SA401", "service web"),
            ("SA506", "service web"),
            ("SA601", "service web"),
            ("SA603", "service web"),
            ("SA605", "service web"),
            ("SA606", "service web"),
        ])
    );
    let web = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "SA101")
        .expect("SA101");
    assert_eq!(web["unknown"], false, "the image config is on this node");
    assert_eq!(
        web["file"],
        format!("swarm/stacks/{}/services/{}_web", stack.name, stack.name)
    );
    assert!(web["api_path"]
        .as_str()
        .expect("api_path")
        .starts_with(&format!("service {}_web", stack.name)));
    // the secret value never appears
    assert!(!String::from_utf8_lossy(&o.stdout).contains("changeme"));
    assert!(!stderr(&o).contains("changeme"));
    assert!(stderr(&o).contains("API calls"), "{}", stderr(&o));
}

#[test]
fn image_user_and_healthcheck_are_joined() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let stack = Stack::deploy("hardened", "hardened.yml", 1);
    let (o, v) = scan(&["--stack", &stack.name, "--ignore", "SA7,SA202"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // USER 10001 and HEALTHCHECK come from the image; the network is encrypted. The test
    // daemon does not enforce no-new-privileges (no `name=no-new-privileges` in /info), and the
    // service spec cannot set it before API 1.44: SA107 is a real finding here.
    assert_eq!(
        findings(&v),
        set(&[
            ("SA107", "service app"),
            ("SA305", "service app"),
            ("SA506", "service app")
        ])
    );
}

#[test]
fn cluster_rules_on_a_single_node_swarm() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let stack = Stack::deploy("cluster", "flawed.yml", 1);
    let (_, v) = scan(&["--stack", &stack.name, "--select", "SA2,SA7"]);
    let got = findings(&v);
    // defaults of `docker swarm init`: autolock off, 90-day certificates; one node, one manager,
    // no workers: SA702/SA703/SA704 stay quiet; the flawed stack publishes through the mesh
    for expected in [
        ("SA701", "swarm swarm"),
        ("SA705", "swarm swarm"),
        ("SA202", "network ingress"),
    ] {
        assert!(
            got.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{got:?}"
        );
    }
    for quiet in ["SA702", "SA703", "SA704", "SA707"] {
        assert!(!got.iter().any(|(r, _)| r == quiet), "{quiet}: {got:?}");
    }
}

#[test]
fn stack_filter_limits_the_audit() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let a = Stack::deploy("fa", "flawed.yml", 1);
    let b = Stack::deploy("fb", "hardened.yml", 1);
    let (_, v) = scan(&["--stack", &a.name, "--select", "SA3"]);
    let files: BTreeSet<String> = v["findings"]
        .as_array()
        .expect("f")
        .iter()
        .map(|f| f["file"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(files.iter().all(|f| f.contains(&a.name)), "{files:?}");
    assert!(!files.iter().any(|f| f.contains(&b.name)));
}

#[test]
fn drift_between_file_and_swarm_is_located_in_the_file() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let stack = Stack::deploy("drift", "hardened.yml", 1);
    let drifted = "fixtures/live/drifted.yml";
    let (o, v) = scan(&[
        "--stack",
        &stack.name,
        "-c",
        drifted,
        "--select",
        "SA006,SA101",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got: Vec<(String, i64, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_i64().unwrap_or(0),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let lines: Vec<i64> = got.iter().map(|g| g.1).collect();
    assert!(got.iter().all(|g| g.0 == drifted), "{got:?}");
    // user (line 7), memory limit (line 16), the service missing in the swarm (line 20); the
    // healthcheck (read from the daemon's `Healthcheck` key) matches and is not reported
    assert_eq!(lines, vec![7, 16, 20], "{got:#?}");
    assert!(
        got[0]
            .2
            .contains("`20002:20002` in the stack file but not set"),
        "{}",
        got[0].2
    );
}

/// The state a read-only audit must leave untouched.
fn swarm_state() -> String {
    let mut s = String::new();
    for args in [
        vec!["service", "ls", "-q"],
        vec!["network", "ls", "-q"],
        vec!["secret", "ls", "-q"],
        vec!["config", "ls", "-q"],
        vec!["node", "ls", "-q"],
    ] {
        s.push_str(&String::from_utf8_lossy(&docker(&args).stdout));
    }
    for id in String::from_utf8_lossy(&docker(&["service", "ls", "-q"]).stdout).lines() {
        s.push_str(&String::from_utf8_lossy(
            &docker(&[
                "service",
                "inspect",
                "--format",
                "{{.Version.Index}} {{.UpdatedAt}}",
                id,
            ])
            .stdout,
        ));
    }
    s.push_str(&String::from_utf8_lossy(
        &docker(&["info", "--format", "{{json .Swarm.Cluster}}"]).stdout,
    ));
    s
}

#[test]
fn live_mode_changes_nothing() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let stack = Stack::deploy("ro", "flawed.yml", 1);
    let before = swarm_state();
    for format in ["json", "sarif", "table", "github"] {
        let o = run_in(
            &repo(),
            &["scan", "--live", "--format", format, "--fail-on", "never"],
        );
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
    }
    let (_, _) = scan(&["--stack", &stack.name, "-c", "fixtures/live/flawed.yml"]);
    assert_eq!(before, swarm_state());
}

#[test]
fn sarif_for_live_findings_is_locatable() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let stack = Stack::deploy("sarif", "flawed.yml", 1);
    let o = run_in(
        &repo(),
        &[
            "scan",
            "--live",
            "--stack",
            &stack.name,
            "--format",
            "sarif",
            "--fail-on",
            "never",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("sarif json");
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let loc = &r["locations"][0];
        assert!(loc["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("swarm/")));
        assert!(loc["physicalLocation"]["region"]["startLine"].as_i64() >= Some(1));
        let fqn = loc["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .expect("fqn");
        if r["ruleId"] == "SA101" {
            assert_eq!(fqn, format!("services.{}_web", stack.name));
            assert_eq!(loc["logicalLocations"][0]["name"], "web");
        }
    }
}

#[test]
fn unreachable_daemon_names_the_address() {
    let o = run_in(
        &repo(),
        &["scan", "--live", "-H", "unix:///nonexistent/docker.sock"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unix:///nonexistent/docker.sock"),
        "{}",
        stderr(&o)
    );
    // a closed TCP port on loopback
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let host = format!("tcp://127.0.0.1:{port}");
    let o = run_in(&repo(), &["scan", "--live", "-H", &host]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&host), "{}", stderr(&o));
}

/// Serve canned HTTP responses on 127.0.0.1 (by path prefix); `None` means never answer.
fn responder(routes: Vec<(&'static str, Option<String>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let routes = routes.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("").to_string();
                // strip an API version prefix such as /v1.41
                let path = match path.strip_prefix("/v") {
                    Some(rest) => rest
                        .find('/')
                        .map_or(path.clone(), |i| rest[i..].to_string()),
                    None => path,
                };
                match routes.iter().find(|(p, _)| path.starts_with(p)) {
                    Some((_, Some(body))) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.40\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    Some((_, None)) => std::thread::sleep(Duration::from_secs(30)),
                    None => {
                        let _ = write!(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    }
                }
            });
        }
    });
    format!("tcp://{addr}")
}

#[test]
fn a_hung_daemon_times_out() {
    let host = responder(vec![("/", None)]);
    let start = Instant::now();
    let o = run_in(&repo(), &["scan", "--live", "-H", &host, "--timeout", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "took {:?}",
        start.elapsed()
    );
    assert!(stderr(&o).contains("timed out"), "{}", stderr(&o));
}

#[test]
fn an_old_api_is_named_with_the_version_needed() {
    let version =
        r#"{"Version":"19.03.15","ApiVersion":"1.40","MinAPIVersion":"1.12"}"#.to_string();
    let host = responder(vec![
        ("/version", Some(version)),
        ("/_ping", Some("OK".into())),
    ]);
    let o = run_in(&repo(), &["scan", "--live", "-H", &host, "--timeout", "5"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("1.40") && err.contains("1.41"), "{err}");
}

#[test]
fn a_worker_is_not_a_manager() {
    let version = r#"{"Version":"24.0.7","ApiVersion":"1.43","MinAPIVersion":"1.12"}"#.to_string();
    let info =
        r#"{"ID":"x","Swarm":{"NodeID":"n1","LocalNodeState":"active","ControlAvailable":false}}"#
            .to_string();
    let host = responder(vec![
        ("/version", Some(version)),
        ("/info", Some(info)),
        ("/_ping", Some("OK".into())),
    ]);
    let o = run_in(&repo(), &["scan", "--live", "-H", &host, "--timeout", "5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a swarm manager"), "{}", stderr(&o));
}

#[test]
fn context_store_is_honoured() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path();
    // `docker context create` writes the store the same way
    let out = Command::new("docker")
        .env("DOCKER_CONFIG", cfg)
        .args([
            "context",
            "create",
            "satest",
            "--docker",
            "host=unix:///var/run/docker.sock",
        ])
        .output()
        .expect("docker context create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o = bin()
        .current_dir(repo())
        .env("DOCKER_CONFIG", cfg)
        .env_remove("DOCKER_HOST")
        .args([
            "scan",
            "--live",
            "--context",
            "satest",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--select",
            "SA701",
        ])
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let missing = bin()
        .current_dir(repo())
        .env("DOCKER_CONFIG", cfg)
        .args(["scan", "--live", "--context", "nope"])
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("`nope` not found"));
}

#[test]
fn permission_denied_on_the_socket_is_explained() {
    let _swarm = swarm_lock();
    if !swarm_ready() || !Path::new("/usr/bin/setpriv").exists() {
        return;
    }
    // run as nobody: the socket is root:docker 0660
    let o = Command::new("/usr/bin/setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_swarmaudit"),
            "scan",
            "--live",
        ])
        .output()
        .expect("setpriv");
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("permission denied"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_service_that_cannot_converge_is_reported() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let stack = Stack::deploy("stuck", "unconverged.yml", 1);
    let (o, v) = scan(&["--stack", &stack.name, "--select", "SA609"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(findings(&v), set(&[("SA609", "service stuck")]));
    let msg = v["findings"][0]["message"].as_str().unwrap_or("");
    assert!(msg.contains("0 of 1 desired tasks are running"), "{msg}");
}

#[test]
fn service_label_suppressions_hold_in_live_mode() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let stack = Stack::deploy("label", "labelled.yml", 1);
    let (o, v) = scan(&["--stack", &stack.name, "--select", "SA101,SA007"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let f = &v["findings"].as_array().expect("findings")[0];
    assert_eq!(f["rule_id"], "SA101");
    assert_eq!(f["suppressed"], true);
    assert_eq!(
        f["suppression"]["reason"],
        "vendor image, runs as root until v3 (SEC-42)"
    );
    assert_eq!(
        v["findings"].as_array().map(Vec::len),
        Some(1),
        "no SA007: the label is used"
    );
}

/// A swarm config created for one test, removed on drop (also when the test panics).
struct SwarmConfig {
    name: String,
}

impl SwarmConfig {
    fn create(name: &str, labels: &[&str], data: &str) -> SwarmConfig {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("data");
        std::fs::write(&file, data).expect("write config data");
        let mut args = vec!["config", "create"];
        for l in labels {
            args.extend(["--label", l]);
        }
        args.extend([name, file.to_str().expect("utf8")]);
        let out = docker(&args);
        assert!(
            out.status.success(),
            "config create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SwarmConfig { name: name.into() }
    }
}

impl Drop for SwarmConfig {
    fn drop(&mut self) {
        let _ = docker(&["config", "rm", &self.name]);
    }
}

#[test]
fn config_data_is_scanned_for_secrets_and_never_printed() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let stack = format!("sa_cfgscan_{}", std::process::id());
    let label = format!("com.docker.stack.namespace={stack}");
    // assembled at run time: no credential-shaped literal in the repository
    let password: String = format!("{:x}Qz{}", std::process::id() * 7919, "Vr8kLm2Tp");
    let token = format!(
        "SWMTKN-1-{}-{}",
        "7k2m9q4w8e1r5t3y6u0i2o4p8a1s3d5f7g9h2j4k6l8z0x3c5v", "1n3m5q7w9e2r4t6y8u1i3o5p7"
    );
    let data = format!("server.port=8080\ndb.password={password}\njoin={token}\n");
    let with_secret = SwarmConfig::create(&format!("{stack}_app_properties"), &[&label], &data);
    let clean = SwarmConfig::create(
        &format!("{stack}_nginx_conf"),
        &[&label],
        "server { listen 8080; }\n",
    );
    let (o, v) = scan(&["--stack", &stack, "--select", "SA407,SA411"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        findings(&v),
        set(&[
            ("SA407", "config app_properties"),
            ("SA411", "config app_properties"),
        ])
    );
    for format in ["json", "sarif", "table", "github"] {
        let o = run_in(
            &repo(),
            &[
                "scan",
                "--live",
                "--stack",
                &stack,
                "--format",
                format,
                "--fail-on",
                "never",
            ],
        );
        let all = format!("{}\n{}", stdout(&o), stderr(&o));
        assert!(all.contains("SA407"), "{format}: {all}");
        for secret in [password.as_str(), token.as_str(), &token[9..30]] {
            assert!(!all.contains(secret), "{format} prints config data");
        }
        // nor the base64 form the API returns
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(data.as_bytes());
        assert!(
            !all.contains(&b64[16..40]),
            "{format} prints base64 config data"
        );
    }
    drop((with_secret, clean));
}

#[test]
fn live_mode_checks_the_host_of_this_node() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let name = String::from_utf8_lossy(&docker(&["info", "--format", "{{.Name}}"]).stdout)
        .trim()
        .to_string();
    let (o, v) = scan(&["--select", "SA708,SA709,SA710,SA711,SA712,SA713,SA714"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = findings(&v);
    assert!(!got.is_empty(), "no host findings: {v}");
    // this machine is the swarm's only node: its findings name the node
    for (rule, object) in &got {
        assert_eq!(object, &format!("node {name}"), "{rule}");
    }
    if !Path::new("/etc/docker/daemon.json").exists() {
        assert!(got.contains(&("SA712".to_string(), format!("node {name}"))));
    }
    // not selected: not collected, not reported
    let (_, v) = scan(&["--select", "SA701"]);
    assert!(findings(&v).iter().all(|(r, _)| r == "SA701"), "{v}");
}
