//! The pre-deploy gate: config file, suppressions with reasons, baselines, code-scanning output.

mod common;

use common::*;
use serde_json::Value;

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}{}", stdout(o), stderr(o)))
}

fn ids(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["suppressed"] == false)
        .map(|f| f["rule_id"].as_str().unwrap_or("").to_string())
        .collect()
}

const STACK: &str =
    "services:\n  web:\n    image: nginx:1.27.3\n    user: root\n    ports: [\"8080:80\"]\n";

#[test]
fn config_is_found_upwards_and_validated_strictly() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        ".swarmaudit.yml",
        "fail_on: never\nrules:\n  SA203: off\n  SA101: {severity: critical}\n",
    );
    write(dir.path(), "stacks/prod/stack.yml", STACK);
    let o = run_in(
        dir.path(),
        &["scan", "--format", "json", "stacks/prod/stack.yml"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "fail_on: never from the config; {}",
        stderr(&o)
    );
    let v = json(&o);
    let ids = ids(&v);
    assert!(
        !ids.contains(&"SA203".to_string()),
        "SA203 switched off: {ids:?}"
    );
    let sa101 = v["findings"]
        .as_array()
        .expect("f")
        .iter()
        .find(|f| f["rule_id"] == "SA101")
        .expect("SA101");
    assert_eq!(sa101["severity"], "critical");
    // the flag wins over the config
    let o = run_in(
        dir.path(),
        &["scan", "--fail-on", "critical", "stacks/prod/stack.yml"],
    );
    assert_eq!(o.status.code(), Some(1));

    write(
        dir.path(),
        ".swarmaudit.yml",
        "fail_on: hihg\nexemptions:\n  - rules: [SA104]\n",
    );
    let o = run_in(dir.path(), &["scan", "stacks/prod/stack.yml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(".swarmaudit.yml:1:10") && err.contains("did you mean `high`"),
        "{err}"
    );
    assert!(
        err.contains(".swarmaudit.yml:3:5") && err.contains("reason"),
        "{err}"
    );
}

#[test]
fn init_writes_a_valid_starter() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = run_in(dir.path(), &["init"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join(".swarmaudit.yml")).expect("written");
    assert!(text.starts_with("# swarmaudit configuration"));
    assert_eq!(
        run_in(dir.path(), &["init"]).status.code(),
        Some(2),
        "no overwrite"
    );
    assert_eq!(
        run_in(dir.path(), &["init", "--force"]).status.code(),
        Some(0)
    );
    write(dir.path(), "stack.yml", STACK);
    let o = run_in(dir.path(), &["scan", "stack.yml"]);
    // the starter's gate is `high`; this stack's worst finding is medium
    assert_eq!(
        o.status.code(),
        Some(0),
        "the starter is a valid config: {}",
        stderr(&o)
    );
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn suppressed_findings_stay_visible_and_do_not_gate() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "stack.yml",
        "services:\n  web:\n    image: nginx:1.27.3\n    user: root # swarmaudit:ignore SA101 -- nginx master binds :80, workers drop root\n",
    );
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--fail-on",
            "high",
            "--select",
            "SA101",
            "stack.yml",
        ],
    );
    let v = json(&o);
    let f = &v["findings"][0];
    assert_eq!(f["rule_id"], "SA101");
    assert_eq!(f["suppressed"], true);
    assert_eq!(
        f["suppression"]["reason"],
        "nginx master binds :80, workers drop root"
    );
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["summary"]["findings"], 0);

    let o = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "sarif",
            "--fail-on",
            "info",
            "--select",
            "SA101",
            "stack.yml",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "suppressed findings never fail the gate"
    );
    let s: Value = serde_json::from_slice(&o.stdout).expect("sarif");
    let r = &s["runs"][0]["results"][0];
    assert_eq!(r["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        r["suppressions"][0]["justification"],
        "nginx master binds :80, workers drop root"
    );

    let t = run_in(dir.path(), &["scan", "--select", "SA101", "stack.yml"]);
    assert!(
        stdout(&t).contains("0 findings, 1 suppressed"),
        "{}",
        stdout(&t)
    );
}

