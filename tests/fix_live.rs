//! `swarmaudit fix --live` against the test swarm (started by `scripts/swarm-up`): the printed
//! script is run and a re-scan is clean for the rules it fixed. Only the test's own stack is
//! touched (service updates, and an encrypted network labelled with the stack, removed with it);
//! swarm-wide settings are never changed here. Without a swarm the test skips, except under
//! CI=true, where it fails.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Rules whose commands are safe to run on a one-node test swarm.
const RULES: &str = "SA201,SA301,SA302,SA303,SA603,SA605,SA606";

/// One swarm test at a time (test binaries run one after another).
static SWARM: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn swarm_lock() -> std::sync::MutexGuard<'static, ()> {
    SWARM.lock().unwrap_or_else(|p| p.into_inner())
}

/// Is a swarm with the test images available? Skips (or fails under CI) when not.
fn swarm_ready() -> bool {
    swarm_with_image("swarmaudit-test/busybox:1")
}

/// A deployed stack, removed on drop (also when the test panics), with its networks.
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
        // the networks the script created carry the stack label; remove whatever is left
        let filter = format!("label=com.docker.stack.namespace={}", self.name);
        while Instant::now() < deadline {
            let out = docker(&["network", "ls", "-q", "--filter", &filter]);
            let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect();
            if ids.is_empty() {
                break;
            }
            for id in ids {
                let _ = docker(&["network", "rm", &id]);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn live_findings(stack: &str) -> BTreeSet<(String, String)> {
    let o = run_in(
        &repo(),
        &[
            "scan",
            "--live",
            "--stack",
            stack,
            "--select",
            RULES,
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
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
}

#[test]
fn the_live_script_fixes_the_stack_and_a_rescan_is_clean() {
    let _swarm = swarm_lock();
    if !swarm_ready() {
        return;
    }
    let stack = Stack::deploy("fixlive", "fix-flawed.yml", 2);
    let before = live_findings(&stack.name);
    for rule in RULES.split(',') {
        assert!(
            before.iter().any(|(r, _)| r == rule),
            "{rule} missing before fixing: {before:?}"
        );
    }

    // without --unsafe-fixes the unsafe commands are only comments
    let o = run_in(
        &repo(),
        &["fix", "--live", "--stack", &stack.name, "--select", RULES],
    );
    let safe_only = stdout(&o);
    assert!(
        safe_only.contains("# docker service update --quiet --limit-memory 512M"),
        "{safe_only}"
    );

    let o = run_in(
        &repo(),
        &[
            "fix",
            "--live",
            "--stack",
            &stack.name,
            "--select",
            RULES,
            "--unsafe-fixes",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let script = stdout(&o);
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    // every command is commented with its rule and what it changes
    for rule in RULES.split(',') {
        assert!(
            script.contains(&format!("\n# {rule} ")),
            "{rule}:\n{script}"
        );
    }
    // the encrypted network exists before services move onto it
    let create = script
        .find("docker network create --driver overlay --opt encrypted")
        .expect("network create");
    let add = script.find("--network-add").expect("network-add");
    assert!(create < add, "{script}");
    // swarmaudit itself changed nothing
    assert_eq!(live_findings(&stack.name), before);

    let run = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("run sh");
    assert!(
        run.status.success(),
        "the script failed: {}{}\n{script}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let after = live_findings(&stack.name);
    assert!(
        after.is_empty(),
        "left after the script: {after:?}\n{script}"
    );

    // nothing is left to do
    let o = run_in(
        &repo(),
        &[
            "fix",
            "--live",
            "--stack",
            &stack.name,
            "--select",
            RULES,
            "--unsafe-fixes",
        ],
    );
    assert!(
        !stdout(&o).contains("docker service update"),
        "{}",
        stdout(&o)
    );
}
