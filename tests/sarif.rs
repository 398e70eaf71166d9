//! SARIF output: valid against the OASIS SARIF 2.1.0 schema (from `../shared/schemas/`, skipped
//! when absent) and within what GitHub code scanning needs from an upload: the whole catalog as
//! rules with `security-severity`, results that point at a rule, a relative location with a
//! region and a logical location, stable partial fingerprints, and file errors reported as
//! tool execution notifications.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use common::*;
use serde_json::Value;
use swarmaudit::finding::Severity;
use swarmaudit::rules::catalog;

const SRCROOT: &str = "%SRCROOT%";

/// Run `swarmaudit scan --format sarif --fail-on never <args>` in `dir`; parse stdout.
fn sarif_in(dir: &Path, args: &[&str]) -> (Output, Value) {
    let mut all = vec!["scan", "--format", "sarif", "--fail-on", "never"];
    all.extend_from_slice(args);
    let o = run_in(dir, &all);
    assert!(
        o.status.code().is_some(),
        "killed by a signal: {}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "SARIF output is not JSON ({e}):\n{}\nstderr: {}",
            stdout(&o),
            stderr(&o)
        )
    });
    (o, v)
}

/// The SARIF 2.1.0 schema validator, or `None` (test part skipped) without `../shared`.
fn sarif_validator() -> Option<jsonschema::Validator> {
    let shared = shared()?;
    let path = shared.join("schemas").join("sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the SARIF schema is JSON");
    Some(
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles"),
    )
}

fn assert_schema_valid(v: &Value, what: &str) {
    let Some(validator) = sarif_validator() else {
        return;
    };
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} (at {})", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: SARIF does not validate against sarif-schema-2.1.0.json:\n{}",
        errors.join("\n")
    );
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} must be a string, found {v}"))
}

fn nonempty_str<'a>(v: &'a Value, what: &str) -> &'a str {
    let s = str_of(v, what);
    assert!(!s.trim().is_empty(), "{what} must not be empty");
    s
}

fn run0(v: &Value) -> &Value {
    &v["runs"][0]
}

fn results(v: &Value) -> &Vec<Value> {
    run0(v)["results"]
        .as_array()
        .expect("runs[0].results must be present as an array")
}

