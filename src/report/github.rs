//! GitHub Actions workflow commands (`::error file=…,line=…::message`).

use crate::finding::Severity;
use crate::report::{Reported, Tail};

/// Escaping rules of the workflow-command syntax: `%`, CR and LF in data; also `:` and `,` in
/// a property (`prop`). Appended to `out` in one pass (the escaped copies of every finding's
/// texts cost more than the rest of this format).
fn push_escaped(out: &mut String, s: &str, prop: bool) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let replacement = match b {
            b'%' => "%25",
            b'\r' => "%0D",
            b'\n' => "%0A",
            b':' if prop => "%3A",
            b',' if prop => "%2C",
            _ => continue,
        };
        // the escaped bytes are ASCII: `i` is a char boundary
        out.push_str(&s[last..i]);
        out.push_str(replacement);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s, false);
    out
}

fn escape_prop(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s, true);
    out
}

/// One workflow command per active finding.
pub fn chunk(findings: &[Reported]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut name = String::new();
    for r in findings.iter().filter(|r| r.suppressed.is_none()) {
        let f = &r.finding;
        let level = match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "notice",
        };
        out.push_str("::");
        out.push_str(level);
        let at = &r.at;
        if at.file.is_empty() {
            out.push_str(" title=");
        } else {
            out.push_str(" file=");
            push_escaped(&mut out, &at.file, true);
            // writing to a String cannot fail
            let _ = write!(
                out,
                ",line={},col={},endLine={},endColumn={},title=",
                at.line, at.column, at.end_line, at.end_column
            );
        }
        // `SA101 (high)`: rule ids and severities hold nothing to escape
        out.push_str(f.rule);
        out.push_str(" (");
        out.push_str(f.severity.as_str());
        out.push_str(")::");
        name.clear();
        f.object.write_qualified_name(&mut name);
        push_escaped(&mut out, &name, false);
        out.push_str(": ");
        push_escaped(&mut out, &r.message, false);
        out.push('\n');
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_the_workflow_command_syntax() {
        let text = "a%b\r\nc:d,e %0A ünï:,";
        assert_eq!(escape_data(text), "a%25b%0D%0Ac:d,e %250A ünï:,");
        assert_eq!(escape_prop(text), "a%25b%0D%0Ac%3Ad%2Ce %250A ünï%3A%2C");
        assert_eq!(escape_prop(""), "");
    }
}
