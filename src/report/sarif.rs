//! SARIF 2.1.0 for code scanning: the whole catalog as `tool.driver.rules`, one result per
//! finding with a physical and a logical location and line-independent fingerprints.
//! The log around the results is serialised by serde_json from typed structs; the results,
//! most of the bytes, are written by hand ([`chunk`]) exactly as serde_json writes their typed
//! form (`SarifResult`, kept as the reference the tests compare with).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::report::pretty::Pretty;
use crate::report::{Reported, Resolved, Tail};
use crate::rules::catalog::{self, RuleMeta};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const FINGERPRINT_KEY: &str = "swarmaudit/v1";
pub const SRCROOT: &str = "%SRCROOT%";

/// Percent-encode a path for a URI reference, keeping `/`.
pub fn uri_encode(path: &str) -> String {
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

fn artifact(file: &str) -> ArtifactLocation {
    if file.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", uri_encode(file)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: uri_encode(file),
            uri_base_id: Some(SRCROOT),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

/// A finding's region, its end never before its start.
fn physical_region(r: &Resolved) -> Region {
    let start_line = r.line.max(1);
    let start_column = r.column.max(1);
    let end_line = r.end_line.max(start_line);
    let end_column = if end_line > start_line {
        r.end_column.max(1)
    } else {
        r.end_column.max(start_column)
    };
    Region {
        start_line,
        start_column,
        end_line: Some(end_line),
        end_column: Some(end_column),
    }
}

#[cfg(test)]
fn physical(r: &Resolved) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact(&r.file),
        region: Some(physical_region(r)),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    name: &'a str,
    kind: &'a str,
    fully_qualified_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation<'a>>,
}

#[derive(Serialize)]
struct Message<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    severity: &'a str,
    unknown: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'a str,
    message: Message<'a>,
    locations: Vec<Location<'a>>,
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
    properties: ResultProperties<'a>,
}

// --- fixes[]: the same edits `swarmaudit fix` applies (see crate::fix) ---

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    description: Message<'a>,
    artifact_changes: Vec<ArtifactChange<'a>>,
    properties: FixProperties,
}

#[derive(Serialize)]
struct FixProperties {
    applicability: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange<'a> {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: ByteRegion,
    #[serde(skip_serializing_if = "Option::is_none")]
    inserted_content: Option<Message<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ByteRegion {
    byte_offset: usize,
    byte_length: usize,
}

/// Applied fixes (safe or unsafe) as SARIF `fixes[]`, one artifact change per file.
#[cfg(test)]
fn fixes(r: &Reported) -> Vec<SarifFix<'_>> {
    let Some(fix) = r.fix.as_ref().filter(|f| f.available()) else {
        return vec![];
    };
    let mut changes: Vec<ArtifactChange> = vec![];
    for e in &fix.edits {
        let replacement = Replacement {
            deleted_region: ByteRegion {
                byte_offset: e.start,
                byte_length: e.end - e.start,
            },
            inserted_content: (!e.replacement.is_empty()).then_some(Message {
                text: &e.replacement,
            }),
        };
        match changes
            .iter_mut()
            .find(|c| c.artifact_location.uri == artifact(&e.file).uri)
        {
            Some(c) => c.replacements.push(replacement),
            None => changes.push(ArtifactChange {
                artifact_location: artifact(&e.file),
                replacements: vec![replacement],
            }),
        }
    }
    vec![SarifFix {
        description: Message { text: &fix.title },
        artifact_changes: changes,
        properties: FixProperties {
            applicability: fix.applicability.as_str(),
        },
    }]
}

/// SARIF's suppression kinds: a config exemption is `external`, the rest are in the file.
fn suppression_kind(s: &crate::report::Suppressed) -> &'static str {
    if s.kind == "external" {
        "external"
    } else {
        "inSource"
    }
}

#[derive(Serialize)]
struct SarifSuppression<'a> {
    kind: &'static str,
    status: &'static str,
    justification: &'a str,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Help<'a> {
    text: String,
    markdown: &'a str,
}

#[derive(Serialize)]
struct Level {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    tags: &'a [String],
    precision: &'static str,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Help<'a>,
    default_configuration: Level,
    properties: RuleProperties<'a>,
}

