//! Shared harness for the swarmaudit fuzz targets (see `fuzz/README.md`).
//!
//! * [`run_text`]: the in-memory loader pipeline (yaml → interpolate → lower → rules →
//!   location rendering) on one file.
//! * [`run_files`]: the whole file pipeline end to end (`load_all` on real temp files, all
//!   rules, `Reported::new`, sort, every reporter), several files merged as one stack.
//! * [`gen`]: a structure-aware generator of compose-shaped YAML (used by the `compose`
//!   target and by the `gen-seeds` binary that seeds the byte-level targets).
//!
//! Every location the pipeline hands to a reporter is checked: it must lie inside its file and
//! on UTF-8 character boundaries (a finding pointing elsewhere renders a wrong line:col).
//! Set `SWARMAUDIT_FUZZ_NO_SPAN_CHECK=1` to turn that check off and hunt for panics only.

pub mod gen;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use swarmaudit::engine::Selection;
use swarmaudit::model::interpolate::{interpolate_tree, Env};
use swarmaudit::model::Loc;
use swarmaudit::report::{self, Format, Report, Reported};
use swarmaudit::source::{FileId, SourceFile, SourceMap};
use swarmaudit::yaml::{Node, Span};

fn span_check_enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SWARMAUDIT_FUZZ_NO_SPAN_CHECK").is_none())
}

/// A few variables so that resolved, defaulted and unresolved templates all occur.
pub fn sample_env() -> Env {
    let mut env = Env::empty();
    env.set("FOO", "bar");
    env.set("EMPTY", "");
    env.set("PORT", "8080");
    env.set("TAG", "1.25-alpine");
    env.set("IMG", "nginx:latest");
    env.set("DB_PASSWORD", "s3cr3t-Pa55w0rd-not-real");
    env.set("URL", "postgres://user:hunter2hunter2@db:5432/app");
    env.set("MODE", "global");
    env.set("UNI", "ü€😀\t\r\n");
    env.set("DOLLAR", "$$ ${X}");
    env
}

fn check_span(what: &str, span: Span, sources: &SourceMap) {
    if !span_check_enabled() {
        return;
    }
    assert!(
        (span.file.0 as usize) < sources.len(),
        "{what}: span {span:?} names a file that is not loaded"
    );
    let text = &sources.get(span.file).text;
    assert!(
        span.start <= span.end,
        "{what}: span {span:?} ends before it starts"
    );
    assert!(
        (span.end as usize) <= text.len(),
        "{what}: span {span:?} lies outside the {}-byte file",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start as usize) && text.is_char_boundary(span.end as usize),
        "{what}: span {span:?} cuts a UTF-8 character in two"
    );
}

fn check_loc(what: &str, loc: &Loc, sources: &SourceMap) {
    if let Loc::File { span, def } = loc {
        check_span(what, *span, sources);
        if let Some(d) = def {
            check_span(what, *d, sources);
        }
    }
}

fn check_tree(node: &Node, sources: &SourceMap) {
    check_span("yaml node", node.span, sources);
    if let Some(d) = node.def {
        check_span("yaml node definition", d, sources);
    }
    if let Some(m) = node.as_map() {
        for (k, v) in m {
            check_tree(k, sources);
            check_tree(v, sources);
        }
    } else if let Some(s) = node.as_seq() {
        for x in s {
            check_tree(x, sources);
        }
    }
}

fn render_all(findings: &[Reported], errors: &[swarmaudit::load::FileError], scanned: usize, failed: usize) {
    let report = Report {
        findings,
        errors,
        files_scanned: scanned,
        files_failed: failed,
        in_baseline: 0,
        category: "fuzz",
    };
    for (format, color) in [
        (Format::Table, false),
        (Format::Table, true),
        (Format::Json, false),
        (Format::Sarif, false),
        (Format::Github, false),
    ] {
        let out = report::render(format, &report, color);
        std::hint::black_box(out);
    }
}

/// The in-memory loader pipeline of one file, as the brief lays it out, plus location
/// rendering of every finding and diagnostic.
pub fn run_text(text: &str, env: &Env) {
    let mut sources = SourceMap::default();
    let id = sources.add(SourceFile::new("fuzz.yml".into(), text.to_string()));
    let src = sources.get(id);
    let root = match swarmaudit::yaml::load(FileId(0), src) {
        Ok(r) => r,
        Err(e) => {
            if let Some(o) = e.offset {
                let _ = src.line_col(o);
            }
            return;
        }
    };
    check_tree(&root, &sources);
    let mut root = root;
    let mut uses = vec![];
    if let Err((span, msg)) = interpolate_tree(&mut root, env, &mut uses) {
        check_span("interpolation error", span, &sources);
        let _ = (src.line_col(span.start as usize), msg);
    }
    for u in &uses {
        check_span("unresolved variable use", u.node_span, &sources);
    }
    let lowered = swarmaudit::model::lower::lower(&root);
    for d in &lowered.diags {
        check_span("lowering diagnostic", d.span, &sources);
        let _ = src.line_col(d.span.start as usize);
    }
    let findings = swarmaudit::engine::run_one(&lowered.deployment, &Selection::default());
    let mut reported: Vec<Reported> = findings
        .into_iter()
        .map(|f| {
            check_loc("finding", &f.loc, &sources);
            Reported::new(f, &sources)
        })
        .collect();
    report::sort(&mut reported);
    std::hint::black_box(&reported);
}

