//! `scan --live --probe-nodes` against the local swarm (scripts/swarm-up): the probe service
//! runs `host-report` on the node, its report is judged like a local host's, and the service is
//! removed after success, a failing task, a timeout and Ctrl-C. The probe image is this test
//! build's binary with the shared libraries it links, imported with `docker import` (no
//! release or static build needed). Without a swarm the tests skip, except under CI=true.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const LABEL: &str = "io.swarmaudit.probe";
const HOST_RULES: &str = "SA708,SA709,SA710,SA711,SA712,SA713,SA714";

/// One probe at a time: each test checks that no probe service is left.
static SWARM: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    SWARM.lock().unwrap_or_else(|p| p.into_inner())
}

fn probe_services() -> Vec<String> {
    let o = docker(&["service", "ls", "-q", "--filter", &format!("label={LABEL}")]);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Import a directory as an image with these `-c` changes.
fn import(dir: &Path, tag: &str, changes: &[&str]) {
    let tar = dir.with_extension("tar");
    let o = Command::new("tar")
        .arg("-C")
        .arg(dir)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .output()
        .expect("tar");
    assert!(o.status.success(), "{}", stderr(&o));
    let mut c = Command::new("docker");
    c.arg("import");
    for ch in changes {
        c.args(["-c", ch]);
    }
    let o = c.arg(&tar).arg(tag).output().expect("docker import");
    assert!(o.status.success(), "{}", stderr(&o));
}

/// This build's binary (stripped) with the libraries `ldd` lists, as a scratch image.
fn probe_image(tmp: &Path) -> String {
    let tag = "swarmaudit-probe-test:latest".to_string();
    let root = tmp.join("probe-image");
    std::fs::create_dir_all(&root).expect("mkdir");
    let bin = env!("CARGO_BIN_EXE_swarmaudit");
    let o = Command::new("strip")
        .arg("-o")
        .arg(root.join("swarmaudit"))
        .arg(bin)
        .output();
    if !o.is_ok_and(|o| o.status.success()) {
        std::fs::copy(bin, root.join("swarmaudit")).expect("copy binary");
    }
    let ldd = Command::new("ldd").arg(bin).output().expect("ldd");
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        let Some(path) = path.filter(|p| p.starts_with('/')) else {
            continue;
        };
        let target = root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(path, &target).expect("copy library");
    }
    import(
        &root,
        &tag,
        &[r#"ENTRYPOINT ["/swarmaudit"]"#, "USER 65532:65532"],
    );
    tag
}

/// A busybox image whose entrypoint ignores the probe's arguments and sleeps.
fn sleeping_image(tmp: &Path) -> String {
    let tag = "swarmaudit-probe-test:sleep".to_string();
    let root = tmp.join("sleep-image");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::copy("/bin/busybox", root.join("busybox")).expect("busybox");
    import(
        &root,
        &tag,
        &[r#"ENTRYPOINT ["/busybox", "sh", "-c", "sleep 60", "sh"]"#],
    );
    tag
}

fn scan(args: &[&str]) -> (Output, Value) {
    let o = run_in(
        &repo(),
        &[
            &[
                "scan",
                "--live",
                "--probe-nodes",
                "--select",
                HOST_RULES,
                "--format",
                "json",
                "--fail-on",
                "never",
            ],
            args,
        ]
        .concat(),
    );
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o, v)
}

fn node_name() -> String {
    String::from_utf8_lossy(&docker(&["info", "--format", "{{.Name}}"]).stdout)
        .trim()
        .to_string()
}

fn rules_of(v: &Value, unknown: bool) -> Vec<String> {
    let mut r: Vec<String> = v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["unknown"] == unknown)
                .map(|f| f["rule_id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    r.sort();
    r.dedup();
    r
}

#[test]
fn the_probe_reports_each_node_and_removes_its_service() {
    let _l = lock();
    if !swarm_with_image("swarmaudit-test/busybox:1") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let image = probe_image(tmp.path());
    let before = probe_services();
    let (o, v) = scan(&["--probe-image", &image]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("probed 1 node(s)"), "{}", stderr(&o));
    assert_eq!(probe_services(), before, "a probe service was left behind");
    // the node's findings equal those of the host checks run here directly
    let local = run_in(
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
    let local: Value = serde_json::from_slice(&local.stdout).expect("json");
    let name = node_name();
    let key = |v: &Value| -> Vec<(String, String, String)> {
        let mut k: Vec<_> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap_or("").to_string(),
                    f["object"]["name"].as_str().unwrap_or("").to_string(),
                    f["unknown"].to_string(),
                )
            })
            .collect();
        k.sort();
        k
    };
    let probed = key(&v);
    assert!(!probed.is_empty(), "{v}");
    assert!(
        probed.iter().all(|(_, n, u)| *n == name && u == "false"),
        "{v}"
    );
    assert_eq!(probed, key(&local), "probe: {v}\nlocal: {local}");
}

