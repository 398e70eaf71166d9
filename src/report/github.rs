//! GitHub Actions workflow commands (`::error file=…,line=…::message`).

use crate::finding::Severity;
use crate::report::{Reported, Tail};

/// Escaping rules of the workflow-command syntax.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command per active finding.
pub fn chunk(findings: &[Reported]) -> String {
    let mut out = String::new();
    for r in findings.iter().filter(|r| r.suppressed.is_none()) {
        let f = &r.finding;
        let level = match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "notice",
        };
        let title = format!("{} ({})", f.rule, f.severity);
        let msg = format!("{}: {}", f.object.qualified_name(), r.message);
        let at = &r.at;
        if at.file.is_empty() {
            out.push_str(&format!(
                "::{level} title={}::{}\n",
                escape_prop(&title),
                escape_data(&msg)
            ));
        } else {
            out.push_str(&format!(
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                escape_prop(&at.file),
                at.line,
                at.column,
                at.end_line,
                at.end_column,
                escape_prop(&title),
                escape_data(&msg)
            ));
        }
    }
    out
}

/// One error command per file that could not be audited.
pub fn tail(t: &Tail) -> String {
    let mut out = String::new();
    for e in t.errors {
        let mut props = format!("file={}", escape_prop(&e.file));
        if let Some(l) = e.line {
            props.push_str(&format!(",line={l}"));
        }
        if let Some(c) = e.column {
            props.push_str(&format!(",col={c}"));
        }
        out.push_str(&format!(
            "::error {props},title=swarmaudit could not audit this file::{}\n",
            escape_data(&e.message)
        ));
    }
    out
}
