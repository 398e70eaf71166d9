//! JSON output, schema version 1 (documented in the README). The document around the findings
//! is serialised by serde_json from typed structs; the findings are written by hand ([`chunk`])
//! exactly as serde_json writes their typed form (`JsonFinding`, kept as the reference the
//! tests compare with).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::FileError;
use crate::report::pretty::{push_bool, push_escaped, push_uint};
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

fn fix_available(r: &Reported) -> bool {
    r.finding.fix_available || r.fix.as_ref().is_some_and(|f| f.available())
}

/// The serde form of a finding, which [`chunk`] writes by hand.
#[cfg(test)]
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
        fix_available: fix_available(r),
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

/// Findings as elements of the `findings` array, joined by `,\n`: what serde_json's pretty
/// printer writes for `JsonFinding`s (the test below holds the two together), by hand.
pub fn chunk(findings: &[Reported]) -> String {
    // A finding sits at a fixed depth (an element of the top-level `findings` array): each
    // member's line break, indentation and key is one constant.
    macro_rules! member {
        ($key:literal) => {
            concat!(",\n      \"", $key, "\": ")
        };
    }
    macro_rules! inner {
        ($key:literal) => {
            concat!(",\n        \"", $key, "\": ")
        };
    }
    let mut out = String::with_capacity(findings.len() * 700);
    let o = &mut out;
    for (i, r) in findings.iter().enumerate() {
        let f = &r.finding;
        o.push_str(if i == 0 { "" } else { ",\n" });
        o.push_str("    {\n      \"rule_id\": ");
        push_escaped(o, f.rule);
        o.push_str(member!("severity"));
        push_escaped(o, f.severity.as_str());
        o.push_str(member!("file"));
        push_escaped(o, &r.at.file);
        o.push_str(member!("line"));
        push_uint(o, r.at.line);
        o.push_str(member!("column"));
        push_uint(o, r.at.column);
        o.push_str(member!("end_line"));
        push_uint(o, r.at.end_line);
        o.push_str(member!("end_column"));
        push_uint(o, r.at.end_column);
        o.push_str(",\n      \"object\": {\n        \"kind\": ");
        push_escaped(o, f.object.kind.as_str());
        o.push_str(inner!("name"));
        push_escaped(o, &f.object.name);
        o.push_str("\n      }");
        o.push_str(member!("message"));
        push_escaped(o, &r.message);
        o.push_str(member!("fix_available"));
        push_bool(o, fix_available(r));
        o.push_str(member!("unknown"));
        push_bool(o, f.unknown);
        o.push_str(member!("fingerprint"));
        push_escaped(o, &r.fingerprint);
        if let Some(d) = &r.at.defined_at {
            o.push_str(member!("defined_at"));
            push_escaped(o, d);
        }
        if let Some(p) = &r.at.api_path {
            o.push_str(member!("api_path"));
            push_escaped(o, p);
        }
        o.push_str(member!("suppressed"));
        push_bool(o, r.suppressed.is_some());
        if let Some(s) = &r.suppressed {
            o.push_str(",\n      \"suppression\": {\n        \"kind\": ");
            push_escaped(o, s.kind);
            o.push_str(inner!("reason"));
            push_escaped(o, &s.reason);
            o.push_str(inner!("location"));
            push_escaped(o, &s.location);
            o.push_str("\n      }");
        }
        o.push_str("\n    }");
    }
    out
}

pub fn tail(t: &Tail) -> String {
    halves(t).1
}

#[cfg(test)]
mod tests {
    #[test]
    fn findings_are_written_as_serde_json_writes_them() {
        let findings = crate::report::sample_findings();
        let want = crate::report::pretty_elements(findings.iter().map(|r| super::finding(r)), 2);
        let got = super::chunk(&findings);
        crate::report::assert_same_text(&got, &want);
        assert_eq!(super::chunk(&[]), "");
    }
}
