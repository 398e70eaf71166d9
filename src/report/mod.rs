//! Reporters: table, json, sarif, github. Machine formats go to stdout only.

pub mod github;
pub mod json;
mod pretty;
pub mod sarif;
pub mod table;

use crate::finding::{Finding, Severity};
use crate::load::FileError;
use crate::model::Loc;
use crate::source::SourceMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Github,
}

/// A finding with its location rendered, ready for every reporter.
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    pub finding: Finding,
    pub at: Resolved,
    /// Line-independent identity of the finding (see [`Finding::fingerprint`]).
    pub fingerprint: String,
    /// The finding's message (moved here from `finding.message`, which is left empty) with
    /// the anchor definition site appended when relevant.
    pub message: String,
    /// The fix for this finding, when one is known (see `crate::fix`). Boxed, like
    /// `suppressed`: most findings have neither, and findings are moved as they are collected
    /// and sorted.
    pub fix: Option<Box<crate::fix::Fix>>,
    /// Why this finding is accepted, when a suppression covers it (it stays visible).
    pub suppressed: Option<Box<Suppressed>>,
}

/// A finding covered by a suppression: still reported, marked, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suppressed {
    /// `inline`, `label` or `config`.
    pub kind: &'static str,
    pub reason: String,
    /// Where the suppression is written (`file:line` or a label/config path).
    pub location: String,
}

impl Reported {
    pub fn new(mut finding: Finding, sources: &SourceMap) -> Self {
        let at = resolve(&finding.loc, sources);
        let fingerprint = finding.fingerprint(&at.file);
        // moved, not copied: the report reads `message`, never `finding.message`
        let mut message = std::mem::take(&mut finding.message);
        if let Some(d) = &at.defined_at {
            message.push_str(&format!(" (value inherited from an anchor defined at {d})"));
        }
        Reported {
            finding,
            at,
            fingerprint,
            message,
            fix: None,
            suppressed: None,
        }
    }
}

/// Deterministic order: file, position, rule, object, key. Findings that share a fingerprint
/// (the same unset variable used twice in one file) get an ordinal suffix in file order, so
/// code scanning keeps them apart.
pub fn sort(items: &mut [Reported]) {
    sort_only(items);
    number_repeated_fingerprints(items);
}

/// The second and later findings with one fingerprint get `-2`, `-3`, … in order.
pub fn number_repeated_fingerprints(items: &mut [Reported]) {
    // borrowed keys: cloning every fingerprint into the map cost more than the sort
    let mut seen: foldhash::HashMap<&str, usize> = foldhash::HashMapExt::with_capacity(items.len());
    let mut repeated: Vec<(usize, usize)> = vec![];
    for (i, r) in items.iter().enumerate() {
        let n = seen.entry(r.fingerprint.as_str()).or_insert(0);
        *n += 1;
        if *n > 1 {
            repeated.push((i, *n));
        }
    }
    for (i, n) in repeated {
        if let Some(r) = items.get_mut(i) {
            r.fingerprint = format!("{}-{}", r.fingerprint, n);
        }
    }
}

/// The order of [`sort`] without the fingerprint ordinals (for one stack's findings, sorted again
/// with all the others: a sort of sorted runs is cheap).
pub fn sort_only(items: &mut [Reported]) {
    // Rank the distinct files once and sort small keys: comparing long, equal paths of large
    // findings (scattered in memory) took longer than the rest of the sort. Then move each
    // finding once.
    let mut names: Vec<&str> = vec![];
    let mut ids: foldhash::HashMap<&str, u32> = foldhash::HashMapExt::new();
    let mut provisional: Vec<u32> = Vec::with_capacity(items.len());
    let mut last: Option<(&str, u32)> = None;
    for r in items.iter() {
        let file = r.at.file.as_str();
        let id = match last {
            Some((f, id)) if f == file => id,
            _ => *ids.entry(file).or_insert_with(|| {
                names.push(file);
                (names.len() - 1) as u32
            }),
        };
        last = Some((file, id));
        provisional.push(id);
    }
    let mut by_name: Vec<u32> = (0..names.len() as u32).collect();
    by_name.sort_by_key(|&i| names[i as usize]);
    let mut rank = vec![0u32; names.len()];
    for (r, &id) in by_name.iter().enumerate() {
        rank[id as usize] = r as u32;
    }
    let mut keys: Vec<(u32, usize, &str, usize)> = items
        .iter()
        .zip(&provisional)
        .enumerate()
        .map(|(i, (r, &id))| (rank[id as usize], r.at.byte_offset, r.finding.rule, i))
        .collect();
    keys.sort_by(|a, b| {
        (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)).then_with(|| {
            let (x, y) = (&items[a.3].finding, &items[b.3].finding);
            (&x.object, &x.key).cmp(&(&y.object, &y.key))
        })
    });
    let mut order: Vec<usize> = keys.into_iter().map(|k| k.3).collect();
    permute(items, &mut order);
}

