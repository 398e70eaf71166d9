//! Meta-tests of the rule catalog: every rule is a complete quartet (documentation on disk that
//! is exactly what is compiled in, consistent metadata, fail and pass fixtures, CLI listing and
//! explanation), and nothing in `rules/` is left unregistered.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::*;
use swarmaudit::finding::Severity;
use swarmaudit::rules::{catalog, RULES};
use swarmaudit::source::{FileId, SourceFile};

const HEADINGS: [&str; 4] = [
    "## Why is this bad?",
    "## Example",
    "## Remediation",
    "## Fix",
];

fn rules_dir() -> PathBuf {
    repo().join("rules")
}

fn doc_path(m: &catalog::RuleMeta) -> PathBuf {
    rules_dir().join(format!("{}-{}.md", m.id, m.name))
}

/// The lines of a Markdown text outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push((i, line));
        }
    }
    out
}

/// The contents of the fenced blocks with this info string (e.g. `yaml`).
fn fenced_blocks(text: &str, info: &str) -> Vec<String> {
    let mut out = vec![];
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim_start();
        match &mut current {
            None => {
                if let Some(rest) = t.strip_prefix("```") {
                    if rest.trim() == info {
                        current = Some(String::new());
                    }
                }
            }
            Some(block) => {
                if t.starts_with("```") {
                    out.push(std::mem::take(block));
                    current = None;
                } else {
                    block.push_str(line);
                    block.push('\n');
                }
            }
        }
    }
    assert!(current.is_none(), "unterminated ```{info} block");
    out
}

fn expected_severity(security_severity: f64) -> Severity {
    if security_severity >= 9.0 {
        Severity::Critical
    } else if security_severity >= 7.0 {
        Severity::High
    } else if security_severity >= 4.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

#[test]
fn the_registry_and_the_catalog_agree() {
    let all = catalog::all();
    assert_eq!(RULES.len(), all.len());
    assert!(!all.is_empty());
    for (r, m) in RULES.iter().zip(all) {
        let parsed = catalog::parse(r.doc).expect("embedded doc parses");
        assert_eq!(parsed.id, m.id);
        assert_eq!(catalog::find(&m.id).map(|f| &f.id), Some(&m.id));
        assert_eq!(
            catalog::find(&m.id.to_lowercase()).map(|f| &f.id),
            Some(&m.id)
        );
    }
}

#[test]
fn every_rule_has_its_doc_file_on_disk_and_it_is_what_is_compiled_in() {
    let mut failures = vec![];
    for (r, m) in RULES.iter().zip(catalog::all()) {
        let path = doc_path(m);
        match std::fs::read_to_string(&path) {
            Err(e) => failures.push(format!("{}: {} missing: {e}", m.id, path.display())),
            Ok(text) if text != r.doc => failures.push(format!(
                "{}: {} differs from the embedded documentation",
                m.id,
                path.display()
            )),
            Ok(_) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn every_doc_file_is_registered() {
    let registered: BTreeSet<String> = catalog::all()
        .iter()
        .map(|m| format!("{}-{}.md", m.id, m.name))
        .collect();
    let mut on_disk = BTreeSet::new();
    for e in std::fs::read_dir(rules_dir()).expect("rules/") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "md") {
            on_disk.insert(
                p.file_name()
                    .and_then(|n| n.to_str())
                    .expect("utf8 name")
                    .to_string(),
            );
        }
    }
    let unregistered: Vec<_> = on_disk.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "rules/ holds docs no rule registers: {unregistered:?}"
    );
    assert_eq!(on_disk, registered);
}

#[test]
fn ids_are_unique_well_formed_and_sorted() {
    let ids: Vec<&str> = catalog::all().iter().map(|m| m.id.as_str()).collect();
    for id in &ids {
        assert!(
            id.len() == 5 && id.starts_with("SA") && id[2..].bytes().all(|b| b.is_ascii_digit()),
            "id `{id}` is not SA + 3 digits"
        );
    }
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids: {ids:?}");
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "RULES must be in id order");
    let names: BTreeSet<&str> = catalog::all().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names.len(), ids.len(), "duplicate rule names");
    for m in catalog::all() {
        assert!(
            !m.name.is_empty()
                && m.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{}: name `{}` is not kebab-case",
            m.id,
            m.name
        );
    }
}

