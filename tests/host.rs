//! Host checks (`scan --host-checks`, `host-report`) on this machine's real dockerd, started by
//! `scripts/swarm-up` with the pidfile /run/swarmaudit-dockerd.pid, and on an empty host root.
//! The rule logic is covered by the host fixtures (tests/rules.rs); these tests check that the
//! facts read from a real host are the real ones. Without that dockerd they skip, except under
//! CI=true, where they fail.

mod common;

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

const PIDFILE: &str = "/run/swarmaudit-dockerd.pid";

/// The dockerd of scripts/swarm-up (its pidfile), else the running dockerd with the lowest pid.
fn dockerd_pid() -> Option<u32> {
    let from_pidfile = std::fs::read_to_string(PIDFILE)
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
        .filter(|p| Path::new(&format!("/proc/{p}")).exists());
    let pid = from_pidfile.or_else(|| {
        let mut pids: Vec<u32> = std::fs::read_dir("/proc")
            .ok()?
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|p: &u32| {
                std::fs::read_to_string(format!("/proc/{p}/comm"))
                    .is_ok_and(|c| c.trim() == "dockerd")
            })
            .collect();
        pids.sort_unstable();
        pids.first().copied()
    });
    if pid.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("a running dockerd is required under CI (scripts/swarm-up, {PIDFILE})");
        }
        eprintln!("skipping: no running dockerd (scripts/swarm-up)");
    }
    pid
}

fn host_report(cmd: &mut Command) -> Value {
    let o = cmd.output().expect("run host-report");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 1, "one line of JSON: {text}");
    serde_json::from_str(&text).expect("host-report JSON")
}

/// What `ss` says about wildcard listeners on 2377 (None when ss is not installed).
fn ss_wildcard_2377() -> Option<bool> {
    let o = Command::new("ss").args(["-Hltn"]).output().ok()?;
    o.status.success().then(|| {
        String::from_utf8_lossy(&o.stdout).lines().any(|l| {
            l.split_whitespace()
                .nth(3)
                .is_some_and(|local| ["0.0.0.0:2377", "*:2377", "[::]:2377"].contains(&local))
        })
    })
}

#[test]
fn host_report_reads_the_real_dockerd_socket_and_ports() {
    let Some(pid) = dockerd_pid() else { return };
    let v = host_report(bin().args(["host-report", "--json"]));
    assert_eq!(v["version"], 1);
    // the dockerd process is found by its name, and it is the one swarm-up started
    assert_eq!(v["dockerd"]["known"]["pid"], pid, "{v}");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
    let has_host_flag = cmdline
        .split(|b| *b == 0)
        .any(|a| a.starts_with(b"-H") || a.starts_with(b"--host"));
    let flags = v["dockerd"]["known"]["flags"].as_array().expect("flags");
    assert_eq!(
        flags.iter().any(|f| f["name"] == "host"),
        has_host_flag,
        "{v}"
    );
    // the default socket, with its real owner and mode
    let sock = std::fs::metadata("/var/run/docker.sock").expect("the daemon's socket");
    assert!(sock.file_type().is_socket());
    let reported = v["sockets"]
        .as_array()
        .expect("sockets")
        .iter()
        .find(|s| s["path"] == "/var/run/docker.sock")
        .unwrap_or_else(|| panic!("no default socket: {v}"));
    let st = &reported["stat"]["known"];
    assert_eq!(st["uid"], sock.uid());
    assert_eq!(st["gid"], sock.gid());
    assert_eq!(st["mode"], sock.mode() & 0o7777);
    assert_eq!(st["socket"], true);
    // daemon.json: present or not, as on disk
    let dj = Path::new("/etc/docker/daemon.json");
    assert_eq!(v["daemon_json"]["path"], "/etc/docker/daemon.json");
    assert_eq!(
        v["daemon_json"]["stat"]["known"].is_null(),
        !dj.exists(),
        "{v}"
    );
    // the swarm-up node is a manager: 2377 is read, and agrees with ss where ss exists
    let listeners = v["control_port"]["known"]
        .as_array()
        .expect("control port known");
    if let Some(wild) = ss_wildcard_2377() {
        assert_eq!(!listeners.is_empty(), wild, "{v}");
    }
}