#[test]
fn a_failing_probe_task_is_unknown_and_cleaned_up() {
    let _l = lock();
    if !swarm_with_image("swarmaudit-test/busybox:1") {
        return;
    }
    let before = probe_services();
    // busybox has no `host-report` applet: the task exits 127
    let (o, v) = scan(&["--probe-image", "swarmaudit-test/busybox:1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(probe_services(), before, "a probe service was left behind");
    assert_eq!(
        rules_of(&v, true),
        HOST_RULES.split(',').collect::<Vec<_>>(),
        "{v}"
    );
    assert!(rules_of(&v, false).is_empty(), "{v}");
    assert!(stderr(&o).contains("1 without a report"), "{}", stderr(&o));
}

#[test]
fn a_probe_that_times_out_is_unknown_and_cleaned_up() {
    let _l = lock();
    if !swarm_with_image("swarmaudit-test/busybox:1") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let image = sleeping_image(tmp.path());
    let before = probe_services();
    let start = Instant::now();
    let (o, v) = scan(&["--probe-image", &image, "--probe-timeout", "3"]);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(probe_services(), before, "a probe service was left behind");
    let text = v.to_string();
    assert!(text.contains("did not finish within 3s"), "{v}");
    assert_eq!(rules_of(&v, true).len(), 7, "{v}");
}

#[test]
fn ctrl_c_during_the_probe_removes_its_service() {
    let _l = lock();
    if !swarm_with_image("swarmaudit-test/busybox:1") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let image = sleeping_image(tmp.path());
    let before = probe_services();
    let child = bin()
        .current_dir(repo())
        .args([
            "scan",
            "--live",
            "--probe-nodes",
            "--probe-image",
            &image,
            "--select",
            HOST_RULES,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // wait for the probe service to exist, then interrupt
    let deadline = Instant::now() + Duration::from_secs(30);
    while probe_services().len() <= before.len() {
        assert!(
            Instant::now() < deadline,
            "the probe service never appeared"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill")
        .success());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    assert_eq!(probe_services(), before, "a probe service was left behind");
}

/// Only `src/probe.rs` may call an Engine API endpoint that changes anything.
#[test]
fn only_the_probe_module_mutates() {
    const MUTATING: [&str; 24] = [
        "create_service",
        "update_service",
        "delete_service",
        "create_container",
        "start_container",
        "stop_container",
        "kill_container",
        "remove_container",
        "create_network",
        "remove_network",
        "create_secret",
        "delete_secret",
        "create_config",
        "delete_config",
        "update_swarm",
        "init_swarm",
        "join_swarm",
        "leave_swarm",
        "update_node",
        "delete_node",
        "remove_image",
        "create_image",
        "create_volume",
        "remove_volume",
    ];
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = vec![];
    walk(&repo().join("src"), &mut files);
    let mut found = vec![];
    for f in files {
        if f.ends_with("src/probe.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        for m in MUTATING {
            if text.contains(&format!(".{m}(")) {
                found.push(format!("{}: {m}", f.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "mutating calls outside src/probe.rs: {found:?}"
    );
    let probe = std::fs::read_to_string(repo().join("src/probe.rs")).expect("probe.rs");
    assert!(probe.contains(".create_service(") && probe.contains(".delete_service("));
}
