//! Rule metadata parsed from the TOML front matter of `rules/*.md`.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::finding::Severity;
use crate::rules::RULES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FixKind {
    None,
    Safe,
    Unsafe,
    Display,
}

#[derive(Debug, Deserialize)]
struct FrontMatter {
    id: String,
    name: String,
    title: String,
    severity: String,
    security_severity: Option<f64>,
    targets: Vec<String>,
    fix: FixKind,
    tags: Vec<String>,
    references: Vec<String>,
    summary: String,
}

#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub id: String,
    pub name: String,
    pub title: String,
    pub severity: Severity,
    pub security_severity: Option<f64>,
    pub targets: Vec<String>,
    pub fix: FixKind,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub summary: String,
    /// The Markdown after the front matter.
    pub body: &'static str,
    id_static: &'static str,
}

impl RuleMeta {
    pub fn id_static(&self) -> &'static str {
        self.id_static
    }

    /// The text under a `## heading`, up to the next heading of that level.
    pub fn section(&self, heading: &str) -> Option<&'static str> {
        let marker = format!("## {heading}");
        let start = self.body.find(&marker)? + marker.len();
        let rest = &self.body[start..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        Some(rest[..end].trim())
    }

    /// Plain-text help: why, remediation (for SARIF `help.text` and the terminal).
    pub fn help_text(&self) -> String {
        format!(
            "{}\n\nWhy is this bad?\n{}\n\nRemediation\n{}",
            self.summary,
            self.section("Why is this bad?").unwrap_or(""),
            self.section("Remediation").unwrap_or("")
        )
    }
}

/// Split a rule document into front matter and body.
pub fn parse(doc: &'static str) -> Result<RuleMeta, String> {
    let rest = doc
        .strip_prefix("+++\n")
        .ok_or("rule doc must start with a `+++` front matter line")?;
    let end = rest
        .find("\n+++\n")
        .ok_or("unterminated `+++` front matter")?;
    let fm: FrontMatter = toml::from_str(&rest[..end]).map_err(|e| e.to_string())?;
    let severity =
        Severity::parse(&fm.severity).ok_or_else(|| format!("bad severity `{}`", fm.severity))?;
    let id_static: &'static str = Box::leak(fm.id.clone().into_boxed_str());
    Ok(RuleMeta {
        id: fm.id,
        name: fm.name,
        title: fm.title,
        severity,
        security_severity: fm.security_severity,
        targets: fm.targets,
        fix: fm.fix,
        tags: fm.tags,
        references: fm.references,
        summary: fm.summary,
        body: &rest[end + 5..],
        id_static,
    })
}

/// Metadata of every rule, in registry order. The docs are compiled in and checked by tests.
pub fn all() -> &'static [RuleMeta] {
    static CATALOG: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        RULES
            .iter()
            .map(|r| match parse(r.doc) {
                Ok(m) => m,
                // The docs are constants compiled into the binary; tests/catalog.rs lints them.
                Err(e) => panic!("invalid rule documentation: {e}"),
            })
            .collect()
    })
}

pub fn find(id: &str) -> Option<&'static RuleMeta> {
    all().iter().find(|m| m.id.eq_ignore_ascii_case(id))
}
