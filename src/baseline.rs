//! Baselines: `swarmaudit baseline > .swarmaudit-baseline.json` records the fingerprints of
//! today's findings; `scan --baseline FILE` then reports only findings not in it.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::Reported;

pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    pub rule_id: String,
    pub file: String,
    pub object: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

pub fn render(findings: &[Reported]) -> String {
    let b = Baseline {
        version: VERSION,
        findings: findings
            .iter()
            .filter(|r| r.suppressed.is_none())
            .map(|r| Entry {
                fingerprint: r.fingerprint.clone(),
                rule_id: r.finding.rule.to_string(),
                file: r.at.file.clone(),
                object: r.finding.object.qualified_name(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&b).unwrap_or_default() + "\n"
}

pub fn load(path: &Path) -> Result<HashSet<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read baseline: {e}", path.display()))?;
    let b: Baseline = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not a swarmaudit baseline: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if b.version != VERSION {
        return Err(format!(
            "{}: baseline version {} is not supported (expected {VERSION})",
            path.display(),
            b.version
        ));
    }
    Ok(b.findings.into_iter().map(|e| e.fingerprint).collect())
}
