//! End-to-end behaviour of the binary: exit codes, discovery, formats, errors, secrets.

mod common;

use common::*;
use serde_json::Value;

const FLAWED: &str =
    "services:\n  web:\n    image: nginx:latest\n    ports: [\"127.0.0.1:8080:80\"]\n";

fn json_of(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", stdout(o)))
}

fn rule_ids(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule_id"].as_str().expect("rule_id").to_string())
        .collect()
}

#[test]
fn exit_codes_follow_the_gate() {
    let repo = repo();
    let hardened = run_in(
        &repo,
        &["scan", "--fail-on", "info", "examples/hardened-stack.yml"],
    );
    assert_eq!(hardened.status.code(), Some(0), "{}", stdout(&hardened));
    let flawed = run_in(&repo, &["scan", "examples/monitoring-stack.yml"]);
    assert_eq!(flawed.status.code(), Some(1), "{}", stdout(&flawed));
    let never = run_in(
        &repo,
        &[
            "scan",
            "--fail-on",
            "never",
            "examples/monitoring-stack.yml",
        ],
    );
    assert_eq!(never.status.code(), Some(0));
    // the example's worst finding is high: a critical gate passes
    let critical = run_in(
        &repo,
        &[
            "scan",
            "--fail-on",
            "critical",
            "examples/monitoring-stack.yml",
        ],
    );
    assert_eq!(critical.status.code(), Some(0), "{}", stdout(&critical));
}

#[test]
fn usage_errors_exit_2() {
    let repo = repo();
    for args in [
        vec!["scan", "--format", "xml", "examples/hardened-stack.yml"],
        vec!["scan", "--select", "SA999", "examples/hardened-stack.yml"],
        vec!["scan", "no/such/file.yml"],
        vec!["explain", "SA999"],
    ] {
        let o = run_in(&repo, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_broken_file_does_not_stop_the_others() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "good.yml", FLAWED);
    write(
        dir.path(),
        "bad.yml",
        "services:\n  web:\n    image: x\n    image: y\n",
    );
    let o = run_in(
        dir.path(),
        &["scan", "--format", "json", "good.yml", "bad.yml"],
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json_of(&o);
    assert!(rule_ids(&v).contains(&"SA204".to_string()));
    let err = &v["errors"][0];
    assert_eq!(err["file"], "bad.yml");
    assert_eq!(err["line"], 4);
    assert_eq!(err["column"], 5);
    let msg = err["message"].as_str().expect("message");
    assert!(
        msg.contains("duplicate key `image`") && msg.contains("line 3"),
        "{msg}"
    );
    assert!(
        stderr(&o).contains("bad.yml:4:5: duplicate key"),
        "{}",
        stderr(&o)
    );
    assert_eq!(v["summary"]["files_failed"], 1);
    assert_eq!(v["summary"]["files_scanned"], 2);
}

#[test]
fn default_file_is_the_one_compose_would_pick() {
    let dir = tempfile::tempdir().expect("tmp");
    let none = run_in(dir.path(), &["scan"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("compose.yaml") && stderr(&none).contains("docker-stack.yml"));
    write(
        dir.path(),
        "docker-stack.yml",
        "services:\n  a:\n    image: a:1\n",
    );
    write(dir.path(), "docker-compose.yml", FLAWED);
    let o = run_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "never"],
    );
    let v = json_of(&o);
    assert_eq!(v["findings"][0]["file"], "docker-compose.yml");
}

#[test]
fn directories_are_searched_for_stacks_only() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "stacks/traefik.yml", FLAWED);
    write(dir.path(), "stacks/portainer.yaml", FLAWED);
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n",
    );
    write(
        dir.path(),
        "k8s/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
    );
    write(
        dir.path(),
        ".gitlab-ci.yml",
        "services:\n  - docker:dind\nbuild:\n  script: [make]\n",
    );
    write(dir.path(), "ignored/stack.yml", FLAWED);
    write(dir.path(), ".gitignore", "ignored/\n");
    write(dir.path(), "notes.yml", "this: [is: not valid\n");
    let o = run_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "never", "."],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json_of(&o);
    let mut files: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["file"].as_str().expect("file"))
        .collect();
    files.dedup();
    assert_eq!(files, vec!["stacks/portainer.yaml", "stacks/traefik.yml"]);
    assert_eq!(v["summary"]["files_scanned"], 2);
}

#[test]
fn merged_files_keep_their_own_locations() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "base.yml",
        "services:\n  web:\n    image: nginx:1.27\n    user: \"10001\"\n    environment:\n      MODE: prod\n",
    );
    write(
        dir.path(),
        "prod.yml",
        "services:\n  web:\n    user: root\n    environment:\n      API_TOKEN: not-a-real-token-value\n",
    );
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--select",
            "SA101,SA401",
            "-c",
            "base.yml",
            "-c",
            "prod.yml",
        ],
    );
    let v = json_of(&o);
    let f: Vec<(String, String, i64)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().expect("id").into(),
                f["file"].as_str().expect("file").into(),
                f["line"].as_i64().expect("line"),
            )
        })
        .collect();
    assert_eq!(
        f,
        vec![
            ("SA101".into(), "prod.yml".into(), 3),
            ("SA401".into(), "prod.yml".into(), 5)
        ]
    );
}