#[test]
fn host_checks_judge_the_real_host() {
    let Some(_) = dockerd_pid() else { return };
    let o = run_in(
        &repo(),
        &[
            "scan",
            "--host-checks",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap_or(""))
        .collect();
    for f in findings {
        assert!(
            f["rule_id"].as_str().unwrap_or("").starts_with("SA7"),
            "{f}"
        );
        assert_eq!(f["object"]["kind"], "node", "{f}");
        assert_eq!(
            f["unknown"], false,
            "run as root, every fact is readable: {f}"
        );
    }
    // swarm-up's socket is root:docker 0660 and it serves no TCP host
    let sock = std::fs::metadata("/var/run/docker.sock").expect("socket");
    if sock.uid() == 0 && sock.mode() & 0o7777 == 0o660 {
        assert!(!rules.contains(&"SA709"), "{rules:?}");
    }
    if !Path::new("/etc/docker/daemon.json").exists() {
        // all defaults: no-new-privileges off, four hardening defaults, nothing else
        assert_eq!(
            rules.iter().filter(|r| **r == "SA712").count(),
            1,
            "{rules:?}"
        );
        assert_eq!(
            rules.iter().filter(|r| **r == "SA713").count(),
            4,
            "{rules:?}"
        );
        for r in ["SA710", "SA711", "SA714"] {
            assert!(!rules.contains(&r), "{r}: {rules:?}");
        }
        let f = findings
            .iter()
            .find(|f| f["rule_id"] == "SA712")
            .expect("SA712");
        assert_eq!(
            f["file"],
            format!("host/{}", f["object"]["name"].as_str().unwrap_or(""))
        );
        assert_eq!(
            f["api_path"]
                .as_str()
                .map(|p| p.ends_with("› /etc/docker/daemon.json")),
            Some(true),
            "{f}"
        );
    }
}

#[test]
fn host_checks_as_nobody_still_read_the_daemon() {
    let Some(pid) = dockerd_pid() else { return };
    if !Path::new("/usr/bin/setpriv").exists() {
        return;
    }
    let v = host_report(Command::new("/usr/bin/setpriv").args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        env!("CARGO_BIN_EXE_swarmaudit"),
        "host-report",
    ]));
    // root's dockerd command line, the socket's metadata and /proc/net need no privilege
    assert_eq!(v["dockerd"]["known"]["pid"], pid, "{v}");
    assert!(v["control_port"]["known"].is_array(), "{v}");
    assert!(v["sockets"][0]["stat"]["known"].is_object(), "{v}");
}

#[test]
fn an_unreadable_host_does_not_pass() {
    let empty = tempfile::tempdir().expect("tmp");
    let o = run_in(
        &repo(),
        &[
            "scan",
            "--host-checks",
            "--host-root",
            empty.path().to_str().expect("utf8"),
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    let mut unknown: Vec<&str> = findings
        .iter()
        .filter(|f| f["unknown"] == true)
        .map(|f| f["rule_id"].as_str().unwrap_or(""))
        .collect();
    unknown.sort();
    // nothing could be read: every rule that needs a fact says so; daemon.json is absent
    // (nothing to protect), so SA714 has nothing to say
    assert_eq!(
        unknown,
        ["SA708", "SA709", "SA710", "SA711", "SA712", "SA713"],
        "{v}"
    );
    assert_eq!(findings.len(), unknown.len(), "{v}");
    // the gate fails: SA710 (critical) could not be checked
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn host_checks_exclude_files_and_live() {
    let o = run_in(&repo(), &["scan", "--host-checks", "--live"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run_in(&repo(), &["scan", "--host-checks", "examples"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
