//! JSON output, schema version 1 (documented in the README).

use serde_json::{json, Value};

use crate::report::{counts, full_message, resolve, Report};

pub const SCHEMA_VERSION: u32 = 1;

pub fn to_value(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let r = resolve(&f.loc, report.sources);
            let mut v = json!({
                "rule_id": f.rule,
                "severity": f.severity.as_str(),
                "file": r.file,
                "line": r.line,
                "column": r.column,
                "end_line": r.end_line,
                "end_column": r.end_column,
                "object": {"kind": f.object.kind.as_str(), "name": f.object.name},
                "message": full_message(f, &r),
                "fix_available": f.fix_available,
                "unknown": f.unknown,
                "fingerprint": f.fingerprint(&r.file),
            });
            if let Some(d) = &r.defined_at {
                v["defined_at"] = json!(d);
            }
            if let Some(p) = &r.api_path {
                v["api_path"] = json!(p);
            }
            v
        })
        .collect();
    let errors: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({"file": e.file, "line": e.line, "column": e.column, "message": e.message}))
        .collect();
    let by_severity: serde_json::Map<String, Value> = counts(report.findings)
        .into_iter()
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect();
    json!({
        "version": SCHEMA_VERSION,
        "tool": {"name": "swarmaudit", "version": env!("CARGO_PKG_VERSION")},
        "findings": findings,
        "errors": errors,
        "summary": {
            "findings": report.findings.len(),
            "by_severity": by_severity,
            "files_scanned": report.files_scanned,
            "files_failed": report.files_failed,
        }
    })
}

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report)).unwrap_or_default();
    s.push('\n');
    s
}