/// `f` over `pieces` on all cores ([`crate::par::ordered`]); the results in the order of the
/// pieces. Reporters render tens of thousands of findings this way.
pub(crate) fn par_map<T: Sync, R: Send>(pieces: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let mut out = Vec::with_capacity(pieces.len());
    crate::par::ordered(pieces.len(), |i| f(&pieces[i]), |r| out.push(r));
    out
}

/// Sorted findings cut into pieces of at least `min` findings, never inside one file's run
/// (the table draws one table per file).
fn file_pieces(findings: &[Reported], min: usize) -> Vec<&[Reported]> {
    let mut pieces = vec![];
    let mut start = 0;
    for i in 1..=findings.len() {
        let boundary = i == findings.len() || findings[i].at.file != findings[i - 1].at.file;
        if boundary && (i - start >= min || i == findings.len()) {
            pieces.push(&findings[start..i]);
            start = i;
        }
    }
    pieces
}

/// Pretty JSON of each of `values`, joined by `,\n`, as serde_json's pretty printer writes the
/// elements of an array at `depth` (two spaces per level): the elements of a document's large
/// array rendered on their own, in parallel, and put in place (see [`Streamer`]). The reports
/// write them by hand ([`pretty::Pretty`]); this is the reference their tests compare with.
#[cfg(test)]
pub(crate) fn pretty_elements<T: serde::Serialize>(
    values: impl Iterator<Item = T>,
    depth: usize,
) -> String {
    let mut buf: Vec<u8> = Vec::new();
    for (i, v) in values.enumerate() {
        if i > 0 {
            buf.extend_from_slice(b",\n");
        }
        for _ in 0..depth {
            buf.extend_from_slice(b"  ");
        }
        let mut ser = serde_json::Serializer::with_formatter(
            &mut buf,
            Indented {
                level: depth,
                has_value: false,
            },
        );
        // serialising into memory fails only on a value serde_json cannot represent, which our
        // reporter structs do not hold
        let _ = v.serialize(&mut ser);
    }
    String::from_utf8(buf).unwrap_or_default()
}

/// serde_json's `PrettyFormatter` (two spaces) starting at an indentation level.
#[cfg(test)]
struct Indented {
    level: usize,
    has_value: bool,
}

#[cfg(test)]
impl Indented {
    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }
    /// Two spaces per level, in one write (SARIF nests results eight levels deep: a write per
    /// level cost as much as the keys).
    fn indent<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8; 64] =
            b"                                                                ";
        let mut n = 2 * self.level;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }
    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(c)
    }
    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(c)
    }
}

#[cfg(test)]
impl serde_json::ser::Formatter for Indented {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Rearrange `items` so that position `i` holds what was at `order[i]` (cycle by cycle).
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut i = start;
        while order[i] != start {
            let next = order[i];
            items.swap(i, next);
            order[i] = i;
            i = next;
        }
        order[i] = i;
    }
}

/// Everything a reporter needs.
pub struct Report<'a> {
    pub findings: &'a [Reported],
    pub errors: &'a [FileError],
    pub files_scanned: usize,
    pub files_failed: usize,
    /// Findings left out because their fingerprints are in the `--baseline`.
    pub in_baseline: usize,
    /// SARIF `automationDetails.id` category.
    pub category: &'a str,
}

/// A location rendered for output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Display path of the file (relative to the working directory when below it).
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub byte_offset: usize,
    pub byte_length: usize,
    /// `file:line:col` of the definition when the value came through an anchor or merge key.
    pub defined_at: Option<String>,
    /// API path for live objects.
    pub api_path: Option<String>,
}

pub fn resolve(loc: &Loc, sources: &SourceMap) -> Resolved {
    match loc {
        Loc::File { span, def } => {
            let f = sources.get(span.file);
            let (line, column) = f.line_col(span.start as usize);
            let (end_line, end_column) = f.line_col(span.end as usize);
            let defined_at = def.map(|d| {
                let df = sources.get(d.file);
                let (l, c) = df.line_col(d.start as usize);
                format!("{}:{l}:{c}", df.display)
            });
            Resolved {
                file: f.display.clone(),
                line,
                column,
                end_line,
                end_column,
                byte_offset: span.start as usize,
                byte_length: (span.end - span.start) as usize,
                defined_at,
                api_path: None,
            }
        }
        Loc::Api { object, path } => Resolved {
            file: String::new(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            byte_offset: 0,
            byte_length: 0,
            defined_at: None,
            api_path: Some(format!("{object} › {path}")),
        },
    }
}

/// What a summary and the gate need of the findings reported so far, added up stack by stack
/// when the report is written as the stacks are audited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Active findings per severity, in the order of [`Severity::ALL`].
    pub active: [usize; 5],
    pub suppressed: usize,
}

