//! Proof of `swarmaudit fix`, driven by fixtures: for every rule with an applied fix, each
//! `fixtures/<ID>/fail.<case>.yml` (or `fail.<case>/` of `-c` files) becomes exactly
//! `fixed.<case>.yml` (or `fixed.<case>/`) after `fix --unsafe-fixes --select <ID>`, byte for
//! byte — also with CRLF line endings and without a final newline; the printed patch passes
//! `git apply --check` and `patch -p1 --dry-run` and gives the same result as `--write`; a
//! re-scan reports none of the fixed findings and nothing new; fixing the result again
//! changes nothing. `SWARMAUDIT_BLESS=1` writes missing golden files (inspect them by eye).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::Value;
use swarmaudit::rules::catalog::{self, FixKind};

fn run_ok(cmd: &mut Command) -> Output {
    let o = cmd.output().expect("run");
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git")
}

/// A fixture case: its files (name, text) in `-c` order.
fn case_files(path: &Path) -> Vec<(String, String)> {
    let mut paths: Vec<PathBuf> = if path.is_dir() {
        std::fs::read_dir(path)
            .expect("case dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    paths.sort();
    paths
        .iter()
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                std::fs::read_to_string(p).expect("fixture text"),
            )
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    AsIs,
    Crlf,
    NoFinalNewline,
}

fn transform(text: &str, v: Variant) -> String {
    match v {
        Variant::AsIs => text.to_string(),
        Variant::Crlf => text.replace('\n', "\r\n"),
        Variant::NoFinalNewline => text.strip_suffix('\n').unwrap_or(text).to_string(),
    }
}

/// `fix` / `scan` arguments naming the case's files in `dir`.
fn file_args(files: &[(String, String)]) -> Vec<String> {
    if files.len() == 1 {
        vec![files[0].0.clone()]
    } else {
        files
            .iter()
            .flat_map(|(n, _)| ["-c".to_string(), n.clone()])
            .collect()
    }
}

fn write_case(dir: &Path, files: &[(String, String)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write case file");
    }
}

fn fingerprints(dir: &Path, id: &str, args: &[String]) -> BTreeSet<String> {
    let mut a = vec![
        "scan",
        "--select",
        id,
        "--format",
        "json",
        "--fail-on",
        "never",
    ];
    a.extend(args.iter().map(String::as_str));
    let o = run_in(dir, &a);
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("scan output ({e}): {}", stderr(&o)));
    assert!(
        v["errors"].as_array().is_some_and(|e| e.is_empty()),
        "scan errors: {}",
        v["errors"]
    );
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == id)
        .map(|f| f["fingerprint"].as_str().expect("fingerprint").to_string())
        .collect()
}

