//! The one module that applies fixes: merge their structural ops, render edits, sort, skip
//! overlaps, apply, re-parse and re-scan, and repeat until nothing changes (at most
//! [`MAX_ROUNDS`]). A result that no longer loads is refused and nothing of it is written.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::engine::{self, Selection};
use crate::fix::build::{self, Built, Parsed};
use crate::fix::yaml_edit::{merge_entries, Doc, MapTarget, Op, RawEdit, SeqTarget, Y};
use crate::fix::{Applicability, Fix};
use crate::load::FileError;
use crate::model::interpolate::Env;
use crate::model::Deployment;
use crate::report::Reported;
use crate::source::{display_path, FileId, SourceFile, SourceMap};
use crate::yaml;

pub const MAX_ROUNDS: usize = 5;

/// One rendered edit and the fixes (indices) it carries.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub file: FileId,
    pub edit: RawEdit,
    pub fixes: Vec<usize>,
}

/// Render tagged ops (fix index, op) into edits: insertions into the same mapping or sequence
/// become one edit, insertions at the same offset are joined deepest first, identical
/// replacements (one anchor reached by several findings) count once.
/// Insertions into one mapping: target, merged entries, the fixes they come from.
/// (Borrowed until a second op for the same target makes a merged copy.)
type InsertGroup<'o> = ((FileId, MapTarget), Cow<'o, [(String, Y)]>, Vec<usize>);
/// Appends to one sequence: target, items, the fixes they come from.
type AppendGroup<'o> = ((FileId, SeqTarget), Cow<'o, [Y]>, Vec<usize>);

/// Whether [`render`] of these ops gives at least one edit, decided without rendering any:
/// the conditions under which `Doc::render_insert` and `Doc::render_append` give an edit.
pub fn renders_any(ops: &[Op], docs: &[Doc]) -> bool {
    let doc = |id: FileId| docs.iter().find(|d| d.file == id);
    ops.iter().any(|op| match op {
        Op::Replace { .. } => true,
        Op::Insert {
            file,
            target,
            entries,
        } => !entries.is_empty() && doc(*file).is_some_and(|d| d.can_insert(*target)),
        Op::Append {
            file,
            target,
            items,
        } => !items.is_empty() && doc(*file).is_some_and(|d| d.can_append(*target)),
    })
}

pub fn render(ops: &[(usize, &Op)], docs: &[Doc]) -> Vec<Rendered> {
    let mut inserts: Vec<InsertGroup> = vec![];
    let mut appends: Vec<AppendGroup> = vec![];
    let mut out: Vec<Rendered> = vec![];
    for &(ref fix, op) in ops {
        match op {
            Op::Replace {
                file,
                start,
                end,
                text,
            } => {
                let edit = RawEdit {
                    start: *start,
                    end: *end,
                    text: text.clone(),
                    depth: 0,
                };
                match out.iter_mut().find(|r| r.file == *file && r.edit == edit) {
                    Some(r) => r.fixes.push(*fix),
                    None => out.push(Rendered {
                        file: *file,
                        edit,
                        fixes: vec![*fix],
                    }),
                }
            }
            Op::Insert {
                file,
                target,
                entries,
            } => match inserts.iter_mut().find(|(k, _, _)| *k == (*file, *target)) {
                Some((_, e, fixes)) => {
                    let mut merged = std::mem::take(e).into_owned();
                    merge_entries(&mut merged, entries.clone());
                    *e = Cow::Owned(merged);
                    fixes.push(*fix);
                }
                None => inserts.push(((*file, *target), Cow::Borrowed(entries), vec![*fix])),
            },
            Op::Append {
                file,
                target,
                items,
            } => match appends.iter_mut().find(|(k, _, _)| *k == (*file, *target)) {
                Some((_, list, fixes)) => {
                    for it in items {
                        if !list.contains(it) {
                            list.to_mut().push(it.clone());
                        }
                    }
                    fixes.push(*fix);
                }
                None => appends.push(((*file, *target), Cow::Borrowed(items), vec![*fix])),
            },
        }
    }
    let doc = |id: FileId| docs.iter().find(|d| d.file == id);
    for ((file, target), entries, fixes) in inserts {
        if let Some(edit) = doc(file).and_then(|d| d.render_insert(target, &entries)) {
            out.push(Rendered { file, edit, fixes });
        }
    }
    for ((file, target), items, fixes) in appends {
        if let Some(edit) = doc(file).and_then(|d| d.render_append(target, &items)) {
            out.push(Rendered { file, edit, fixes });
        }
    }
    // insertions at one offset: the deeper block first, so each lands under its own parent
    out.sort_by(|a, b| {
        (
            a.file,
            a.edit.start,
            a.edit.end,
            std::cmp::Reverse(a.edit.depth),
        )
            .cmp(&(
                b.file,
                b.edit.start,
                b.edit.end,
                std::cmp::Reverse(b.edit.depth),
            ))
    });
    let mut merged: Vec<Rendered> = vec![];
    for r in out {
        match merged.last_mut() {
            Some(last)
                if last.file == r.file
                    && last.edit.start == last.edit.end
                    && r.edit.start == r.edit.end
                    && last.edit.start == r.edit.start
                    && last.edit.depth != usize::MAX
                    && r.edit.depth != usize::MAX =>
            {
                last.edit.text.push_str(&r.edit.text);
                last.fixes.extend(r.fixes);
            }
            _ => merged.push(r),
        }
    }
    merged
}