impl Totals {
    pub fn of(findings: &[Reported]) -> Self {
        let mut t = Totals::default();
        for r in findings {
            if r.suppressed.is_some() {
                t.suppressed += 1;
            } else if let Some(i) = Severity::ALL.iter().position(|s| *s == r.finding.severity) {
                t.active[i] += 1;
            }
        }
        t
    }
    pub fn add(&mut self, other: &Totals) {
        for (a, b) in self.active.iter_mut().zip(other.active) {
            *a += b;
        }
        self.suppressed += other.suppressed;
    }
    pub fn active(&self) -> usize {
        self.active.iter().sum()
    }
    pub fn counts(&self) -> Vec<(Severity, usize)> {
        Severity::ALL.iter().copied().zip(self.active).collect()
    }
    /// Is there an active finding at or above `t`?
    pub fn any_at_or_above(&self, t: Severity) -> bool {
        Severity::ALL
            .iter()
            .zip(self.active)
            .any(|(s, n)| *s >= t && n > 0)
    }
}

/// Everything after the findings: what a report's closing part (summary, errors) needs.
pub struct Tail<'a> {
    pub totals: Totals,
    pub errors: &'a [FileError],
    pub files_scanned: usize,
    pub files_failed: usize,
    pub in_baseline: usize,
    pub category: &'a str,
}

impl<'a> Tail<'a> {
    /// Nothing found, nothing failed (the parts of a report before its findings do not depend
    /// on what its tail says).
    pub fn empty(category: &'a str) -> Self {
        Tail {
            totals: Totals::default(),
            errors: &[],
            files_scanned: 0,
            files_failed: 0,
            in_baseline: 0,
            category,
        }
    }
}

impl Report<'_> {
    pub fn tail(&self) -> Tail<'_> {
        Tail {
            totals: Totals::of(self.findings),
            errors: self.errors,
            files_scanned: self.files_scanned,
            files_failed: self.files_failed,
            in_baseline: self.in_baseline,
            category: self.category,
        }
    }
}

/// A report is written in three parts so that it can be streamed: [`head`], the findings of
/// each stack as it is audited ([`chunk`]), and [`tail`] once everything is known. Between
/// them go the separators of [`Framing`]. [`render`] writes all three at once, and a streamed
/// report is byte for byte the same.
pub fn head(format: Format, category: &str) -> String {
    match format {
        Format::Table | Format::Github => String::new(),
        Format::Json => json::head(),
        Format::Sarif => sarif::head(category),
    }
}

/// The findings of one part of the report (one stack's, in their order).
pub fn chunk(format: Format, findings: &[Reported], color: bool) -> String {
    match format {
        Format::Table => table::chunk(findings, color, table::terminal_width()),
        Format::Json => json::chunk(findings),
        Format::Sarif => sarif::chunk(findings),
        Format::Github => github::chunk(findings),
    }
}

pub fn tail(format: Format, t: &Tail) -> String {
    match format {
        Format::Table => table::tail(t),
        Format::Json => json::tail(t),
        Format::Sarif => sarif::tail(t),
        Format::Github => github::tail(t),
    }
}

/// Separators between the parts: before the first non-empty chunk, between chunks, and after
/// the last one (JSON arrays need commas and a closing indentation).
pub struct Framing {
    pub first: &'static str,
    pub between: &'static str,
    pub close: &'static str,
}

pub fn framing(format: Format) -> Framing {
    match format {
        Format::Table | Format::Github => Framing {
            first: "",
            between: "",
            close: "",
        },
        Format::Json => Framing {
            first: "\n",
            between: ",\n",
            close: "\n  ",
        },
        Format::Sarif => Framing {
            first: "\n",
            between: ",\n",
            close: "\n      ",
        },
    }
}

/// Writes a report part by part, with the separators between non-empty chunks.
pub struct Streamer {
    format: Format,
    any: bool,
}

impl Streamer {
    /// The head of the report and a streamer for its chunks.
    pub fn start(format: Format, category: &str) -> (Self, String) {
        (Streamer { format, any: false }, head(format, category))
    }
    /// The separator to write before a chunk rendered by [`chunk`] (written apart from the
    /// chunk: SARIF chunks run to megabytes, not worth copying to put a comma in front).
    pub fn separator(&mut self, rendered: &str) -> &'static str {
        if rendered.is_empty() {
            return "";
        }
        let f = framing(self.format);
        let sep = if self.any { f.between } else { f.first };
        self.any = true;
        sep
    }
    pub fn finish(self, t: &Tail) -> String {
        let mut s = String::new();
        if self.any {
            s.push_str(framing(self.format).close);
        }
        s.push_str(&tail(self.format, t));
        s
    }
}