/// Check one case in one variant; returns the fixed files (for blessing) or a failure.
fn check_case(
    id: &str,
    case: &Path,
    files: &[(String, String)],
    golden: Option<&[(String, String)]>,
    v: Variant,
) -> Result<Vec<(String, String)>, String> {
    let input: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.clone(), transform(t, v)))
        .collect();
    let args = file_args(&input);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write_case(dir, &input);
    let before = fingerprints(dir, id, &args);

    // the patch
    let mut a = vec![
        "fix",
        "--unsafe-fixes",
        "--select",
        id,
        "--fail-on",
        "never",
    ];
    a.extend(args.iter().map(String::as_str));
    let o = run_in(dir, &a);
    if o.status.code() != Some(0) {
        return Err(format!("fix exited {:?}: {}", o.status.code(), stderr(&o)));
    }
    let patch = stdout(&o);
    let notes = stderr(&o);

    // it applies with git and with patch, and gives what --write gives
    std::fs::write(dir.join("fix.patch"), &patch).expect("write patch");
    if !patch.is_empty() {
        git(dir, &["init", "-q"]);
        let g = git(dir, &["apply", "--check", "-v", "fix.patch"]);
        if !g.status.success() {
            return Err(format!(
                "git apply --check failed: {}\n{patch}",
                String::from_utf8_lossy(&g.stderr)
            ));
        }
        let p = Command::new("patch")
            .current_dir(dir)
            .args(["-p1", "--dry-run", "--binary", "-i", "fix.patch"])
            .output();
        if let Ok(p) = p {
            if !p.status.success() {
                return Err(format!(
                    "patch -p1 --dry-run failed: {}{}",
                    String::from_utf8_lossy(&p.stdout),
                    String::from_utf8_lossy(&p.stderr)
                ));
            }
        }
    }
    let applied_dir = tempfile::tempdir().expect("tempdir");
    write_case(applied_dir.path(), &input);
    if !patch.is_empty() {
        std::fs::write(applied_dir.path().join("fix.patch"), &patch).expect("write patch");
        git(applied_dir.path(), &["init", "-q"]);
        let g = git(applied_dir.path(), &["apply", "fix.patch"]);
        if !g.status.success() {
            return Err(format!(
                "git apply failed: {}",
                String::from_utf8_lossy(&g.stderr)
            ));
        }
    }
    let mut w = vec![
        "fix",
        "--unsafe-fixes",
        "--select",
        id,
        "--fail-on",
        "never",
        "--write",
    ];
    w.extend(args.iter().map(String::as_str));
    let o = run_in(dir, &w);
    if o.status.code() != Some(0) {
        return Err(format!(
            "fix --write exited {:?}: {}",
            o.status.code(),
            stderr(&o)
        ));
    }
    let mut fixed = vec![];
    for (name, _) in &input {
        let written = std::fs::read_to_string(dir.join(name)).expect("written");
        let patched = std::fs::read_to_string(applied_dir.path().join(name)).expect("patched");
        if written != patched {
            return Err(format!(
                "{name}: the patch and --write differ:\n{patched}\n---\n{written}"
            ));
        }
        fixed.push((name.clone(), written));
    }
    if let Some(golden) = golden {
        for ((name, got), (_, want)) in fixed.iter().zip(golden) {
            let want = transform(want, v);
            if *got != want {
                return Err(format!(
                    "{name} ({v:?}) differs from the golden file in {}:\n--- want\n{want}\n--- got\n{got}",
                    case.display()
                ));
            }
        }
    }

    // a re-scan: nothing new, and what is left is what the fixer said it could not fix
    let after = fingerprints(dir, id, &args);
    let new: Vec<&String> = after.difference(&before).collect();
    if !new.is_empty() {
        return Err(format!("new {id} findings after fixing: {new:?}"));
    }
    let unfixable = notes
        .lines()
        .filter(|l| {
            l.contains(&format!(" {id} "))
                && (l.contains(": no fix: ") || l.contains("(suggestion, never applied)"))
        })
        .count();
    if after.len() != unfixable {
        return Err(format!(
            "{} {id} findings left, but the fixer named {unfixable} it cannot fix:\n{notes}",
            after.len()
        ));
    }
    // fixing the result again changes nothing
    let o = run_in(dir, &a);
    if !stdout(&o).is_empty() {
        return Err(format!("a second fix changes more:\n{}", stdout(&o)));
    }
    // no temporary files are left behind
    let leftovers: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| {
            let n = e.ok()?.file_name().to_string_lossy().into_owned();
            n.contains(".swarmaudit-").then_some(n)
        })
        .collect();
    if !leftovers.is_empty() {
        return Err(format!("temporary files left: {leftovers:?}"));
    }
    Ok(fixed)
}

#[test]
fn every_fix_turns_its_fail_fixture_into_the_golden_file() {
    let bless = std::env::var_os("SWARMAUDIT_BLESS").is_some();
    let mut failures = vec![];
    let mut checked = 0;
    for m in catalog::all() {
        // SA501/SA502 pin digests only a registry knows: proven in tests/registry.rs
        if !matches!(m.fix, FixKind::Safe | FixKind::Unsafe)
            || ["SA501", "SA502"].contains(&m.id.as_str())
        {
            continue;
        }
        let dir = repo().join("fixtures").join(&m.id);
        let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("fixture dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("fail."))
                    && (p.is_dir() || p.extension().is_some_and(|e| e == "yml"))
            })
            .collect();
        cases.sort();
        if cases.is_empty() {
            failures.push(format!("{}: no fail fixtures", m.id));
        }
        for case in cases {
            let name = case
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let golden_path = dir.join(name.replacen("fail.", "fixed.", 1));
            let files = case_files(&case);
            let golden = golden_path.exists().then(|| case_files(&golden_path));
            if golden.is_none() && !bless {
                failures.push(format!(
                    "{}: no golden file {} (SWARMAUDIT_BLESS=1 writes it)",
                    case.display(),
                    golden_path.display()
                ));
                continue;
            }
            let variants: &[Variant] = if files.iter().any(|(_, t)| t.contains('\r')) {
                &[Variant::AsIs]
            } else {
                &[Variant::AsIs, Variant::Crlf, Variant::NoFinalNewline]
            };
            for &v in variants {
                checked += 1;
                match check_case(&m.id, &case, &files, golden.as_deref(), v) {
                    Err(e) => failures.push(format!("{} ({v:?}): {e}", case.display())),
                    Ok(fixed) if golden.is_none() && v == Variant::AsIs => {
                        if case.is_dir() {
                            std::fs::create_dir_all(&golden_path).expect("mkdir golden");
                            for (n, t) in &fixed {
                                std::fs::write(golden_path.join(n), t).expect("write golden");
                            }
                        } else {
                            std::fs::write(&golden_path, &fixed[0].1).expect("write golden");
                        }
                        eprintln!("blessed {}", golden_path.display());
                    }
                    Ok(_) => {}
                }
            }
        }
    }
    assert!(checked > 0);
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n\n"));
}