/// Apply edits to one text: sorted by position, an edit that overlaps one already taken is
/// skipped (a later round retries it). Returns the new text and which edits were applied.
pub fn apply_edits(text: &str, edits: &[RawEdit]) -> (String, Vec<bool>) {
    let mut order: Vec<usize> = (0..edits.len()).collect();
    order.sort_by_key(|&i| (edits[i].start, edits[i].end));
    let mut applied = vec![false; edits.len()];
    let mut out = String::with_capacity(text.len() + 256);
    let mut pos = 0;
    let mut last_insert_at = None;
    for i in order {
        let e = &edits[i];
        if e.start < pos || e.end > text.len() || e.start > e.end {
            continue;
        }
        if e.start == e.end && last_insert_at == Some(e.start) {
            continue; // two insertions at one place: order unknown, retry next round
        }
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.text);
        pos = e.end;
        if e.start == e.end {
            last_insert_at = Some(e.start);
        }
        applied[i] = true;
    }
    out.push_str(&text[pos..]);
    (out, applied)
}

/// A file being fixed.
#[derive(Debug, Clone)]
pub struct FileState {
    pub path: PathBuf,
    pub display: String,
    pub original: String,
    pub current: String,
}

/// A fix that was applied, for the report on stderr.
#[derive(Debug, Clone)]
pub struct Applied {
    pub finding: Reported,
    pub fix: Fix,
}

