//! Select rules, run them over every deployment, order the findings.

use crate::finding::Finding;
use crate::model::Deployment;
use crate::rules::{catalog, Sink, RULES};
use crate::source::SourceMap;

/// `--select` / `--ignore`: rule ids or id prefixes such as `SA2`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    /// Every entry must name at least one rule.
    pub fn validate(&self) -> Result<(), String> {
        for s in self.select.iter().chain(&self.ignore) {
            let up = s.to_ascii_uppercase();
            if !catalog::all().iter().any(|m| m.id.starts_with(&up)) {
                return Err(format!(
                    "`{s}` matches no rule id (see `swarmaudit rules`); use an id such as SA101 or a family prefix such as SA2"
                ));
            }
        }
        Ok(())
    }

    pub fn enabled(&self, id: &str) -> bool {
        let m = |p: &String| id.starts_with(&p.to_ascii_uppercase());
        (self.select.is_empty() || self.select.iter().any(m)) && !self.ignore.iter().any(m)
    }
}

pub fn run(stacks: &[Deployment], selection: &Selection, sources: &SourceMap) -> Vec<Finding> {
    let mut out = vec![];
    for d in stacks {
        for (rule, meta) in RULES.iter().zip(catalog::all()) {
            if selection.enabled(&meta.id) {
                let mut sink = Sink::new(meta, &mut out);
                (rule.check)(d, &mut sink);
            }
        }
    }
    sort(&mut out, sources);
    out.dedup_by(|a, b| {
        a.rule == b.rule && a.loc == b.loc && a.key == b.key && a.object == b.object
    });
    out
}

/// Deterministic order: file, position, rule.
pub fn sort(findings: &mut [Finding], sources: &SourceMap) {
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            let (file, off) = match f.loc.span() {
                Some(s) => (sources.get(s.file).display.clone(), s.start),
                None => (String::new(), 0),
            };
            (file, off, f.rule, f.object.clone(), f.key.clone())
        };
        key(a).cmp(&key(b))
    });
}
