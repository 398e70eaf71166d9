//! Live mode over TCP with mutual TLS, the way remote managers are reached
//! (`DOCKER_HOST=tcp://…` + `DOCKER_TLS_VERIFY` + `DOCKER_CERT_PATH`, `-H`, and a TLS docker
//! context written by `docker context create`), against the real daemon: `scripts/swarm-up`
//! starts dockerd with `--tlsverify` on tcp://127.0.0.1:23760 and keeps the test PKI in
//! /etc/swarmaudit-test/tls (client certificates in client/). A second CA made here with the
//! openssl CLI plays the impostor. Skips without that setup, except under CI=true, where it
//! fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

const TLS_HOST: &str = "tcp://127.0.0.1:23760";
const TLS_DIR: &str = "/etc/swarmaudit-test/tls";

fn ready() -> bool {
    let client = Path::new(TLS_DIR).join("client");
    let ok = client.join("key.pem").is_file()
        && std::net::TcpStream::connect("127.0.0.1:23760").is_ok()
        && Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("dockerd with TLS on {TLS_HOST} and openssl are required under CI (scripts/swarm-up)");
        }
        eprintln!("skipping: no TLS daemon on {TLS_HOST} (run scripts/swarm-up)");
    }
    ok
}

fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A CA in `dir` (ca.pem, ca-key.pem) and a certificate signed by it (`name`.pem, `name`-key.pem).
fn ca(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=swarmaudit test CA",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
        ],
    );
}

/// A stack deployed through the normal socket, removed on drop.
struct Stack(String);

impl Stack {
    fn deploy() -> Stack {
        let name = format!("sa_tls_{}", std::process::id());
        let file = repo().join("fixtures/live/tls.yml");
        let o = Command::new("docker")
            .args(["stack", "deploy", "-c", file.to_str().expect("utf8"), &name])
            .output()
            .expect("docker");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        Stack(name)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["stack", "rm", &self.0])
            .output();
    }
}

/// A cert directory as the docker CLI expects it: ca.pem, and cert.pem + key.pem when `client`.
fn cert_dir(root: &Path, name: &str, ca: &Path, client: bool) -> PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).expect("mkdir");
    std::fs::copy(ca, d.join("ca.pem")).expect("ca");
    if client {
        let from = Path::new(TLS_DIR).join("client");
        for f in ["cert.pem", "key.pem"] {
            std::fs::copy(from.join(f), d.join(f)).expect("client certificate");
        }
    }
    d
}

fn scan_env(envs: &[(&str, &str)], args: &[&str]) -> (Output, Value) {
    let mut cmd = bin();
    cmd.current_dir(repo())
        .env("NO_COLOR", "1")
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .env_remove("DOCKER_CONTEXT");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let o = cmd
        .args(["scan", "--live", "--format", "json", "--fail-on", "never"])
        .args(args)
        .output()
        .expect("run");
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o, v)
}

fn rules_of(v: &Value) -> Vec<String> {
    let mut r: Vec<String> = v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    format!(
                        "{} {} {}",
                        f["rule_id"].as_str().unwrap_or(""),
                        f["object"]["kind"].as_str().unwrap_or(""),
                        f["object"]["name"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    r.sort();
    r
}

#[test]
fn mutual_tls_endpoints_are_audited_like_the_socket() {
    if !ready() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path();
    let other = root.join("other");
    std::fs::create_dir_all(&other).expect("mkdir");
    ca(&other);
    let good = Path::new(TLS_DIR).join("client");
    let wrong_ca = cert_dir(root, "wrong-ca", &other.join("ca.pem"), true);
    let no_client = cert_dir(root, "no-client", &good.join("ca.pem"), false);
    let host = TLS_HOST;
    let stack = Stack::deploy();
    let select = ["--stack", stack.0.as_str(), "--ignore", "SA7,SA202"];

    // through the socket, as the reference
    let (o, reference) = scan_env(&[], &select);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = rules_of(&reference);
    assert!(!want.is_empty(), "{reference:#}");
    assert!(
        !want.iter().any(|r| r.starts_with("SA601")),
        "the service healthcheck is read: {want:?}"
    );

    // DOCKER_HOST + DOCKER_TLS_VERIFY + DOCKER_CERT_PATH
    let good_path = good.to_str().expect("utf8");
    let tls_env = [
        ("DOCKER_HOST", host),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", good_path),
    ];
    let (o, v) = scan_env(&tls_env, &select);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(rules_of(&v), want, "over TLS: {}", stderr(&o));
    assert!(!stderr(&o).contains("could not be read"), "{}", stderr(&o));

    // -H with the TLS variables
    let (o, v) = scan_env(
        &[("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", good_path)],
        &[&["-H", host][..], &select[..]].concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(rules_of(&v), want);

    // a TLS context written by the docker CLI itself
    let config = root.join("docker-config");
    let docker_arg = format!(
        "host={host},ca={},cert={},key={}",
        good.join("ca.pem").display(),
        good.join("cert.pem").display(),
        good.join("key.pem").display()
    );
    let out = Command::new("docker")
        .env("DOCKER_CONFIG", &config)
        .args(["context", "create", "remote-tls", "--docker", &docker_arg])
        .output()
        .expect("docker context create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config_path = config.to_str().expect("utf8");
    let (o, v) = scan_env(
        &[("DOCKER_CONFIG", config_path)],
        &[&["--context", "remote-tls"][..], &select[..]].concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(rules_of(&v), want);

    // a daemon certificate from another CA: refused, exit 2, the address named
    let (o, _) = scan_env(
        &[
            ("DOCKER_HOST", host),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", wrong_ca.to_str().expect("utf8")),
        ],
        &select,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(host), "{}", stderr(&o));

    // no client certificate: the endpoint refuses the handshake
    let (o, _) = scan_env(
        &[
            ("DOCKER_HOST", host),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", no_client.to_str().expect("utf8")),
        ],
        &select,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(host), "{}", stderr(&o));

    // plain HTTP against a TLS port is not an audit either
    let (o, _) = scan_env(&[("DOCKER_HOST", host)], &select);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