pub fn render(format: Format, report: &Report, color: bool) -> String {
    let (mut stream, mut out) = Streamer::start(format, report.category);
    // the findings in pieces on all cores, joined in order
    let pieces = par_map(&file_pieces(report.findings, 1024), |piece| {
        chunk(format, piece, color)
    });
    for p in pieces {
        out.push_str(stream.separator(&p));
        out.push_str(&p);
    }
    out.push_str(&stream.finish(&report.tail()));
    out
}

/// Findings to hold the hand-written reporters against their serde forms: every fixture's and
/// example's findings with their fixes' edits, and copies of some with everything optional set
/// and texts that need escaping.
#[cfg(test)]
pub(crate) fn sample_findings() -> Vec<Reported> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let scanned = crate::cli::scan_paths(
        &[root.join("fixtures"), root.join("examples")],
        &[],
        &[],
        &crate::engine::Selection::default(),
    )
    .expect("fixtures scan");
    let mut all = scanned.findings;
    assert!(all.len() > 500, "{} findings", all.len());
    assert!(all.iter().any(|r| r.suppressed.is_some()));
    assert!(all.iter().any(|r| r.at.defined_at.is_some()));
    let with_fix: Vec<Reported> = all
        .iter()
        .filter(|r| r.fix.as_ref().is_some_and(|f| f.available()))
        .take(20)
        .cloned()
        .collect();
    assert!(!with_fix.is_empty());
    let odd = "quote \" back\\slash \u{1}\u{8}\t\n\u{c}\r\u{1f}\u{7f} ünï → 😀 /";
    for (i, mut r) in with_fix.into_iter().enumerate() {
        r.message = format!("{odd} {}", r.message);
        r.at.file = format!("/abs path/{i}%/{odd}.yml");
        r.at.defined_at = Some(format!("{odd}:1:2"));
        r.at.api_path = (i % 2 == 0).then(|| format!("service {odd} › Spec"));
        r.finding.object.name = format!("svc {odd}");
        r.finding.unknown = i % 3 == 0;
        r.suppressed = (i % 2 == 1).then(|| {
            Box::new(Suppressed {
                kind: if i % 4 == 1 { "external" } else { "inline" },
                reason: format!("accepted: {odd}"),
                location: format!("{odd}:3"),
            })
        });
        if let Some(fix) = r.fix.as_mut() {
            fix.title = format!("{odd} {}", fix.title);
            let mut more = fix.edits.clone();
            for (j, e) in more.iter_mut().enumerate() {
                e.replacement = if j % 2 == 0 {
                    String::new()
                } else {
                    odd.into()
                };
                if i % 3 == 1 {
                    e.file = format!("other {odd}.yml");
                }
            }
            fix.edits.extend(more);
        }
        all.push(r);
    }
    all
}

/// `got == want`, or a panic showing where they part.
#[cfg(test)]
pub(crate) fn assert_same_text(got: &str, want: &str) {
    if got != want {
        let at = got
            .bytes()
            .zip(want.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        let around = |s: &str| {
            let b = s.as_bytes();
            String::from_utf8_lossy(&b[at.saturating_sub(300)..(at + 200).min(b.len())])
                .into_owned()
        };
        panic!(
            "differ at byte {at}:\n--- got\n{}\n--- want\n{}",
            around(got),
            around(want)
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn elements_render_as_serde_json_renders_them_inside_a_document() {
        let items = vec![
            serde_json::json!({"a": [], "b": {}, "c": [1, {"d": [[], [2]], "e": "x\ny"}], "f": null}),
            serde_json::json!([]),
            serde_json::json!({"g": {"h": {"i": [true, false]}}}),
        ];
        for depth in 0..5 {
            // the same items as an array nested `depth - 1` levels deep in a document
            let mut doc = serde_json::Value::Array(items.clone());
            for _ in 1..depth.max(1) {
                doc = serde_json::json!({ "k": doc });
            }
            let whole = serde_json::to_string_pretty(&doc).unwrap();
            let elements = super::pretty_elements(items.iter(), depth.max(1));
            assert!(
                whole.contains(&format!("[\n{elements}\n")),
                "depth {depth}:\n{whole}\n---\n{elements}"
            );
        }
    }

    #[test]
    fn permute_moves_every_item_to_its_place() {
        for order in [
            vec![2, 0, 1, 4, 3],
            vec![0, 1, 2],
            vec![4, 3, 2, 1, 0],
            vec![],
        ] {
            let items: Vec<char> = "abcde".chars().take(order.len()).collect();
            let want: Vec<char> = order.iter().map(|&i| items[i]).collect();
            let mut got = items.clone();
            super::permute(&mut got, &mut order.clone());
            assert_eq!(got, want, "{order:?}");
        }
    }
}
