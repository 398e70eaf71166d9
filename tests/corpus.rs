//! Robustness on the real-world corpus in `../shared/corpus` (skipped when absent, required
//! under CI): the whole directory is scanned in one run without a crash, every file is read, and
//! the only files that fail are the ones `docker stack deploy` itself rejects.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

/// Files of the corpus that `docker stack deploy` rejects: each has a `$` that is not a valid
/// interpolation (`$(`, `$'`, `$?`), so docker/cli's template package fails with
/// "Invalid template". Paths as printed when scanning with the corpus as working directory.
const INVALID_FOR_STACK_DEPLOY: &[&str] = &[
    "Compose-Examples/examples__grafana-monitoring__docker-compose.yml",
    "Compose-Examples/examples__koillection__docker-compose.yml",
    "swarm-stacks/vault__transit.yml",
];

const CORPUS_FILES: usize = 537;

#[test]
fn the_corpus_scans_without_a_crash_and_fails_only_invalid_files() {
    let Some(shared) = shared() else {
        return;
    };
    let corpus = shared.join("corpus");
    assert!(corpus.is_dir(), "{} missing", corpus.display());
    let o = run_in(
        &corpus,
        &["scan", ".", "--format", "json", "--fail-on", "never"],
    );
    let err = stderr(&o);
    assert!(
        o.status.code().is_some(),
        "swarmaudit was killed by a signal: {:?}\n{err}",
        o.status
    );
    assert!(!err.contains("panicked"), "a panic:\n{err}");
    assert!(
        !err.contains("internal error"),
        "a worker thread failed:\n{err}"
    );
    assert!(
        matches!(o.status.code(), Some(0 | 2)),
        "exit {:?}\n{err}",
        o.status.code()
    );
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("output is not JSON ({e})\n{err}"));

    assert_eq!(
        v["summary"]["files_scanned"], CORPUS_FILES,
        "every stack file of the corpus is read"
    );

    let errors = v["errors"].as_array().expect("errors");
    let failed: BTreeSet<&str> = errors
        .iter()
        .map(|e| e["file"].as_str().expect("errors[].file"))
        .collect();
    let want: BTreeSet<&str> = INVALID_FOR_STACK_DEPLOY.iter().copied().collect();
    assert_eq!(
        failed,
        want,
        "failed files differ from those stack deploy rejects:\n{}",
        serde_json::to_string_pretty(errors).unwrap_or_default()
    );
    for e in errors {
        let m = e["message"].as_str().unwrap_or("");
        assert!(m.contains("Invalid template"), "{e}");
        assert!(e["line"].as_u64().is_some_and(|l| l >= 1), "{e}");
    }
    assert_eq!(v["summary"]["files_failed"], want.len());
    // failed files make the run incomplete: exit 2 even with --fail-on never
    assert_eq!(o.status.code(), Some(2));

    // every finding is well formed and points into a scanned file of the corpus
    let findings = v["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    assert_eq!(v["summary"]["findings"], findings.len());
    for f in findings {
        let file = f["file"].as_str().unwrap_or("");
        assert!(
            !file.is_empty() && !file.starts_with('/') && corpus.join(file).is_file(),
            "{f}"
        );
        assert!(!want.contains(file), "a failed file has findings: {f}");
        assert!(f["line"].as_u64().is_some_and(|l| l >= 1), "{f}");
        assert!(f["column"].as_u64().is_some_and(|c| c >= 1), "{f}");
    }

    // the output is deterministic (files are audited in parallel)
    let again = run_in(
        &corpus,
        &["scan", ".", "--format", "json", "--fail-on", "never"],
    );
    assert_eq!(again.stdout, o.stdout, "two runs differ");
}

#[test]
fn the_corpus_as_sarif_validates_against_the_schema() {
    let Some(shared) = shared() else {
        return;
    };
    let schema_text = std::fs::read_to_string(shared.join("schemas/sarif-schema-2.1.0.json"))
        .expect("SARIF schema");
    let schema: Value = serde_json::from_str(&schema_text).expect("schema JSON");
    let validator = jsonschema::draft4::new(&schema).expect("schema compiles");
    let o = run_in(
        &shared.join("corpus"),
        &["scan", ".", "--format", "sarif", "--fail-on", "never"],
    );
    assert!(o.status.code().is_some(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .take(20)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let run = &v["runs"][0];
    let notes: BTreeSet<&str> = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .map(|n| {
            n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or("")
        })
        .collect();
    let want: BTreeSet<&str> = INVALID_FOR_STACK_DEPLOY.iter().copied().collect();
    assert_eq!(notes, want);
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    for r in run["results"].as_array().expect("results") {
        let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"], "{r}");
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "%SRCROOT%"
        );
    }
}