fn descriptor(m: &RuleMeta) -> Descriptor<'_> {
    Descriptor {
        id: &m.id,
        name: &m.name,
        short_description: Text { text: &m.title },
        full_description: Text { text: &m.summary },
        help: Help {
            text: m.help_text(),
            markdown: m.body.trim(),
        },
        default_configuration: Level {
            level: m.severity.sarif_level(),
        },
        properties: RuleProperties {
            tags: &m.tags,
            precision: "high",
            security_severity: m.security_severity.map(|s| format!("{s:.1}")),
        },
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
struct DescriptorRef {
    id: &'static str,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    message: Message<'a>,
    descriptor: DescriptorRef,
    locations: Vec<Location<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct UriBase {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    automation_details: AutomationDetails,
    column_kind: &'static str,
    original_uri_base_ids: BTreeMap<&'static str, UriBase>,
    // before `invocations`: the results are streamed, the invocation is known at the end
    results: Vec<SarifResult<'a>>,
    invocations: Vec<Invocation<'a>>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

/// The serde form of a result, which [`chunk`] writes by hand.
#[cfg(test)]
fn result<'a>(r: &'a Reported, rules: &[RuleMeta]) -> SarifResult<'a> {
    let f = &r.finding;
    SarifResult {
        rule_id: f.rule,
        rule_index: rules.iter().position(|m| m.id == f.rule),
        level: f.severity.sarif_level(),
        message: Message { text: &r.message },
        locations: vec![Location {
            physical_location: physical(&r.at),
            logical_locations: vec![LogicalLocation {
                name: &f.object.name,
                kind: f.object.kind.as_str(),
                fully_qualified_name: f.object.qualified_name(),
            }],
        }],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, r.fingerprint.as_str())]),
        suppressions: r
            .suppressed
            .iter()
            .map(|s| SarifSuppression {
                kind: suppression_kind(s),
                status: "accepted",
                justification: &s.reason,
            })
            .collect(),
        fixes: fixes(r),
        properties: ResultProperties {
            severity: f.severity.as_str(),
            unknown: f.unknown,
        },
    }
}

/// The log with an empty results array, cut at that array: (up to and including `[`, from `]`
/// on). The results are written between the two.
fn halves(t: &Tail) -> (String, String) {
    let rules = catalog::all();
    let notifications = t
        .errors
        .iter()
        .map(|e| Notification {
            level: "error",
            message: Message { text: &e.message },
            descriptor: DescriptorRef { id: "file-error" },
            locations: vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: artifact(&e.file),
                    region: e.line.map(|l| Region {
                        start_line: l.max(1),
                        start_column: e.column.unwrap_or(1).max(1),
                        end_line: None,
                        end_column: None,
                    }),
                },
                logical_locations: vec![],
            }],
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
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "swarmaudit",
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/swarmaudit/swarmaudit",
                    rules: rules.iter().map(descriptor).collect(),
                },
            },
            automation_details: AutomationDetails {
                id: format!("{}/", t.category.trim_end_matches('/')),
            },
            column_kind: "unicodeCodePoints",
            original_uri_base_ids: BTreeMap::from([(SRCROOT, UriBase { uri: cwd })]),
            results: vec![],
            invocations: vec![Invocation {
                execution_successful: t.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
        }],
    };
    let mut doc = serde_json::to_string_pretty(&log).unwrap_or_default();
    doc.push('\n');
    let marker = "\n      \"results\": [";
    let close = doc.find(marker).map_or(doc.len(), |at| at + marker.len());
    let tail = doc.split_off(close);
    (doc, tail)
}

pub fn head(category: &str) -> String {
    halves(&Tail::empty(category)).0
}