#[test]
fn golden_files_keep_what_the_fixer_must_not_touch() {
    // interpolated values are left alone
    for (id, case) in [
        ("SA204", "interpolated-ip"),
        ("SA401", "variable-default"),
        ("SA401", "literal-around-unset-variable"),
        ("SA101", "unresolved-user"),
    ] {
        let dir = repo().join("fixtures").join(id);
        let fail = std::fs::read_to_string(dir.join(format!("fail.{case}.yml"))).expect("fail");
        let fixed = std::fs::read_to_string(dir.join(format!("fixed.{case}.yml"))).expect("fixed");
        assert_eq!(
            fail, fixed,
            "{id} {case}: an interpolated value was rewritten"
        );
    }
    // an anchor is edited once, at its definition
    let dir = repo().join("fixtures/SA101");
    let fixed = std::fs::read_to_string(dir.join("fixed.anchor-merge.yml")).expect("fixed");
    assert_eq!(fixed.matches("10001:10001").count(), 1, "{fixed}");
    let o = run_in(
        &repo(),
        &[
            "fix",
            "--unsafe-fixes",
            "--select",
            "SA101",
            "fixtures/SA101/fail.anchor-merge.yml",
        ],
    );
    let notes = stderr(&o);
    assert!(
        notes.contains("where the anchor is defined") && notes.contains("ansible-runner, restic"),
        "{notes}"
    );
}

fn sarif_fix_results(dir: &Path, file: &str) -> Vec<Value> {
    let o = run_in(
        dir,
        &["scan", "--format", "sarif", "--fail-on", "never", file],
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("sarif");
    v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r.get("fixes").is_some())
        .cloned()
        .collect()
}

