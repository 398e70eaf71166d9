//! Shared test helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_swarmaudit"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the repository. Tests that need it skip when it is absent, except under
/// CI (`CI=true`), where its absence is a failure.
pub fn shared() -> Option<PathBuf> {
    let p = repo().join("..").join("shared");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "../shared is required under CI but missing at {}",
            p.display()
        );
    }
    eprintln!("skipping: ../shared not found at {}", p.display());
    None
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run swarmaudit")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, text).expect("write");
    p
}

pub fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("run docker")
}

/// Is this machine a swarm manager with `image` (a test image of scripts/swarm-up)? Skips
/// (false) when not, except under CI=true, where scripts/swarm-up has set it up: then it fails.
pub fn swarm_with_image(image: &str) -> bool {
    let o = docker(&[
        "info",
        "--format",
        "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}",
    ]);
    let ready = o.status.success()
        && String::from_utf8_lossy(&o.stdout).trim() == "active true"
        && docker(&["image", "inspect", image]).status.success();
    if !ready {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("a swarm with the test images is required under CI (scripts/swarm-up)");
        }
        eprintln!("skipping: no swarm (run scripts/swarm-up)");
    }
    ready
}