/// What fixing one stack produced.
#[derive(Debug, Default)]
pub struct StackFix {
    pub files: Vec<FileState>,
    pub applied: Vec<Applied>,
    /// Findings of the first scan (not suppressed).
    pub before: Vec<Reported>,
    /// Findings after fixing, with suppression problems (as `scan` reports them).
    pub after: Vec<Reported>,
    /// Fixes that need `--unsafe-fixes`.
    pub unsafe_skipped: Vec<Applied>,
    /// Suggestions that are never applied.
    pub suggestions: Vec<Applied>,
    /// Findings of fixable rules that got no fix, with the reason.
    pub no_fix: Vec<(Reported, String)>,
    /// The stack could not be read (as `scan` reports it).
    pub errors: Vec<FileError>,
    /// Why the fixed result was refused (it no longer loads); nothing of it is written.
    pub refused: Option<String>,
    /// Not a stack file (found by a directory walk): skipped silently.
    pub skipped: bool,
}

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > yaml::MAX_FILE_BYTES as u64 {
        return Err(format!(
            "file is {} bytes, larger than the {} byte limit for a stack file",
            meta.len(),
            yaml::MAX_FILE_BYTES
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "file is not valid UTF-8".to_string())
}

/// Load a stack from texts held in memory, as `crate::load::load_stack` loads it from disk
/// (YAML, interpolation, lowering, `-c` merge, the implicit default network).
pub fn load_texts(
    files: &[FileState],
    env: &Env,
) -> Result<(SourceMap, Deployment), Vec<FileError>> {
    let mut sources = SourceMap::default();
    let mut merged: Option<Deployment> = None;
    let mut workdir = PathBuf::from(".");
    let mut errors = vec![];
    for f in files {
        let source = SourceFile::new(f.path.clone(), f.current.clone());
        let id = FileId(sources.len() as u32);
        let root = yaml::load(id, &source);
        let at = |src: &SourceFile, off: usize| {
            let (l, c) = src.line_col(off);
            (Some(l), Some(c))
        };
        let mut root = match root {
            Ok(r) => r,
            Err(e) => {
                let (line, column) = e.offset.map_or((None, None), |o| at(&source, o));
                errors.push(FileError {
                    file: source.display.clone(),
                    line,
                    column,
                    message: e.message,
                });
                sources.add(source);
                continue;
            }
        };
        let id = sources.add(source);
        let src = sources.get(id);
        let mut d = match crate::load::lower_file(&mut root, src, env) {
            Ok(d) => d,
            Err(e) => {
                errors.extend(e);
                continue;
            }
        };
        match &mut merged {
            None => {
                d.stack = f
                    .path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let dotenv = src.dir().join(".env");
                if dotenv.is_file() {
                    d.dotenv = Some(dotenv);
                }
                workdir = src.dir().to_path_buf();
                merged = Some(d);
            }
            Some(m) => crate::model::merge::merge(m, d),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut d = merged.unwrap_or_default();
    crate::load::finish(&mut d, &workdir, env);
    Ok((sources, d))
}

/// Scan one loaded stack: findings with suppressions applied (and SA007 problems).
fn scan(
    d: &Deployment,
    sources: &SourceMap,
    selection: &Selection,
    config: &Config,
    used: &mut [usize],
) -> Vec<Reported> {
    let mut found: Vec<Reported> = engine::run_one(d, selection)
        .into_iter()
        .map(|f| Reported::new(f, sources))
        .collect();
    let problems = crate::suppress::apply(&mut found, d, sources, config, selection, used);
    found.extend(problems);
    crate::report::sort(&mut found);
    found
}

/// Why a fixed stack is refused: it no longer loads.
fn refusal(errors: &[FileError]) -> String {
    format!(
        "applying the fixes would leave an invalid stack ({}); nothing of it is written",
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    )
}

type Identity = (&'static str, crate::finding::ObjectKind, String, String);

fn identity(r: &Reported) -> Identity {
    (
        r.finding.rule,
        r.finding.object.kind,
        r.finding.object.name.clone(),
        r.finding.key.clone(),
    )
}

/// What to apply.
pub struct Options<'a> {
    pub selection: &'a Selection,
    pub config: &'a Config,
    pub env: &'a Env,
    pub unsafe_fixes: bool,
    /// Registry facts (`--resolve-images`): digests for SA501/SA502 pins, image configs.
    pub images: Option<&'a crate::registry::Resolver>,
}

/// Fix one stack (one file, or `-c` files merged) in memory.
pub fn fix_stack(paths: &[PathBuf], walked: bool, opts: &Options, used: &mut [usize]) -> StackFix {
    let mut out = StackFix::default();
    for p in paths {
        match read(p) {
            Ok(text) => out.files.push(FileState {
                path: p.clone(),
                display: display_path(p),
                original: text.clone(),
                current: text,
            }),
            Err(message) => {
                if !walked {
                    out.errors.push(FileError {
                        file: display_path(p),
                        line: None,
                        column: None,
                        message,
                    });
                }
                out.skipped = walked;
                return out;
            }
        }
    }
    if walked {
        // as a scan does: a walked file that is not a stack file is skipped silently
        let text = &out.files[0].current;
        let src = SourceFile::new(out.files[0].path.clone(), text.clone());
        let is_stack = match yaml::load(FileId(0), &src) {
            Ok(root) => root.get("services").is_some_and(|s| s.as_map().is_some()),
            Err(_) => text.lines().any(|l| l.trim_end() == "services:"),
        };
        if !is_stack {
            out.skipped = true;
            return out;
        }
    }
    let mut attempted: HashSet<Identity> = HashSet::new();
    let mut scratch = vec![0; used.len()];
    for round in 0..=MAX_ROUNDS {
        let (sources, d) = match load_texts(&out.files, opts.env) {
            Ok((sources, mut d)) => {
                if let Some(images) = opts.images {
                    crate::registry::annotate(&mut d, images);
                }
                (sources, d)
            }
            Err(errors) if round == 0 => {
                out.errors = errors;
                return out;
            }
            Err(errors) => {
                out.refused = Some(refusal(&errors));
                return out;
            }
        };
        let findings = scan(&d, &sources, opts.selection, opts.config, &mut scratch);
        if round == 0 {
            out.before = findings
                .iter()
                .filter(|r| r.suppressed.is_none())
                .cloned()
                .collect();
        }
        if round == MAX_ROUNDS {
            break;
        }
        let parsed = Parsed::new(&d, &sources);
        let cx = parsed.ctx(&d, &sources, &opts.selection.settings);
        let mut chosen: Vec<(Reported, Fix)> = vec![];
        for r in findings.iter().filter(|r| r.suppressed.is_none()) {
            if attempted.contains(&identity(r)) {
                continue;
            }
            match build::build(&r.finding, &cx) {
                Built::Fix(fix) => match fix.applicability {
                    Applicability::Safe => chosen.push((r.clone(), *fix)),
                    Applicability::Unsafe if opts.unsafe_fixes => chosen.push((r.clone(), *fix)),
                    Applicability::Unsafe => {
                        if round == 0 {
                            out.unsafe_skipped.push(Applied {
                                finding: r.clone(),
                                fix: *fix,
                            });
                        }
                    }
                    Applicability::Display => {
                        if round == 0 {
                            out.suggestions.push(Applied {
                                finding: r.clone(),
                                fix: *fix,
                            });
                        }
                    }
                },
                Built::NoFix(why) => {
                    if round == 0 {
                        out.no_fix.push((r.clone(), why));
                    }
                }
                Built::None => {}
            }
        }
        if chosen.is_empty() {
            break;
        }
        let tagged: Vec<(usize, &Op)> = chosen
            .iter()
            .enumerate()
            .flat_map(|(i, (_, f))| f.ops.iter().map(move |o| (i, o)))
            .collect();
        let rendered = render(&tagged, &cx.docs);
        let mut by_file: BTreeMap<FileId, Vec<usize>> = BTreeMap::new();
        for (i, r) in rendered.iter().enumerate() {
            by_file.entry(r.file).or_default().push(i);
        }
        let mut edit_applied = vec![false; rendered.len()];
        let mut changed = false;
        for (file, idx) in by_file {
            let edits: Vec<RawEdit> = idx.iter().map(|&i| rendered[i].edit.clone()).collect();
            let text = &sources.get(file).text;
            let (new, applied) = apply_edits(text, &edits);
            for (k, ok) in applied.into_iter().enumerate() {
                edit_applied[idx[k]] = ok;
            }
            if new != *text {
                changed = true;
                if let Some(state) = out.files.get_mut(file.0 as usize) {
                    state.current = new;
                }
            }
        }
        // a fix counts as applied when every edit that carries it was applied
        for (i, (r, fix)) in chosen.into_iter().enumerate() {
            let carriers: Vec<usize> = rendered
                .iter()
                .enumerate()
                .filter(|(_, x)| x.fixes.contains(&i))
                .map(|(k, _)| k)
                .collect();
            if !carriers.is_empty() && carriers.iter().all(|&k| edit_applied[k]) {
                attempted.insert(identity(&r));
                out.applied.push(Applied { finding: r, fix });
            }
        }
        if !changed {
            break;
        }
    }
    // the final state: must load; scanned once more for the exit status
    match load_texts(&out.files, opts.env) {
        Ok((sources, mut d)) => {
            if let Some(images) = opts.images {
                crate::registry::annotate(&mut d, images);
            }
            out.after = scan(&d, &sources, opts.selection, opts.config, used)
        }
        Err(errors) => {
            out.refused = Some(refusal(&errors));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_that_no_longer_loads_is_refused() {
        let state = |text: &str| FileState {
            path: "s.yml".into(),
            display: "s.yml".into(),
            original: "services:\n  web:\n    image: a\n".into(),
            current: text.into(),
        };
        let env = Env::empty();
        assert!(load_texts(&[state("services:\n  web:\n    image: a\n")], &env).is_ok());
        let broken = state("services:\n  web:\n    image: a\n    image: b\n");
        let errors = load_texts(&[broken], &env).expect_err("duplicate key");
        let why = refusal(&errors);
        assert!(why.contains("s.yml:4:5: duplicate key"), "{why}");
        assert!(why.ends_with("nothing of it is written"), "{why}");
    }

    #[test]
    fn overlapping_edits_are_skipped() {
        let e = |start, end, text: &str| RawEdit {
            start,
            end,
            text: text.into(),
            depth: 0,
        };
        let (out, applied) = apply_edits(
            "abcdef",
            &[
                e(1, 3, "X"),
                e(2, 4, "Y"),
                e(4, 4, "I"),
                e(4, 4, "J"),
                e(5, 6, ""),
            ],
        );
        assert_eq!(out, "aXdIe");
        assert_eq!(applied, vec![true, false, true, false, true]);
    }
}