/// The GitHub code-scanning constraints every SARIF file of swarmaudit must meet, whatever
/// the input.
fn assert_github_constraints(v: &Value, what: &str) {
    assert_eq!(v["version"], "2.1.0", "{what}: version");
    let schema = str_of(&v["$schema"], "$schema");
    assert!(
        schema.starts_with("https://") && schema.contains("sarif") && schema.contains("2.1.0"),
        "{what}: $schema {schema}"
    );
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{what}: exactly one run");
    let run = &runs[0];

    // the whole catalog, in registry order, each rule fully described
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "swarmaudit", "{what}: driver name");
    let rules = driver["rules"].as_array().expect("tool.driver.rules");
    let ids: Vec<&str> = rules.iter().map(|r| str_of(&r["id"], "rule id")).collect();
    let want: Vec<&str> = catalog::all().iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, want, "{what}: tool.driver.rules must be the catalog");
    for (r, m) in rules.iter().zip(catalog::all()) {
        let id = &m.id;
        assert_eq!(r["name"], m.name.as_str(), "{id}: name");
        assert_eq!(
            nonempty_str(&r["shortDescription"]["text"], "shortDescription.text"),
            m.title,
            "{id}"
        );
        nonempty_str(&r["help"]["text"], &format!("{id} help.text"));
        let md = nonempty_str(&r["help"]["markdown"], &format!("{id} help.markdown"));
        assert!(md.contains("## Remediation"), "{id}: help.markdown");
        let level = str_of(
            &r["defaultConfiguration"]["level"],
            "defaultConfiguration.level",
        );
        assert!(
            ["error", "warning", "note"].contains(&level),
            "{id}: level {level}"
        );
        assert_eq!(level, m.severity.sarif_level(), "{id}: level vs severity");
        let tags: Vec<&str> = r["properties"]["tags"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: properties.tags"))
            .iter()
            .map(|t| str_of(t, "tag"))
            .collect();
        assert!(!tags.is_empty(), "{id}: tags");
        assert_eq!(tags, m.tags, "{id}: tags");
        let sev = &r["properties"]["security-severity"];
        match m.security_severity {
            Some(want) => {
                let s = str_of(sev, &format!("{id} properties.security-severity"));
                let got: f64 = s
                    .parse()
                    .unwrap_or_else(|e| panic!("{id}: security-severity `{s}`: {e}"));
                assert!(
                    (0.1..=10.0).contains(&got),
                    "{id}: security-severity {got} out of 0.1..=10.0"
                );
                assert!((got - want).abs() < 0.05, "{id}: {got} vs catalog {want}");
            }
            None => assert!(
                sev.is_null(),
                "{id}: no security_severity in the catalog, but SARIF says {sev}"
            ),
        }
    }

    // %SRCROOT% must be an absolute directory URI (trailing slash) for relative uris to resolve
    let root = str_of(
        &run["originalUriBaseIds"][SRCROOT]["uri"],
        "originalUriBaseIds.%SRCROOT%.uri",
    );
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{what}: %SRCROOT% {root}"
    );

    for (i, res) in results(v).iter().enumerate() {
        let at = format!("{what}: results[{i}]");
        let rule_id = nonempty_str(&res["ruleId"], "ruleId");
        let idx = res["ruleIndex"]
            .as_u64()
            .unwrap_or_else(|| panic!("{at}: ruleIndex missing"));
        assert_eq!(
            rules.get(idx as usize).map(|r| &r["id"]),
            Some(&Value::from(rule_id)),
            "{at}: ruleIndex {idx} must point at {rule_id}"
        );
        let level = str_of(&res["level"], "level");
        assert!(
            ["error", "warning", "note"].contains(&level),
            "{at}: level {level}"
        );
        nonempty_str(&res["message"]["text"], &format!("{at} message.text"));

        let loc = &res["locations"][0];
        let phys = &loc["physicalLocation"];
        let uri = nonempty_str(&phys["artifactLocation"]["uri"], "artifactLocation.uri");
        if uri.starts_with("file://") {
            assert!(
                phys["artifactLocation"]["uriBaseId"].is_null(),
                "{at}: an absolute uri takes no uriBaseId"
            );
        } else {
            assert!(
                !uri.starts_with('/') && !uri.contains("://") && !uri.contains('\\'),
                "{at}: uri {uri} must be a relative reference"
            );
            assert_eq!(
                phys["artifactLocation"]["uriBaseId"], SRCROOT,
                "{at}: relative uri needs uriBaseId"
            );
        }
        let region = &phys["region"];
        let start_line = region["startLine"].as_u64().unwrap_or(0);
        let start_col = region["startColumn"].as_u64().unwrap_or(0);
        assert!(start_line >= 1, "{at}: startLine {region}");
        assert!(start_col >= 1, "{at}: startColumn {region}");
        if let Some(end_line) = region["endLine"].as_u64() {
            assert!(end_line >= start_line, "{at}: endLine {region}");
            if end_line == start_line {
                if let Some(end_col) = region["endColumn"].as_u64() {
                    assert!(end_col >= start_col, "{at}: endColumn {region}");
                }
            }
        }

        let logical = &loc["logicalLocations"][0];
        let name = nonempty_str(&logical["name"], "logicalLocations[0].name");
        let kind = nonempty_str(&logical["kind"], "logicalLocations[0].kind");
        let fqn = nonempty_str(
            &logical["fullyQualifiedName"],
            "logicalLocations[0].fullyQualifiedName",
        );
        if kind == "stack" {
            assert_eq!(fqn, "stack", "{at}");
        } else {
            let section = match kind {
                "service" => "services",
                "network" => "networks",
                "volume" => "volumes",
                "secret" => "secrets",
                "config" => "configs",
                "node" => "nodes",
                "swarm" => "swarm",
                other => panic!("{at}: unexpected logical location kind {other}"),
            };
            assert_eq!(fqn, format!("{section}.{name}"), "{at}");
        }

        let fps = res["partialFingerprints"]
            .as_object()
            .unwrap_or_else(|| panic!("{at}: partialFingerprints"));
        assert!(!fps.is_empty(), "{at}: partialFingerprints is empty");
        for (k, fp) in fps {
            assert!(!k.is_empty(), "{at}");
            nonempty_str(fp, &format!("{at} partialFingerprints.{k}"));
        }
    }

    let inv = &run["invocations"][0];
    let notes = inv["toolExecutionNotifications"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert_eq!(
        inv["executionSuccessful"],
        Value::Bool(notes == 0),
        "{what}: executionSuccessful must be false exactly when a file failed"
    );
}

