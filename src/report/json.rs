//! JSON output, schema version 1 (documented in the README), serialised straight from typed
//! structs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::FileError;
use crate::report::{Reported, Tail};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Object<'a> {
    kind: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    severity: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    object: Object<'a>,
    message: &'a str,
    fix_available: bool,
    unknown: bool,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    defined_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_path: Option<&'a str>,
    suppressed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<&'a crate::report::Suppressed>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    findings: usize,
    suppressed: usize,
    in_baseline: usize,
    by_severity: BTreeMap<&'static str, usize>,
    files_scanned: usize,
    files_failed: usize,
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    errors: &'a [FileError],
    summary: Summary,
}

fn finding(r: &Reported) -> JsonFinding<'_> {
    JsonFinding {
        rule_id: r.finding.rule,
        severity: r.finding.severity.as_str(),
        file: &r.at.file,
        line: r.at.line,
        column: r.at.column,
        end_line: r.at.end_line,
        end_column: r.at.end_column,
        object: Object {
            kind: r.finding.object.kind.as_str(),
            name: &r.finding.object.name,
        },
        message: &r.message,
        fix_available: r.finding.fix_available || r.fix.as_ref().is_some_and(|f| f.available()),
        unknown: r.finding.unknown,
        fingerprint: &r.fingerprint,
        defined_at: r.at.defined_at.as_deref(),
        api_path: r.at.api_path.as_deref(),
        suppressed: r.suppressed.is_some(),
        suppression: r.suppressed.as_deref(),
    }
}

/// The document with an empty findings array, cut at that array: (up to and including `[`,
/// from `]` on). The findings are written between the two.
fn halves(t: &Tail) -> (String, String) {
    let doc = Document {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "swarmaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: vec![],
        errors: t.errors,
        summary: Summary {
            findings: t.totals.active(),
            suppressed: t.totals.suppressed,
            in_baseline: t.in_baseline,
            by_severity: t
                .totals
                .counts()
                .into_iter()
                .map(|(s, n)| (s.as_str(), n))
                .collect(),
            files_scanned: t.files_scanned,
            files_failed: t.files_failed,
        },
    };
    let mut doc = serde_json::to_string_pretty(&doc).unwrap_or_default();
    doc.push('\n');
    let close = doc
        .find("\n  \"findings\": []")
        .map_or(doc.len(), |at| at + "\n  \"findings\": [".len());
    let tail = doc.split_off(close);
    (doc, tail)
}

pub fn head() -> String {
    halves(&Tail::empty("")).0
}

/// Findings as elements of the `findings` array, joined by `,\n`.
pub fn chunk(findings: &[Reported]) -> String {
    crate::report::pretty_elements(findings.iter().map(|r| finding(r)), 2)
}

pub fn tail(t: &Tail) -> String {
    halves(t).1
}
