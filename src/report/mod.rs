//! Reporters: table, json, sarif, github. Machine formats go to stdout only.

pub mod github;
pub mod json;
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
    /// The message with the anchor definition site appended when relevant.
    pub message: String,
    /// The fix for this finding, when one is known (see `crate::fix`).
    pub fix: Option<crate::fix::Fix>,
    /// Why this finding is accepted, when a suppression covers it (it stays visible).
    pub suppressed: Option<Suppressed>,
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
    pub fn new(finding: Finding, sources: &SourceMap) -> Self {
        let at = resolve(&finding.loc, sources);
        let fingerprint = finding.fingerprint(&at.file);
        let message = full_message(&finding, &at);
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
    // borrowed keys: cloning every fingerprint into the map cost more than the sort
    let mut seen: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(items.len());
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
    let mut ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
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

/// Message with the anchor definition site appended when relevant.
pub fn full_message(f: &Finding, r: &Resolved) -> String {
    match &r.defined_at {
        Some(d) => format!(
            "{} (value inherited from an anchor defined at {d})",
            f.message
        ),
        None => f.message.clone(),
    }
}

/// Active (not suppressed) findings by severity.
pub fn counts(findings: &[Reported]) -> Vec<(Severity, usize)> {
    Severity::ALL
        .iter()
        .map(|s| {
            let n = findings
                .iter()
                .filter(|f| f.suppressed.is_none() && f.finding.severity == *s)
                .count();
            (*s, n)
        })
        .collect()
}

pub fn render(format: Format, report: &Report, color: bool) -> String {
    match format {
        Format::Table => table::render(report, color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
    }
}

#[cfg(test)]
mod tests {
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