#[test]
fn sarif_fixes_are_the_fixer_s_edits_and_each_removes_its_finding() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let text =
        std::fs::read_to_string(repo().join("examples/monitoring-stack.yml")).expect("example");
    std::fs::write(dir.join("stack.yml"), &text).expect("write");
    let results = sarif_fix_results(dir, "stack.yml");
    assert!(results.len() > 5, "{results:?}");
    let mut rules = BTreeSet::new();
    for r in &results {
        let fix = &r["fixes"][0];
        assert!(fix["description"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        let applicability = fix["properties"]["applicability"]
            .as_str()
            .expect("applicability");
        assert!(
            matches!(applicability, "safe" | "unsafe"),
            "{applicability}"
        );
        let change = &fix["artifactChanges"][0];
        assert_eq!(change["artifactLocation"]["uri"], "stack.yml");
        assert_eq!(change["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        // apply this result's replacements alone, from the end
        let mut reps: Vec<(usize, usize, String)> = change["replacements"]
            .as_array()
            .expect("replacements")
            .iter()
            .map(|x| {
                (
                    x["deletedRegion"]["byteOffset"].as_u64().expect("offset") as usize,
                    x["deletedRegion"]["byteLength"].as_u64().expect("length") as usize,
                    x["insertedContent"]["text"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                )
            })
            .collect();
        reps.sort_by_key(|x| std::cmp::Reverse(x.0));
        let mut fixed = text.clone();
        for (off, len, ins) in reps {
            fixed.replace_range(off..off + len, &ins);
        }
        let one = tempfile::tempdir().expect("tempdir");
        std::fs::write(one.path().join("stack.yml"), &fixed).expect("write");
        let rule = r["ruleId"].as_str().expect("ruleId");
        rules.insert(rule.to_string());
        let left = fingerprints(one.path(), rule, &["stack.yml".to_string()]);
        let fp = r["partialFingerprints"]["swarmaudit/v1"]
            .as_str()
            .expect("fp");
        assert!(
            !left.contains(fp),
            "{rule}: applying its SARIF fix left the finding:\n{fixed}"
        );
    }
    assert!(rules.len() >= 5, "{rules:?}");
    // JSON says which findings have one
    let o = run_in(
        dir,
        &[
            "scan",
            "--format",
            "json",
            "--fail-on",
            "never",
            "stack.yml",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    let with_fix = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["fix_available"] == true)
        .count();
    assert_eq!(with_fix, results.len());
}

#[test]
fn unsafe_fixes_need_the_flag_and_suggestions_are_never_applied() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(
        dir,
        "stack.yml",
        "services:\n  web:\n    image: nginx:latest\n    deploy:\n      update_config:\n        failure_action: pause\n",
    );
    let o = run_in(
        dir,
        &["fix", "--select", "SA301,SA603,SA601,SA501", "stack.yml"],
    );
    let patch = stdout(&o);
    let notes = stderr(&o);
    assert!(
        patch.contains("+        failure_action: rollback"),
        "{patch}"
    );
    assert!(
        !patch.contains("memory"),
        "unsafe fix applied without the flag:\n{patch}"
    );
    assert!(
        !patch.contains("healthcheck"),
        "a suggestion was applied:\n{patch}"
    );
    assert!(
        notes.contains("SA301 services.web (unsafe, not applied without --unsafe-fixes)"),
        "{notes}"
    );
    assert!(notes.contains("#   may change: "), "{notes}");
    assert!(
        notes.contains("SA601 services.web (suggestion, never applied)"),
        "{notes}"
    );
    assert!(notes.contains("#   |     healthcheck:"), "{notes}");
    assert!(
        notes.contains("SA501 services.web: no fix: ") && notes.contains("digest"),
        "{notes}"
    );
    // SA301 (medium) is left: with --fail-on medium the gate fails, by default (high) it passes
    assert_eq!(o.status.code(), Some(0), "{notes}");
    let o = run_in(
        dir,
        &[
            "fix",
            "--select",
            "SA301,SA603",
            "--fail-on",
            "medium",
            "stack.yml",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = run_in(
        dir,
        &[
            "fix",
            "--unsafe-fixes",
            "--select",
            "SA301,SA603",
            "--fail-on",
            "medium",
            "stack.yml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("+          memory: 512M"),
        "{}",
        stdout(&o)
    );
    // nothing was written without --write
    assert!(std::fs::read_to_string(dir.join("stack.yml"))
        .expect("read")
        .contains("failure_action: pause"));
}

#[test]
fn write_is_atomic_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let p = write(
        dir,
        "stack.yml",
        "# keep me\nservices:\n  web:\n    image: nginx:1.27.3\n    restart: always\n",
    );
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let o = run_in(dir, &["fix", "--select", "SA606", "--write", "stack.yml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "--write prints no diff");
    assert!(stderr(&o).contains("wrote stack.yml"), "{}", stderr(&o));
    let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let text = std::fs::read_to_string(&p).expect("read");
    assert!(text.starts_with("# keep me\nservices:\n"), "{text}");
    assert!(
        text.contains("      restart_policy:\n        condition: on-failure\n"),
        "{text}"
    );
    let names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["stack.yml".to_string()]);
    // a symlink is followed: the file it points to is rewritten, the link stays a link
    let target = write(dir, "real.yml", "services:\n  api:\n    image: a:1\n");
    std::os::unix::fs::symlink(&target, dir.join("link.yml")).expect("symlink");
    let o = run_in(dir, &["fix", "--select", "SA606", "--write", "link.yml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(dir.join("link.yml"))
        .expect("meta")
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&target)
        .expect("read")
        .contains("restart_policy"));
}

#[test]
fn unreadable_and_invalid_files_exit_2_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(dir, "good.yml", "services:\n  web:\n    image: a:1\n");
    write(
        dir,
        "bad.yml",
        "services:\n  web:\n    image: a:1\n    image: b:2\n",
    );
    let o = run_in(
        dir,
        &[
            "fix",
            "--select",
            "SA606",
            "good.yml",
            "bad.yml",
            "missing.yml",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("bad.yml:4:5: duplicate key"), "{err}");
    assert!(err.contains("missing.yml"), "{err}");
    // the good file is still fixed in the diff
    assert!(stdout(&o).contains("+++ b/good.yml"), "{}", stdout(&o));
}

#[test]
fn the_monitoring_example_is_fixed_in_one_run_that_is_stable() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let text =
        std::fs::read_to_string(repo().join("examples/monitoring-stack.yml")).expect("example");
    write(dir, "stack.yml", &text);
    let count = |dir: &Path| {
        let o = run_in(
            dir,
            &[
                "scan",
                "--format",
                "json",
                "--fail-on",
                "never",
                "stack.yml",
            ],
        );
        let v: Value = serde_json::from_slice(&o.stdout).expect("json");
        v["summary"]["findings"].as_u64().expect("count")
    };
    let before = count(dir);
    let o = run_in(
        dir,
        &[
            "fix",
            "--unsafe-fixes",
            "--write",
            "--fail-on",
            "never",
            "stack.yml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let after = count(dir);
    assert!(after + 10 < before, "{before} -> {after}\n{}", stderr(&o));
    let o = run_in(
        dir,
        &["fix", "--unsafe-fixes", "--fail-on", "never", "stack.yml"],
    );
    assert!(stdout(&o).is_empty(), "not stable:\n{}", stdout(&o));
}

/// Every file of ../shared/corpus, copied to a temporary directory: the patch of
/// `fix --unsafe-fixes` applies, the fixed files still load, and a re-scan finds fewer problems.
#[test]
fn the_corpus_is_fixed_with_patches_that_apply() {
    let Some(shared) = shared() else {
        return;
    };
    let corpus = shared.join("corpus");
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("corpus");
    copy_tree(&corpus, &work);
    let scan = |dir: &Path| {
        let o = run_in(
            dir,
            &["scan", ".", "--format", "json", "--fail-on", "never"],
        );
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("scan ({e}): {}", stderr(&o)));
        v
    };
    let before = scan(&work);
    let o = run_in(&work, &["fix", "--unsafe-fixes", "--fail-on", "never", "."]);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.contains("nothing of it is written"),
        "a fixed file would not load:\n{err}"
    );
    // the corpus has three files stack deploy rejects: exit 2, as for scan
    assert_eq!(o.status.code(), Some(2), "{err}");
    let patch = stdout(&o);
    std::fs::write(tmp.path().join("fix.patch"), &patch).expect("write patch");
    run_ok(Command::new("git").current_dir(&work).args(["init", "-q"]));
    let g = git(&work, &["apply", "--check", "../fix.patch"]);
    assert!(
        g.status.success(),
        "git apply --check: {}",
        String::from_utf8_lossy(&g.stderr)
    );
    let g = git(&work, &["apply", "../fix.patch"]);
    assert!(g.status.success(), "{}", String::from_utf8_lossy(&g.stderr));
    let patched = patch.matches("\n+++ b/").count() + usize::from(patch.starts_with("+++ b/"));
    let after = scan(&work);
    assert_eq!(
        after["errors"], before["errors"],
        "fixed files must load as before"
    );
    let (b, a) = (
        before["summary"]["findings"].as_u64().expect("before"),
        after["summary"]["findings"].as_u64().expect("after"),
    );
    assert!(a < b, "findings {b} -> {a}");
    // the same with --write
    let o = run_in(&work, &["fix", "--unsafe-fixes", "--fail-on", "never", "."]);
    assert!(
        stdout(&o).is_empty(),
        "fixing the patched corpus again changes more:\n{}",
        stdout(&o).lines().take(60).collect::<Vec<_>>().join("\n")
    );
    let summary = err
        .lines()
        .rev()
        .find(|l| l.starts_with("swarmaudit: "))
        .unwrap_or("");
    eprintln!(
        "corpus: {} files scanned, {patched} files patched, findings {b} before, {a} after ({summary})",
        before["summary"]["files_scanned"]
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_tree(&p, &t);
        } else {
            std::fs::copy(&p, &t).expect("copy");
        }
    }
}

/// `fix` judges what remains as `scan` does, local files included: an env file with a
/// plaintext password (SA403, which has no fix) keeps the gate failing, and the fixes that do
/// apply do not hide it.
#[test]
fn what_remains_after_fixing_includes_the_files_stack_deploy_reads() {
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "stack.yml",
        "services:\n  api:\n    image: registry.example.com/api:1.4.2\n    env_file: prod.env\n",
    );
    let password = ["DB_PASS", "WORD=Zx81", "qLm3Tr"].concat();
    write(dir.path(), "prod.env", &format!("{password}\n"));
    let args = [
        "--select",
        "SA403,SA606",
        "--fail-on",
        "medium",
        "stack.yml",
    ];
    let scan = run_in(dir.path(), &[&["scan"][..], &args[..]].concat());
    assert_eq!(scan.status.code(), Some(1), "{}", stdout(&scan));
    assert!(stdout(&scan).contains("SA403"), "{}", stdout(&scan));
    let fix = run_in(dir.path(), &[&["fix"][..], &args[..]].concat());
    // SA606 is fixed (a diff is printed), SA403 remains and fails the gate, as for scan
    assert!(stdout(&fix).contains("restart_policy"), "{}", stdout(&fix));
    assert_eq!(fix.status.code(), Some(1), "{}", stderr(&fix));
    assert!(!stdout(&fix).contains("Zx81") && !stderr(&fix).contains("Zx81"));
}