/// Findings as elements of the run's `results` array, joined by `,\n`: what serde_json writes
/// for `SarifResult`s (the test below holds the two together), by hand.
pub fn chunk(findings: &[Reported]) -> String {
    let rules: foldhash::HashMap<&str, usize> = catalog::all()
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i))
        .collect();
    let mut out = String::with_capacity(findings.len() * 1700);
    let mut w = Pretty::new(&mut out, 4);
    // the findings come file by file: each file's URI is encoded once
    let mut uris = Artifacts::default();
    let mut qualified = String::new();
    for r in findings {
        let f = &r.finding;
        w.outer_element().open_object();
        w.str_member("ruleId", f.rule);
        if let Some(&i) = rules.get(f.rule) {
            w.uint_member("ruleIndex", i);
        }
        w.str_member("level", f.severity.sarif_level());
        w.key("message")
            .open_object()
            .str_member("text", &r.message)
            .close_object();

        w.key("locations").open_array().element().open_object();
        w.key("physicalLocation").open_object();
        write_artifact(&mut w, uris.of(&r.at.file));
        let p = physical_region(&r.at);
        w.key("region")
            .open_object()
            .uint_member("startLine", p.start_line)
            .uint_member("startColumn", p.start_column)
            .uint_member("endLine", p.end_line.unwrap_or_default())
            .uint_member("endColumn", p.end_column.unwrap_or_default())
            .close_object();
        w.close_object();
        qualified.clear();
        f.object.write_qualified_name(&mut qualified);
        w.key("logicalLocations")
            .open_array()
            .element()
            .open_object()
            .str_member("name", &f.object.name)
            .str_member("kind", f.object.kind.as_str())
            .str_member("fullyQualifiedName", &qualified)
            .close_object()
            .close_array();
        w.close_object().close_array();

        w.key("partialFingerprints")
            .open_object()
            .str_member(FINGERPRINT_KEY, &r.fingerprint)
            .close_object();
        if let Some(s) = &r.suppressed {
            w.key("suppressions")
                .open_array()
                .element()
                .open_object()
                .str_member("kind", suppression_kind(s))
                .str_member("status", "accepted")
                .str_member("justification", &s.reason)
                .close_object()
                .close_array();
        }
        if let Some(fix) = r.fix.as_ref().filter(|f| f.available()) {
            write_fix(&mut w, fix, &mut uris);
        }
        w.key("properties")
            .open_object()
            .str_member("severity", f.severity.as_str())
            .bool_member("unknown", f.unknown)
            .close_object();
        w.close_object();
    }
    out
}

/// `fixes[]` with the fix's edits, one artifact change per file in the order the files first
/// appear (as [`fixes`] builds it).
fn write_fix(w: &mut Pretty, fix: &crate::fix::Fix, uris: &mut Artifacts) {
    w.key("fixes").open_array().element().open_object();
    w.key("description")
        .open_object()
        .str_member("text", &fix.title)
        .close_object();
    w.key("artifactChanges").open_array();
    for (i, e) in fix.edits.iter().enumerate() {
        if fix.edits[..i].iter().any(|d| d.file == e.file) {
            continue; // written with the first edit of its file
        }
        w.element().open_object();
        write_artifact(w, uris.of(&e.file));
        w.key("replacements").open_array();
        for e in fix.edits[i..].iter().filter(|d| d.file == e.file) {
            w.element().open_object();
            w.key("deletedRegion")
                .open_object()
                .uint_member("byteOffset", e.start)
                .uint_member("byteLength", e.end - e.start)
                .close_object();
            if !e.replacement.is_empty() {
                w.key("insertedContent")
                    .open_object()
                    .str_member("text", &e.replacement)
                    .close_object();
            }
            w.close_object();
        }
        w.close_array().close_object();
    }
    w.close_array();
    w.key("properties")
        .open_object()
        .str_member("applicability", fix.applicability.as_str())
        .close_object();
    w.close_object().close_array();
}

fn write_artifact(w: &mut Pretty, a: &ArtifactLocation) {
    w.key("artifactLocation")
        .open_object()
        .str_member("uri", &a.uri);
    if let Some(base) = a.uri_base_id {
        w.str_member("uriBaseId", base);
    }
    w.close_object();
}

/// The artifact location of the file last asked for, kept.
struct Artifacts {
    file: String,
    location: ArtifactLocation,
}

impl Default for Artifacts {
    fn default() -> Self {
        Artifacts {
            file: String::new(),
            location: artifact(""),
        }
    }
}

impl Artifacts {
    fn of(&mut self, file: &str) -> &ArtifactLocation {
        if self.file != file {
            self.file = file.to_string();
            self.location = artifact(file);
        }
        &self.location
    }
}

pub fn tail(t: &Tail) -> String {
    halves(t).1
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_are_written_as_serde_json_writes_them() {
        let findings = crate::report::sample_findings();
        let rules = super::catalog::all();
        let want =
            crate::report::pretty_elements(findings.iter().map(|r| super::result(r, rules)), 4);
        crate::report::assert_same_text(&super::chunk(&findings), &want);
        assert!(want.contains("\"fixes\"") && want.contains("\"suppressions\""));
        assert_eq!(super::chunk(&[]), "");
    }
}