/// Schema + GitHub constraints.
fn check(v: &Value, what: &str) {
    assert_schema_valid(v, what);
    assert_github_constraints(v, what);
}

fn logical(res: &Value) -> (&str, &str, &str) {
    let l = &res["locations"][0]["logicalLocations"][0];
    (
        l["name"].as_str().unwrap_or(""),
        l["kind"].as_str().unwrap_or(""),
        l["fullyQualifiedName"].as_str().unwrap_or(""),
    )
}

fn uri_of(res: &Value) -> &str {
    res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap_or("")
}

fn start(res: &Value) -> (u64, u64) {
    let r = &res["locations"][0]["physicalLocation"]["region"];
    (
        r["startLine"].as_u64().unwrap_or(0),
        r["startColumn"].as_u64().unwrap_or(0),
    )
}

fn fingerprint(res: &Value) -> String {
    let fps = res["partialFingerprints"]
        .as_object()
        .expect("partialFingerprints");
    // all entries, so a change in any of them counts
    fps.iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(";")
}

#[test]
fn the_monitoring_example_is_valid_sarif_for_code_scanning() {
    let (o, v) = sarif_in(&repo(), &["examples/monitoring-stack.yml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    check(&v, "monitoring-stack.yml");
    let res = results(&v);
    assert!(!res.is_empty());
    assert!(res
        .iter()
        .all(|r| uri_of(r) == "examples/monitoring-stack.yml"));
    assert_eq!(run0(&v)["invocations"][0]["executionSuccessful"], true);
    // the plaintext admin password of grafana, on the grafana service
    let sa401: Vec<&Value> = res.iter().filter(|r| r["ruleId"] == "SA401").collect();
    assert_eq!(sa401.len(), 1, "{sa401:?}");
    assert_eq!(
        logical(sa401[0]),
        ("grafana", "service", "services.grafana")
    );
    assert_eq!(start(sa401[0]), (29, 35));
    assert_eq!(sa401[0]["level"], "error");
    // the dropped host IP of grafana's port (same place as the github annotation test)
    assert!(
        res.iter()
            .any(|r| r["ruleId"] == "SA204" && start(r) == (27, 9)),
        "no SA204 at 27:9"
    );
    // levels follow the finding's severity (which a rule may lower below the default)
    for r in res {
        let sev = Severity::parse(r["properties"]["severity"].as_str().unwrap_or(""))
            .expect("properties.severity");
        assert_eq!(r["level"], sev.sarif_level(), "{r}");
    }
}

#[test]
fn the_schema_check_is_not_vacuous() {
    let Some(validator) = sarif_validator() else {
        return;
    };
    let (_, v) = sarif_in(&repo(), &["examples/monitoring-stack.yml"]);
    assert!(validator.is_valid(&v));
    let mut bad = v.clone();
    bad["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&bad), "a bad level must be rejected");
    let mut bad = v.clone();
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert!(!validator.is_valid(&bad), "startLine 0 must be rejected");
    let mut bad = v;
    bad["version"] = Value::from("2.0.0");
    assert!(
        !validator.is_valid(&bad),
        "another version must be rejected"
    );
}

#[test]
fn a_clean_file_has_an_empty_results_array() {
    // SA107 cannot pass in a stack file (no-new-privileges lives in the nodes' daemon.json): the
    // example suppresses it, and suppressed results stay in SARIF with their justification
    let (o, v) = sarif_in(&repo(), &["examples/hardened-stack.yml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let results = run0(&v)["results"].as_array().expect("results").clone();
    assert!(!results.is_empty());
    for r in &results {
        assert_eq!(r["ruleId"], "SA107", "{r:#}");
        assert!(r["suppressions"][0]["justification"]
            .as_str()
            .is_some_and(|j| j.contains("daemon.json")));
    }
    let (o, v) = sarif_in(
        &repo(),
        &["--ignore", "SA107", "examples/hardened-stack.yml"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    check(&v, "hardened-stack.yml");
    assert_eq!(run0(&v)["results"], Value::Array(vec![]));
    let inv = &run0(&v)["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    assert!(inv["toolExecutionNotifications"]
        .as_array()
        .is_none_or(Vec::is_empty));
}

#[test]
fn a_failed_file_is_a_tool_execution_notification() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "good.yml",
        "services:\n  web:\n    image: nginx:latest\n    ports: [\"127.0.0.1:8080:80\"]\n",
    );
    write(
        dir.path(),
        "bad.yml",
        "services:\n  web:\n    image: x\n    image: y\n",
    );
    let (o, v) = sarif_in(dir.path(), &["good.yml", "bad.yml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    check(&v, "good.yml + bad.yml");
    let inv = &run0(&v)["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"]
        .as_array()
        .expect("toolExecutionNotifications");
    assert_eq!(notes.len(), 1, "{notes:?}");
    let n = &notes[0];
    assert_eq!(n["level"], "error");
    assert!(n["message"]["text"]
        .as_str()
        .is_some_and(|m| m.contains("duplicate key `image`")));
    let phys = &n["locations"][0]["physicalLocation"];
    assert_eq!(phys["artifactLocation"]["uri"], "bad.yml");
    assert_eq!(phys["artifactLocation"]["uriBaseId"], SRCROOT);
    assert_eq!(phys["region"]["startLine"], 4);
    assert_eq!(phys["region"]["startColumn"], 5);
    // the good file is still audited
    let res = results(&v);
    assert!(res
        .iter()
        .any(|r| r["ruleId"] == "SA204" && uri_of(r) == "good.yml"));
    assert!(res.iter().all(|r| uri_of(r) == "good.yml"));
}

#[test]
fn findings_through_anchors_point_at_the_use_site() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "anchors.yml",
        concat!(
            "x-base: &base\n",         // 1
            "  image: nginx:latest\n", // 2
            "  user: root\n",          // 3
            "  ports:\n",              // 4
            "    - \"8080:80\"\n",     // 5
            "services:\n",             // 6
            "  a:\n",                  // 7
            "    <<: *base\n",         // 8
            "  b:\n",                  // 9
            "    <<: *base\n",         // 10
            "    user: \"10001\"\n",   // 11
        ),
    );
    let (o, v) = sarif_in(dir.path(), &["anchors.yml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    check(&v, "anchors.yml");
    let res = results(&v);
    let sa203: Vec<&Value> = res.iter().filter(|r| r["ruleId"] == "SA203").collect();
    assert_eq!(
        sa203.len(),
        2,
        "one per service using the anchor: {sa203:?}"
    );
    let services: BTreeSet<&str> = sa203.iter().map(|r| logical(r).2).collect();
    assert_eq!(
        services,
        BTreeSet::from(["services.a", "services.b"]),
        "{sa203:?}"
    );
    let fps: BTreeSet<String> = sa203.iter().map(|r| fingerprint(r)).collect();
    assert_eq!(fps.len(), 2, "the two services' findings are distinct");
    for r in &sa203 {
        let (line, _) = start(r);
        assert!(line == 8 || line == 10, "use site, not the anchor: {r}");
        let msg = r["message"]["text"].as_str().unwrap_or("");
        assert!(
            msg.contains("anchors.yml:5:"),
            "definition site named: {msg}"
        );
    }
    // root through the anchor only for a (b overrides the user)
    let sa101: Vec<(&str, &str, &str)> = res
        .iter()
        .filter(|r| r["ruleId"] == "SA101")
        .map(logical)
        .collect();
    assert_eq!(sa101, vec![("a", "service", "services.a")]);
}

#[test]
fn the_implicit_default_network_is_a_logical_location() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "stack.yml",
        "services:\n  web:\n    image: nginx:1.27\n    user: \"10001\"\n",
    );
    let (_, v) = sarif_in(dir.path(), &["stack.yml"]);
    check(&v, "implicit default network");
    let res = results(&v);
    let net: Vec<&Value> = res.iter().filter(|r| logical(r).1 == "network").collect();
    assert_eq!(net.len(), 1, "{net:?}");
    assert_eq!(net[0]["ruleId"], "SA201");
    assert_eq!(logical(net[0]), ("default", "network", "networks.default"));
    assert_eq!(uri_of(net[0]), "stack.yml");
    assert_eq!(start(net[0]), (2, 3), "at the service that joins it");
}

#[test]
fn uris_are_relative_below_the_cwd_and_absolute_outside() {
    let inside = tempfile::tempdir().expect("tmp");
    let outside = tempfile::tempdir().expect("tmp");
    let stack = "services:\n  web:\n    image: nginx:latest\n";
    write(inside.path(), "sub dir/my stack.yml", stack);
    let other = write(outside.path(), "other.yml", stack);
    let other_s = other.to_str().expect("utf8 temp path");
    let (_, v) = sarif_in(inside.path(), &["sub dir/my stack.yml", other_s]);
    check(&v, "relative and absolute paths");
    let uris: BTreeSet<&str> = results(&v).iter().map(uri_of).collect();
    let abs = other
        .canonicalize()
        .unwrap_or(other.clone())
        .to_string_lossy()
        .into_owned();
    let abs_uri = format!("file://{}", swarmaudit::report::sarif::uri_encode(&abs));
    let plain_uri = format!("file://{}", swarmaudit::report::sarif::uri_encode(other_s));
    assert!(uris.contains("sub%20dir/my%20stack.yml"), "{uris:?}");
    assert!(
        uris.contains(abs_uri.as_str()) || uris.contains(plain_uri.as_str()),
        "{uris:?}"
    );
    assert_eq!(uris.len(), 2, "{uris:?}");
}

// --- fingerprints ---------------------------------------------------------------------------

const BASE: &str = concat!(
    "services:\n",
    "  web:\n",
    "    image: nginx:latest\n",
    "    ports:\n",
    "      - \"8080:80\"\n",
    "    environment:\n",
    "      DB_PASSWORD: Kx7Wq2Lm9Pz4\n",
    "  api:\n",
    "    image: registry.internal/api:1.2\n",
    "    user: root\n",
    "    ports:\n",
    "      - \"9090:9090\"\n",
);

const LINES_ABOVE: &str = concat!(
    "# a comment\n",
    "version: \"3.8\"\n",
    "x-notes:\n",
    "  owner: ops\n",
    "\n",
    "services:\n",
    "  web:\n",
    "    # a comment inside the service\n",
    "    image: nginx:latest\n",
    "\n",
    "    ports:\n",
    "      - \"8080:80\"\n",
    "    environment:\n",
    "      DB_PASSWORD: Kx7Wq2Lm9Pz4\n",
    "  api:\n",
    "    image: registry.internal/api:1.2\n",
    "    user: root\n",
    "    ports:\n",
    "      - \"9090:9090\"\n",
);

const REORDERED: &str = concat!(
    "services:\n",
    "  api:\n",
    "    ports:\n",
    "      - \"9090:9090\"\n",
    "    user: root\n",
    "    image: registry.internal/api:1.2\n",
    "  web:\n",
    "    environment:\n",
    "      DB_PASSWORD: Kx7Wq2Lm9Pz4\n",
    "    ports:\n",
    "      - \"8080:80\"\n",
    "    image: nginx:latest\n",
);

const OTHER_PORT: &str = concat!(
    "services:\n",
    "  web:\n",
    "    image: nginx:latest\n",
    "    ports:\n",
    "      - \"8081:80\"\n",
    "    environment:\n",
    "      DB_PASSWORD: Kx7Wq2Lm9Pz4\n",
    "  api:\n",
    "    image: registry.internal/api:1.2\n",
    "    user: root\n",
    "    ports:\n",
    "      - \"9090:9090\"\n",
);

/// (ruleId, logical location) -> fingerprints, and the (line, fingerprint) of every result.
type Prints = BTreeMap<(String, String), BTreeSet<String>>;

fn prints_of(dir: &Path, text: &str) -> (Prints, Vec<(u64, String)>) {
    write(dir, "stack.yml", text);
    let (_, v) = sarif_in(dir, &["stack.yml"]);
    check(&v, "fingerprint fixture");
    let mut map = Prints::new();
    let mut lines = vec![];
    for r in results(&v) {
        map.entry((
            r["ruleId"].as_str().unwrap_or("").to_string(),
            logical(r).2.to_string(),
        ))
        .or_default()
        .insert(fingerprint(r));
        lines.push((start(r).0, fingerprint(r)));
    }
    (map, lines)
}

fn all_prints(p: &Prints) -> BTreeSet<(String, String)> {
    p.iter()
        .flat_map(|((rule, _), fps)| fps.iter().map(move |f| (rule.clone(), f.clone())))
        .collect()
}

#[test]
fn fingerprints_survive_inserted_lines_and_reordered_services() {
    let dir = tempfile::tempdir().expect("tmp");
    let (base, base_lines) = prints_of(dir.path(), BASE);
    for rule in ["SA203", "SA401", "SA101", "SA501"] {
        assert!(
            base.keys().any(|(r, _)| r == rule),
            "fixture must produce {rule}: {base:?}"
        );
    }
    let (moved, moved_lines) = prints_of(dir.path(), LINES_ABOVE);
    assert_eq!(moved, base, "inserting lines above changed fingerprints");
    // the lines did move, so the fingerprints really are line-independent
    let line_of = |lines: &[(u64, String)], fp: &str| {
        lines
            .iter()
            .find(|(_, f)| f == fp)
            .map(|(l, _)| *l)
            .unwrap_or(0)
    };
    let web_port = base[&("SA203".to_string(), "services.web".to_string())]
        .iter()
        .next()
        .expect("SA203 on web")
        .clone();
    assert_eq!(line_of(&base_lines, &web_port), 5);
    assert_eq!(line_of(&moved_lines, &web_port), 12);

    let (reordered, _) = prints_of(dir.path(), REORDERED);
    assert_eq!(
        reordered, base,
        "reordering services and keys changed fingerprints"
    );
}

#[test]
fn fingerprints_change_when_the_finding_changes() {
    let dir = tempfile::tempdir().expect("tmp");
    let (base, _) = prints_of(dir.path(), BASE);
    let (other, _) = prints_of(dir.path(), OTHER_PORT);
    let before = all_prints(&base);
    let after = all_prints(&other);
    let gone: Vec<_> = before.difference(&after).collect();
    let new: Vec<_> = after.difference(&before).collect();
    let web_port = base[&("SA203".to_string(), "services.web".to_string())].clone();
    assert_eq!(
        gone.len(),
        1,
        "only the changed port's finding is gone: {gone:?}"
    );
    assert_eq!(gone[0].0, "SA203");
    assert!(web_port.contains(&gone[0].1));
    assert_eq!(new.len(), 1, "one new finding for the new port: {new:?}");
    assert_eq!(new[0].0, "SA203");
    // the other service's port keeps its fingerprint
    assert_eq!(
        base[&("SA203".to_string(), "services.api".to_string())],
        other[&("SA203".to_string(), "services.api".to_string())]
    );
    // within one run, the two services' port findings differ
    assert_ne!(
        base[&("SA203".to_string(), "services.web".to_string())],
        base[&("SA203".to_string(), "services.api".to_string())]
    );
}

#[test]
fn host_findings_are_valid_sarif_with_the_daemon_json_line_or_the_host_artifact() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "etc/docker/daemon.json",
        "{\n  \"hosts\": [\"tcp://0.0.0.0:2375\"]\n}\n",
    );
    write(
        dir.path(),
        "proc/net/tcp",
        "  sl  local_address rem_address   st\n   0: 00000000:0949 00000000:0000 0A\n",
    );
    let (_, v) = sarif_in(dir.path(), &["--host-checks", "--host-root", "."]);
    check(&v, "host checks");
    let res = results(&v);
    let tcp = res
        .iter()
        .find(|r| r["ruleId"] == "SA710")
        .expect("SA710 result");
    assert_eq!(uri_of(tcp), "etc/docker/daemon.json");
    assert_eq!(start(tcp).0, 2);
    // a key daemon.json lacks: the top of the file
    let nnp = res
        .iter()
        .find(|r| r["ruleId"] == "SA712")
        .expect("SA712 result");
    assert_eq!((uri_of(nnp), start(nnp).0), ("etc/docker/daemon.json", 1));
    // outside any file (the control port): the stable synthetic artifact of the host
    let sock = res
        .iter()
        .find(|r| r["ruleId"] == "SA708")
        .expect("SA708 result");
    assert!(uri_of(sock).starts_with("host/"), "{}", uri_of(sock));
}