#[test]
fn json_schema_shape() {
    let o = run_in(
        &repo(),
        &["scan", "--format", "json", "examples/monitoring-stack.yml"],
    );
    let v = json_of(&o);
    assert_eq!(v["version"], 1);
    let f = &v["findings"][0];
    for key in [
        "rule_id",
        "severity",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "object",
        "message",
        "fix_available",
    ] {
        assert!(f.get(key).is_some(), "missing {key}");
    }
    assert!(f["object"]["kind"].is_string() && f["object"]["name"].is_string());
    assert!(v["errors"].as_array().is_some_and(|e| e.is_empty()));
    assert_eq!(v["summary"]["files_scanned"], 1);
}

#[test]
fn github_annotations() {
    let o = run_in(
        &repo(),
        &[
            "scan",
            "--format",
            "github",
            "examples/monitoring-stack.yml",
        ],
    );
    let out = stdout(&o);
    assert!(
        out.lines().any(|l| l
            .starts_with("::error file=examples/monitoring-stack.yml,line=27,col=9,")
            && l.contains("title=SA204")),
        "{out}"
    );
    assert!(out.lines().all(|l| l.starts_with("::error ")
        || l.starts_with("::warning ")
        || l.starts_with("::notice ")));
}

#[test]
fn output_is_deterministic_and_sorted() {
    let a = run_in(&repo(), &["scan", "--format", "json", "examples"]);
    let b = run_in(&repo(), &["scan", "--format", "json", "examples"]);
    assert_eq!(a.stdout, b.stdout);
    let v = json_of(&a);
    let keys: Vec<(String, i64, i64)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().expect("f").into(),
                f["line"].as_i64().expect("l"),
                f["column"].as_i64().expect("c"),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn output_file_and_table_summary() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("r.sarif");
    let o = run_in(
        &repo(),
        &[
            "scan",
            "--format",
            "sarif",
            "-o",
            out.to_str().expect("utf8"),
            "examples/monitoring-stack.yml",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let v: Value = serde_json::from_slice(&std::fs::read(&out).expect("written")).expect("json");
    assert_eq!(v["version"], "2.1.0");
    let t = run_in(&repo(), &["scan", "examples/monitoring-stack.yml"]);
    let text = stdout(&t);
    assert!(text.contains("examples/monitoring-stack.yml"), "{text}");
    assert!(text.contains("1 file scanned, 0 failed"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn select_and_ignore_by_family() {
    let o = run_in(
        &repo(),
        &[
            "scan",
            "--format",
            "json",
            "--select",
            "SA2",
            "--ignore",
            "SA203",
            "examples/monitoring-stack.yml",
        ],
    );
    let ids = rule_ids(&json_of(&o));
    assert!(!ids.is_empty());
    assert!(
        ids.iter().all(|i| i.starts_with("SA2") && i != "SA203"),
        "{ids:?}"
    );
}

#[test]
fn env_file_and_process_environment_feed_interpolation() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "s.yml",
        "services:\n  web:\n    image: nginx:${TAG}\n    user: ${APP_USER}\n",
    );
    let unresolved = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--select",
            "SA004,SA101",
            "s.yml",
        ],
    );
    let ids = rule_ids(&json_of(&unresolved));
    assert_eq!(ids.iter().filter(|i| *i == "SA004").count(), 2, "{ids:?}");
    write(dir.path(), "prod.env", "TAG=1.27\n");
    let o = bin()
        .current_dir(dir.path())
        .env("APP_USER", "0")
        .args([
            "scan",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--select",
            "SA004,SA101",
            "--env-file",
            "prod.env",
            "s.yml",
        ])
        .output()
        .expect("run");
    let v = json_of(&o);
    assert_eq!(rule_ids(&v), vec!["SA101"]);
    assert!(v["findings"][0]["message"]
        .as_str()
        .expect("m")
        .contains("user: 0"));
}

#[test]
fn rules_and_explain() {
    let o = run_in(&repo(), &["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert_eq!(
        text.lines().count(),
        swarmaudit::rules::catalog::all().len()
    );
    let e = run_in(&repo(), &["explain", "sa201"]);
    let text = stdout(&e);
    assert!(
        text.contains("SA201")
            && text.contains("## Why is this bad?")
            && text.contains("## Remediation")
    );
}

#[test]
fn hostile_input_is_an_error_never_a_crash() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "deep.yml", &"[".repeat(200_000));
    write(dir.path(), "compact.yml", &("- ".repeat(200_000) + "x"));
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for c in b'b'..=b'j' {
        let p = (c - 1) as char;
        bomb.push_str(&format!(
            "{}: &{} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n",
            c as char, c as char
        ));
    }
    bomb.push_str("services:\n  web:\n    image: x:1\n    command: *j\n");
    write(dir.path(), "bomb.yml", &bomb);
    write(dir.path(), "huge.yml", &"#".repeat(9 * 1024 * 1024));
    write(dir.path(), "binary.yml", "services:\n  a: \u{0}\u{1}\n");
    for f in [
        "deep.yml",
        "compact.yml",
        "bomb.yml",
        "huge.yml",
        "binary.yml",
    ] {
        let o = run_in(dir.path(), &["scan", "--format", "json", f]);
        assert_eq!(o.status.code(), Some(2), "{f}: {}", stderr(&o));
        let v = json_of(&o);
        assert_eq!(v["errors"].as_array().map(Vec::len), Some(1), "{f}");
    }
}