/// [`run_text`] stage by stage, returning how long each stage took (for `repro --stages`).
pub fn time_stages(text: &str, env: &Env) -> Vec<(&'static str, std::time::Duration)> {
    use std::time::Instant;
    let mut out = vec![];
    let src = SourceFile::new("fuzz.yml".into(), text.to_string());
    let t = Instant::now();
    let root = swarmaudit::yaml::load(FileId(0), &src);
    out.push(("yaml::load", t.elapsed()));
    let Ok(mut root) = root else { return out };
    let t = Instant::now();
    let mut uses = vec![];
    let _ = interpolate_tree(&mut root, env, &mut uses);
    out.push(("interpolate_tree", t.elapsed()));
    let t = Instant::now();
    let lowered = swarmaudit::model::lower::lower(&root);
    out.push(("lower", t.elapsed()));
    let t = Instant::now();
    let findings = swarmaudit::engine::run_one(&lowered.deployment, &Selection::default());
    out.push(("engine::run_one", t.elapsed()));
    let mut sources = SourceMap::default();
    sources.add(src);
    let t = Instant::now();
    let n = findings.len();
    let mut reported: Vec<Reported> = findings.into_iter().map(|f| Reported::new(f, &sources)).collect();
    report::sort(&mut reported);
    out.push(("Reported::new + sort", t.elapsed()));
    let _ = n;
    out
}

/// A private scratch directory for this process.
fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // scripts/fuzz points SWARMAUDIT_FUZZ_TMP at a directory it removes afterwards
        let base = std::env::var_os("SWARMAUDIT_FUZZ_TMP")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let d = base.join(format!("swarmaudit-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("create scratch dir");
        d
    })
}

static ROUND: AtomicU64 = AtomicU64::new(0);

/// The whole file pipeline: the texts are written to temp files and loaded as ONE stack
/// (later files merged over earlier ones, as `-c a.yml -c b.yml` does); a second stack holds
/// the first file alone. Every finding is rendered by every reporter.
pub fn run_files(texts: &[&[u8]], env: &Env) {
    let dir = scratch_dir();
    // A fresh sub-directory per round would cost a syscall storm; reuse names instead.
    let _ = ROUND.fetch_add(1, Ordering::Relaxed);
    let mut paths = vec![];
    for (i, t) in texts.iter().enumerate() {
        let p = dir.join(format!("stack{i}.yml"));
        std::fs::write(&p, t).expect("write temp file");
        paths.push(p);
    }
    let mut stacks = vec![paths.clone()];
    let mut walked = vec![false];
    if paths.len() > 1 {
        stacks.push(vec![paths[0].clone()]);
        walked.push(true);
    }
    let loaded = swarmaudit::load::load_all(&stacks, &walked, env);
    for d in &loaded.stacks {
        for u in &d.unresolved {
            check_loc("unresolved variable", &u.loc, &loaded.sources);
        }
    }
    // as `swarmaudit check` does it: per stack, rules, location rendering, then inline and
    // label suppressions (which read the source text around each finding)
    let selection = Selection::default();
    let config = swarmaudit::config::Config::default();
    let mut reported: Vec<Reported> = vec![];
    for d in &loaded.stacks {
        let mut found: Vec<Reported> = swarmaudit::engine::run_one(d, &selection)
            .into_iter()
            .map(|f| {
                check_loc("finding", &f.loc, &loaded.sources);
                Reported::new(f, &loaded.sources)
            })
            .collect();
        let problems = swarmaudit::suppress::apply(
            &mut found,
            d,
            &loaded.sources,
            &config,
            &selection,
            &mut [],
        );
        reported.extend(found);
        reported.extend(problems);
    }
    report::sort(&mut reported);
    render_all(
        &reported,
        &loaded.errors,
        loaded.files_scanned,
        loaded.files_failed,
    );
}

/// Split a fuzz input into up to `max` files on NUL bytes (NUL is invalid in YAML anyway).
pub fn split_files(data: &[u8], max: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(max, |b| *b == 0).collect();
    if out.is_empty() {
        out.push(data);
    }
    out
}

/// The string detectors on arbitrary text, with the invariants their callers rely on.
pub fn run_detectors(text: &str) {
    use swarmaudit::detect::*;
    for d in find_credentials(text) {
        let secret = text
            .get(d.start..d.end)
            .unwrap_or_else(|| panic!("find_credentials range {}..{} is not a slice of the input", d.start, d.end));
        let _ = (d.kind.label(), d.kind.is_high_confidence(), mask(secret));
    }
    for d in find_high_entropy(text) {
        let secret = text
            .get(d.start..d.end)
            .unwrap_or_else(|| panic!("find_high_entropy range {}..{} is not a slice of the input", d.start, d.end));
        let _ = mask(secret);
    }
    for r in find_url_credentials(text) {
        let secret = text
            .get(r.clone())
            .unwrap_or_else(|| panic!("find_url_credentials range {r:?} is not a slice of the input"));
        let _ = mask(secret);
    }
    let _ = is_secret_name(text);
    let _ = is_non_secret_value(text);
    let _ = shannon_entropy(text);
    let m = mask(text);
    // the mask never shows more than two characters of the secret
    let shown: String = text.chars().take(2).collect();
    assert!(
        m.starts_with(&shown) || m.starts_with('…'),
        "mask({text:?}) = {m:?}"
    );
}
