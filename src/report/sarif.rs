//! SARIF 2.1.0 for code scanning: the whole catalog as `tool.driver.rules`, one result per
//! finding with a physical and a logical location and line-independent fingerprints.

use serde_json::{json, Value};

use crate::finding::Finding;
use crate::report::{full_message, resolve, Report, Resolved};
use crate::rules::catalog;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const FINGERPRINT_KEY: &str = "swarmaudit/v1";

/// Percent-encode a path for a URI reference, keeping `/`.
fn uri_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn artifact(file: &str) -> Value {
    if file.starts_with('/') {
        json!({"uri": format!("file://{}", uri_encode(file))})
    } else {
        json!({"uri": uri_encode(file), "uriBaseId": "%SRCROOT%"})
    }
}

fn physical(r: &Resolved) -> Value {
    json!({
        "artifactLocation": artifact(&r.file),
        "region": {
            "startLine": r.line.max(1),
            "startColumn": r.column.max(1),
            "endLine": r.end_line.max(r.line).max(1),
            "endColumn": if r.end_line > r.line { r.end_column.max(1) } else { r.end_column.max(r.column).max(1) },
        }
    })
}

fn rule_descriptor(m: &catalog::RuleMeta) -> Value {
    let mut props = json!({
        "tags": m.tags,
        "precision": "high",
    });
    if let Some(s) = m.security_severity {
        props["security-severity"] = json!(format!("{s:.1}"));
    }
    json!({
        "id": m.id,
        "name": m.name,
        "shortDescription": {"text": m.title},
        "fullDescription": {"text": m.summary},
        "help": {"text": m.help_text(), "markdown": m.body.trim()},
        "defaultConfiguration": {"level": m.severity.sarif_level()},
        "properties": props,
    })
}

fn result(f: &Finding, report: &Report) -> Value {
    let r = resolve(&f.loc, report.sources);
    let index = catalog::all().iter().position(|m| m.id == f.rule);
    let mut v = json!({
        "ruleId": f.rule,
        "level": f.severity.sarif_level(),
        "message": {"text": full_message(f, &r)},
        "locations": [{
            "physicalLocation": physical(&r),
            "logicalLocations": [{
                "name": f.object.name,
                "kind": f.object.kind.as_str(),
                "fullyQualifiedName": f.object.qualified_name(),
            }]
        }],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint(&r.file)},
        "properties": {"severity": f.severity.as_str(), "unknown": f.unknown},
    });
    if let Some(i) = index {
        v["ruleIndex"] = json!(i);
    }
    v
}

pub fn to_value(report: &Report) -> Value {
    let rules: Vec<Value> = catalog::all().iter().map(rule_descriptor).collect();
    let results: Vec<Value> = report.findings.iter().map(|f| result(f, report)).collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut n = json!({
                "level": "error",
                "message": {"text": e.message},
                "descriptor": {"id": "file-error"},
            });
            let mut loc = json!({"artifactLocation": artifact(&e.file)});
            if let Some(l) = e.line {
                loc["region"] =
                    json!({"startLine": l.max(1), "startColumn": e.column.unwrap_or(1).max(1)});
            }
            n["locations"] = json!([{"physicalLocation": loc}]);
            n
        })
        .collect();
    let cwd = std::env::current_dir()
        .map(|p| {
            let mut s = uri_encode(&p.to_string_lossy());
            if !s.ends_with('/') {
                s.push('/');
            }
            format!("file://{s}")
        })
        .unwrap_or_else(|_| "file:///".into());
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "swarmaudit",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/swarmaudit/swarmaudit",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"uri": cwd}},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    })
}

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report)).unwrap_or_default();
    s.push('\n');
    s
}
