//! `swarmaudit scan` writes its report as it audits: each stack's findings are rendered on the
//! thread that audited it and written in stack order. These tests hold that output to the report
//! rendered at once from the collected outcome, byte for byte, in every format — also on one
//! core, and whatever order the files are given in.

mod common;

use std::path::{Path, PathBuf};

use common::{repo, run_in, stdout};
use swarmaudit::engine::Selection;
use swarmaudit::report::{self, Format};

/// A directory of stacks with findings of many kinds: anchors, a suppression, an unresolved
/// variable, a file that does not parse, one that stack deploy rejects, a non-stack YAML file.
fn corpus(dir: &Path) -> Vec<PathBuf> {
    let fixtures = repo().join("fixtures");
    let mut files = vec![];
    for (i, f) in [
        "SA101/fail.anchor-merge.yml",
        "SA101/fail.root-forms.yml",
        "SA401/fail.list-form-and-anchor.yml",
        "SA201/fail.implicit-default.yml",
        "SA004/fail.braced.yml",
        "SA003/fail.forbidden-keys.yml",
        "SA007/fail.unknown-rule.yml",
        "SA007/pass.used-inline.yml",
    ]
    .iter()
    .enumerate()
    {
        let src = fixtures.join(f);
        let text = std::fs::read_to_string(&src)
            .unwrap_or_else(|e| panic!("fixture {}: {e}", src.display()));
        // names out of order on purpose: the report is in path order
        let name = format!("{}-{}", 9 - i, f.replace('/', "-"));
        files.push(common::write(dir, &name, &text));
    }
    files.push(common::write(
        dir,
        "0-broken.yml",
        "services:\n  web:\n    image: \"x\n",
    ));
    common::write(dir, "not-a-stack.yml", "name: ci\non: push\n");
    files
}

fn expected(dir: &Path, format: Format) -> String {
    let outcome =
        swarmaudit::cli::scan_paths(&[dir.to_path_buf()], &[], &[], &Selection::default())
            .expect("scan");
    report::render(format, &outcome.report("swarmaudit"), false)
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Table => "table",
        Format::Json => "json",
        Format::Sarif => "sarif",
        Format::Github => "github",
    }
}

#[test]
fn streamed_output_is_the_report_rendered_at_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    corpus(tmp.path());
    // both sides scan the absolute directory from the repository root, so paths display alike
    let dir = tmp.path().to_path_buf();
    for format in [Format::Table, Format::Json, Format::Sarif, Format::Github] {
        let name = format_name(format);
        let out = run_in(
            &repo(),
            &[
                "scan",
                dir.to_str().expect("utf-8 path"),
                "--format",
                name,
                "--fail-on",
                "never",
            ],
        );
        // the broken file makes the audit incomplete: exit 2, the others still reported
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name}: {}",
            common::stderr(&out)
        );
        let want = expected(&dir, format);
        assert!(
            want.contains("SA101") && want.contains("0-broken.yml"),
            "{name}: the corpus must produce findings and an error:\n{want}"
        );
        assert_eq!(stdout(&out), want, "{name}: streamed output differs");
    }
}

#[test]
fn one_core_many_cores_and_argument_order_give_the_same_report() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut files = corpus(tmp.path());
    let args = |files: &[PathBuf]| -> Vec<String> {
        let mut a: Vec<String> = ["scan", "--format", "json", "--fail-on", "never"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(files.iter().map(|f| f.display().to_string()));
        a
    };
    let run = |args: &[String], one_core: bool| {
        let mut cmd = if one_core {
            let mut c = std::process::Command::new("taskset");
            c.args(["-c", "0", env!("CARGO_BIN_EXE_swarmaudit")]);
            c
        } else {
            common::bin()
        };
        let out = cmd.args(args).output().expect("run swarmaudit");
        assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
        stdout(&out)
    };
    let many = run(&args(&files), false);
    files.reverse();
    let reversed = run(&args(&files), false);
    assert_eq!(
        many, reversed,
        "the report follows paths, not argument order"
    );
    let taskset = std::process::Command::new("taskset")
        .args(["-c", "0", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if taskset {
        assert_eq!(many, run(&args(&files), true), "one core, same report");
    } else {
        eprintln!("taskset not available: the one-core run is skipped");
    }
    // findings of the files in path order
    let v: serde_json::Value = serde_json::from_str(&many).expect("json");
    let seen: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["file"].as_str().expect("file"))
        .collect();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
}