#[test]
fn config_exemptions_scope_and_expiry() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "stacks/edge.yml",
        "services:\n  traefik:\n    image: traefik:v3.1\n    volumes: [\"/var/run/docker.sock:/var/run/docker.sock:ro\"]\n  other:\n    image: x:1\n    volumes: [\"/var/run/docker.sock:/s\"]\n",
    );
    write(
        dir.path(),
        ".swarmaudit.yml",
        "exemptions:\n  - rules: [SA104]\n    paths: ['stacks/*.yml']\n    service: traefik\n    reason: service discovery needs the API\n  - rules: [SA104]\n    service: portainer\n    reason: not here any more\n  - rules: SA2\n    reason: temporary\n    expires: 2020-01-31\n",
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
            "SA104,SA007,SA203",
            "stacks/edge.yml",
        ],
    );
    let v = json(&o);
    let list = v["findings"].as_array().expect("f");
    let traefik = list
        .iter()
        .find(|f| f["rule_id"] == "SA104" && f["object"]["name"] == "traefik")
        .expect("traefik");
    assert_eq!(traefik["suppressed"], true);
    assert_eq!(traefik["suppression"]["kind"], "external");
    assert_eq!(traefik["suppression"]["location"], ".swarmaudit.yml:2");
    let other = list
        .iter()
        .find(|f| f["rule_id"] == "SA104" && f["object"]["name"] == "other")
        .expect("other");
    assert_eq!(other["suppressed"], false);
    let meta: Vec<&str> = list
        .iter()
        .filter(|f| f["rule_id"] == "SA007")
        .map(|f| f["message"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(meta.len(), 2, "{meta:?}");
    assert!(
        meta.iter()
            .any(|m| m.starts_with("unused exemption for SA104")),
        "{meta:?}"
    );
    assert!(
        meta.iter().any(|m| m.contains("expired on 2020-01-31")),
        "{meta:?}"
    );
}

#[test]
fn baseline_reports_only_new_findings_and_survives_moves() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "stack.yml",
        "services:\n  web:\n    image: nginx:1.27.3\n    user: root\n  db:\n    image: postgres:16.3\n",
    );
    let b = run_in(dir.path(), &["baseline", "stack.yml"]);
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    std::fs::write(dir.path().join(".swarmaudit-baseline.json"), &b.stdout)
        .expect("write baseline");
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            ".swarmaudit-baseline.json",
            "stack.yml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v = json(&o);
    assert!(ids(&v).is_empty());
    assert!(v["summary"]["in_baseline"].as_u64() > Some(10));
    // reorder services, add comments and blank lines: still nothing new
    write(
        dir.path(),
        "stack.yml",
        "# production stack\n\nservices:\n  db:\n    image: postgres:16.3\n\n  web:\n    # the web tier\n    image: nginx:1.27.3\n    user: root\n",
    );
    let v = json(&run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            ".swarmaudit-baseline.json",
            "stack.yml",
        ],
    ));
    assert!(ids(&v).is_empty(), "{:?}", ids(&v));
    // a real change is new
    write(
        dir.path(),
        "stack.yml",
        "services:\n  db:\n    image: postgres:16.3\n  web:\n    image: nginx:1.27.3\n    user: root\n    ports: [\"5432:5432\"]\n",
    );
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            ".swarmaudit-baseline.json",
            "stack.yml",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let mut new = ids(&json(&o));
    new.sort();
    assert_eq!(new, vec!["SA203", "SA205"]);
}

/// The end-to-end scenario.
#[test]
fn end_to_end_repo_with_baseline_and_config() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = dir.path();
    write(
        repo,
        ".swarmaudit.yml",
        "fail_on: high\nrules:\n  SA502: off\n",
    );
    write(
        repo,
        "stacks/app.yml",
        "services:\n  api:\n    image: ghcr.io/acme/api:2.4.1\n",
    );
    let b = run_in(repo, &["baseline", "stacks"]);
    std::fs::write(repo.join(".swarmaudit-baseline.json"), &b.stdout).expect("baseline");
    // one new finding
    write(
        repo,
        "stacks/app.yml",
        "services:\n  api:\n    image: ghcr.io/acme/api:2.4.1\n    environment:\n      DB_PASSWORD: Qx7-local-db\n",
    );
    let o = run_in(
        repo,
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            ".swarmaudit-baseline.json",
            "stacks",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(ids(&json(&o)), vec!["SA401"]);
    // accept it with a reason
    write(
        repo,
        "stacks/app.yml",
        "services:\n  api:\n    image: ghcr.io/acme/api:2.4.1\n    environment:\n      DB_PASSWORD: Qx7-local-db # swarmaudit:ignore SA401 -- local test database only, rotated nightly\n",
    );
    let o = run_in(
        repo,
        &[
            "scan",
            "--format",
            "sarif",
            "--category",
            "stacks",
            "--baseline",
            ".swarmaudit-baseline.json",
            "stacks",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: Value = serde_json::from_slice(&o.stdout).expect("sarif");
    let run = &s["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "stacks/");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "SA401");
    assert_eq!(
        results[0]["suppressions"][0]["justification"],
        "local test database only, rotated nightly"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Qx7-local-db"));
}

#[test]
fn bad_baseline_is_an_error() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "stack.yml", STACK);
    write(
        dir.path(),
        "b.json",
        "{\"version\": 1, \"findings\": [\n  {\"nope\": 1}]}",
    );
    let o = run_in(dir.path(), &["scan", "--baseline", "b.json", "stack.yml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("b.json:2:"), "{}", stderr(&o));
}