#[test]
fn every_doc_has_the_four_sections_once_and_in_order() {
    let mut failures = vec![];
    for (r, m) in RULES.iter().zip(catalog::all()) {
        let prose = prose_lines(r.doc);
        let mut last = None;
        for h in HEADINGS {
            let at: Vec<usize> = prose
                .iter()
                .filter(|(_, l)| l.trim_end() == h)
                .map(|(i, _)| *i)
                .collect();
            match at.as_slice() {
                [i] => {
                    if last.is_some_and(|l| *i < l) {
                        failures.push(format!("{}: `{h}` is out of order", m.id));
                    }
                    last = Some(*i);
                }
                _ => failures.push(format!(
                    "{}: `{h}` appears {} times (want exactly once)",
                    m.id,
                    at.len()
                )),
            }
        }
        for field in [&m.title, &m.summary] {
            if field.trim().is_empty() {
                failures.push(format!("{}: empty title or summary", m.id));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn metadata_is_consistent() {
    let mut failures = vec![];
    for m in catalog::all() {
        if let Some(s) = m.security_severity {
            if !(0.1..=10.0).contains(&s) {
                failures.push(format!("{}: security_severity {s} out of 0.1..=10.0", m.id));
            }
            let want = expected_severity(s);
            if m.severity != want {
                failures.push(format!(
                    "{}: severity {} but security_severity {s} means {want}",
                    m.id, m.severity
                ));
            }
        }
        if m.targets.is_empty() {
            failures.push(format!("{}: no targets", m.id));
        }
        for t in &m.targets {
            if t != "stack" && t != "live" && t != "host" {
                failures.push(format!("{}: unknown target `{t}`", m.id));
            }
        }
        if m.tags.is_empty() || m.tags.iter().any(|t| t.trim().is_empty()) {
            failures.push(format!("{}: tags must be non-empty", m.id));
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn the_example_yaml_parses() {
    let mut failures = vec![];
    for m in catalog::all() {
        let Some(example) = m.section("Example") else {
            failures.push(format!("{}: no Example section", m.id));
            continue;
        };
        let mut blocks = fenced_blocks(example, "yaml");
        // host rules show daemon.json (JSON is YAML: the same loader reads it)
        if m.targets.iter().any(|t| t == "host") {
            blocks.extend(fenced_blocks(example, "json"));
        }
        if blocks.is_empty() {
            failures.push(format!(
                "{}: the Example has no ```yaml block (or ```json for host rules)",
                m.id
            ));
        }
        for (i, block) in blocks.into_iter().enumerate() {
            let src = SourceFile::new(PathBuf::from(format!("{}-example-{i}.yml", m.id)), block);
            match swarmaudit::yaml::load(FileId(0), &src) {
                Ok(node) => {
                    if node.as_map().is_none() {
                        failures.push(format!(
                            "{}: Example block {i} is a {}, not a mapping",
                            m.id,
                            node.kind_name()
                        ));
                    }
                }
                Err(e) => failures.push(format!("{}: Example block {i}: {e}", m.id)),
            }
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn every_rule_has_fail_and_pass_fixtures() {
    let mut failures = vec![];
    for m in catalog::all() {
        let dir = repo().join("fixtures").join(&m.id);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            failures.push(format!("{}: no {}", m.id, dir.display()));
            continue;
        };
        let names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        for prefix in ["fail.", "pass."] {
            if !names.iter().any(|n| n.starts_with(prefix)) {
                failures.push(format!("{}: no {prefix}* in {}", m.id, dir.display()));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn the_rules_command_lists_every_rule() {
    let o = run_in(&repo(), &["rules"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let listed: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    let ids: Vec<String> = catalog::all().iter().map(|m| m.id.clone()).collect();
    assert_eq!(listed, ids);

    let o = run_in(&repo(), &["rules", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("rules json");
    let listed: Vec<&str> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(listed, ids);
}

#[test]
fn explain_works_for_every_rule() {
    let mut failures = vec![];
    for m in catalog::all() {
        for asked in [m.id.clone(), m.id.to_lowercase()] {
            let o = run_in(&repo(), &["explain", &asked]);
            let text = stdout(&o);
            if o.status.code() != Some(0) {
                failures.push(format!(
                    "explain {asked}: exit {:?}: {}",
                    o.status,
                    stderr(&o)
                ));
                continue;
            }
            let first = text.lines().next().unwrap_or("");
            if !(first.starts_with(&m.id) && first.contains(&m.name) && first.contains(&m.title)) {
                failures.push(format!("explain {asked}: first line `{first}`"));
            }
            if !text.contains(&format!("severity: {}", m.severity)) {
                failures.push(format!("explain {asked}: no severity"));
            }
            for h in HEADINGS {
                if !text.contains(h) {
                    failures.push(format!("explain {asked}: no `{h}`"));
                }
            }
            if !text.contains(m.summary.as_str()) {
                failures.push(format!("explain {asked}: no summary"));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

/// Catalog ids that are deliberately not implemented, each with the reason.
const NOT_APPLICABLE: &[(&str, &str)] = &[];

/// Rules of this project that the research catalog does not list, each with the reason.
const PROJECT_ONLY: &[(&str, &str)] = &[
    (
        "SA006",
        "drift between a stack file and the deployed stack (live issue)",
    ),
    (
        "SA007",
        "problems of suppressions and exemptions themselves (gate issue)",
    ),
];

/// Held to the catalog: every id in ../shared/research/rule-catalog.md is implemented (a
/// registered rule with its doc) or listed in NOT_APPLICABLE with a reason. Needs ../shared:
/// skips without it, except under CI.
#[test]
fn every_catalog_id_is_implemented_or_marked_not_applicable() {
    let Some(shared) = shared() else { return };
    let text =
        std::fs::read_to_string(shared.join("research/rule-catalog.md")).expect("rule-catalog.md");
    let wanted: std::collections::BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|id| {
            id.len() == 5 && id.starts_with("SA") && id[2..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(str::to_string)
        .collect();
    assert!(wanted.len() > 60, "catalog ids not found: {wanted:?}");
    let have: std::collections::BTreeSet<String> =
        catalog::all().iter().map(|m| m.id.clone()).collect();
    let mut problems = vec![];
    for id in &wanted {
        let excused = NOT_APPLICABLE
            .iter()
            .any(|(n, why)| n == id && !why.is_empty());
        if !have.contains(id) && !excused {
            problems.push(format!(
                "{id}: in the catalog, neither implemented nor marked not applicable"
            ));
        }
        if have.contains(id) && NOT_APPLICABLE.iter().any(|(n, _)| n == id) {
            problems.push(format!("{id}: implemented but still marked not applicable"));
        }
    }
    for id in &have {
        if !wanted.contains(id) && !PROJECT_ONLY.iter().any(|(n, _)| n == id) {
            problems.push(format!(
                "{id}: registered but not in the catalog nor in PROJECT_ONLY"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
