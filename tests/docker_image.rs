//! The container image (Dockerfile, scripts/docker-image): a static binary in a `FROM scratch`
//! image that scans a mounted repository and, with the Docker socket mounted, a live swarm.
//!
//! Needs a Docker daemon; skips without one, except under `CI=true`, where the test command has
//! started one (scripts/swarm-up) and its absence is a failure.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{repo, stderr, stdout};

const TAG: &str = "swarmaudit:test";

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn docker() -> Command {
    let mut c = Command::new("docker");
    // the daemon here is 20.10 with the classic builder; the image needs nothing from BuildKit
    c.env("DOCKER_BUILDKIT", "0");
    c
}

fn docker_available() -> bool {
    let ok = docker()
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if ci() {
            panic!("a Docker daemon is required under CI (scripts/swarm-up starts one)");
        }
        eprintln!("skipping: no Docker daemon (`docker info` failed)");
    }
    ok
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("spawn")
}

fn describe(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

fn build_image() {
    let o = run(Command::new(repo().join("scripts/docker-image"))
        .arg(TAG)
        .current_dir(repo())
        .env("DOCKER_BUILDKIT", "0"));
    assert!(
        o.status.success(),
        "scripts/docker-image failed: {}",
        describe(&o)
    );
}

fn docker_run(mounts: &[String], extra: &[&str], args: &[&str]) -> Output {
    let mut c = docker();
    c.args(["run", "--rm", "--network", "none"]);
    for m in mounts {
        c.args(["-v", m]);
    }
    c.args(extra).arg(TAG).args(args);
    run(&mut c)
}

fn examples_mount() -> String {
    format!("{}:/src:ro", repo().join("examples").display())
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", describe(o)))
}

#[test]
fn image_scans_files_and_a_live_swarm() {
    if !docker_available() {
        return;
    }
    build_image();

    // the image is what the Dockerfile promises: the binary alone, run through its entrypoint
    let o = run(docker().args([
        "image",
        "inspect",
        "--format",
        "{{json .Config.Entrypoint}} {{.Config.User}} {{.Config.WorkingDir}} {{.Size}}",
        TAG,
    ]));
    assert!(o.status.success(), "{}", describe(&o));
    let inspect = stdout(&o);
    let fields: Vec<&str> = inspect.split_whitespace().collect();
    assert_eq!(fields[0], r#"["/swarmaudit"]"#, "entrypoint: {inspect}");
    assert_eq!(fields[1], "65532:65532", "user: {inspect}");
    assert_eq!(fields[2], "/src", "workdir: {inspect}");
    let size: u64 = fields[3].parse().expect("size");
    assert!(size < 40 << 20, "image unexpectedly large: {size} bytes");

    // a file scan of the flawed example: the gate fails (exit 1) with findings, as JSON
    let o = docker_run(
        &[examples_mount()],
        &[],
        &["scan", "/src/monitoring-stack.yml", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let v = json(&o);
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "swarmaudit");
    let findings = v["findings"].as_array().expect("findings array");
    assert!(!findings.is_empty(), "no findings: {}", describe(&o));
    // paths are shown relative to the working directory, /src
    assert!(
        findings.iter().all(|f| f["file"] == "monitoring-stack.yml"),
        "{}",
        describe(&o)
    );
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(0));

    // --fail-on never: same report, gate passes
    let o = docker_run(
        &[examples_mount()],
        &[],
        &[
            "scan",
            "/src/monitoring-stack.yml",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert_eq!(
        json(&o)["findings"].as_array().map(Vec::len),
        Some(findings.len())
    );

    // the working directory is the mounted repository: `scan .` reports relative paths, which
    // is what SARIF consumers (code scanning) need
    let o = docker_run(
        &[examples_mount()],
        &[],
        &["scan", ".", "--format", "json", "--fail-on", "never"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let v = json(&o);
    let files: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert!(
        files.contains(&"monitoring-stack.yml"),
        "expected relative paths, got {files:?}"
    );
    assert!(
        files.contains(&"monitoring-stack.yml")
            && v["summary"]["files_scanned"].as_u64() >= Some(2),
        "{}",
        describe(&o)
    );

    // a clean stack passes at the strictest threshold
    let o = docker_run(
        &[examples_mount()],
        &[],
        &["scan", "--fail-on", "info", "hardened-stack.yml"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));

    live_scan_through_the_socket();
}

/// `--live` with the daemon's socket mounted (and its group added, since the image is not root).
fn live_scan_through_the_socket() {
    let socket = Path::new("/var/run/docker.sock");
    let state = run(docker().args(["info", "--format", "{{.Swarm.LocalNodeState}}"]));
    let active = socket.exists() && stdout(&state).trim() == "active";
    if !active {
        if ci() {
            panic!("under CI the daemon must be a swarm manager on /var/run/docker.sock (scripts/swarm-up)");
        }
        eprintln!(
            "skipping the live part: no swarm manager on {}",
            socket.display()
        );
        return;
    }
    let gid = std::os::unix::fs::MetadataExt::gid(&std::fs::metadata(socket).expect("stat socket"));
    let gid = gid.to_string();
    // a stack name nobody deploys: the swarm-wide checks still run, and other tests' stacks,
    // deployed and removed concurrently, cannot race the scan
    let args = [
        "scan",
        "--live",
        "--stack",
        "swarmaudit-image-test-none",
        "--format",
        "json",
        "--fail-on",
        "never",
    ];
    let mut c = docker();
    c.args(["run", "--rm", "--network", "none"])
        .args(["-v", "/var/run/docker.sock:/var/run/docker.sock"])
        .args(["--group-add", &gid, TAG])
        .args(args);
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let v = json(&o);
    assert_eq!(
        v["errors"].as_array().map(Vec::len),
        Some(0),
        "{}",
        describe(&o)
    );
    // exit 0 rather than 2 means the API was reached through the mounted socket
    assert!(v["findings"].is_array(), "{}", describe(&o));
}
