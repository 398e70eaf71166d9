//! Suppressions with reasons: inline comments, service labels (also live: stack deploy turns
//! `deploy.labels` into service labels) and config exemptions. Suppressed findings stay in the
//! report, marked; suppressions that are unused, name unknown rules, lack a reason or have
//! expired are reported as SA007.

use std::sync::LazyLock;

use regex::Regex;

use crate::config::{Config, Exemption};
use crate::engine::Selection;
use crate::finding::{Finding, ObjectKind, ObjectRef};
use crate::model::{Deployment, Loc};
use crate::report::{Reported, Resolved, Suppressed};
use crate::rules::catalog;
use crate::source::SourceMap;

pub const META_RULE: &str = "SA007";
pub const LABEL: &str = "swarmaudit.ignore";
pub const LABEL_REASON: &str = "swarmaudit.ignore.reason";

static INLINE: LazyLock<Regex> = LazyLock::new(|| {
    // `# swarmaudit:ignore SA101, SA203 -- reason`; a further `# comment` without `--` is no reason
    Regex::new(r"#\s*swarmaudit:ignore\b[ \t]*([A-Za-z0-9][A-Za-z0-9, \t]*?)?[ \t]*(?:--[ \t]*(.*?)|#.*)?[ \t]*$")
        .expect("constant regex")
});

/// One suppression found in a stack (inline or label).
#[derive(Debug, Clone)]
struct Local {
    kind: &'static str,
    rules: Vec<String>,
    reason: Option<String>,
    /// Findings on these lines of this file are covered …
    file: String,
    lines: Vec<usize>,
    /// … or every finding of this service.
    service: Option<String>,
    at: Resolved,
    used: bool,
}

fn rule_matches(rules: &[String], id: &str) -> bool {
    rules.iter().any(|r| id.starts_with(r.as_str()))
}

fn known_rule(r: &str) -> bool {
    catalog::all().iter().any(|m| m.id.starts_with(r))
}

fn meta(message: String, at: Resolved, key: String) -> Option<Reported> {
    let m = catalog::find(META_RULE)?;
    let mut finding = Finding {
        rule: m.id_static(),
        severity: m.severity,
        message,
        loc: Loc::Api {
            object: "suppression".into(),
            path: key.clone(),
        },
        object: ObjectRef::new(ObjectKind::Stack, "suppressions"),
        unknown: false,
        key,
        fix_available: false,
    };
    let fingerprint = finding.fingerprint(&at.file);
    Some(Reported {
        message: std::mem::take(&mut finding.message),
        finding,
        at,
        fingerprint,
        fix: None,
        suppressed: None,
    })
}

fn point(file: &str, line: usize, column: usize) -> Resolved {
    Resolved {
        file: file.to_string(),
        line,
        column,
        end_line: line,
        end_column: column,
        ..Resolved::default()
    }
}

/// Inline comments of every file of the stack, and `swarmaudit.ignore` labels of its services.
fn collect(d: &Deployment, sources: &SourceMap) -> Vec<Local> {
    let mut out = vec![];
    for &fid in &d.files {
        let src = sources.get(fid);
        // one search of the whole text: most files have no suppression comment, and searching
        // line by line set up a substring searcher for every line of every file
        if !src.text.contains("swarmaudit:ignore") {
            continue;
        }
        let lines: Vec<&str> = src.text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(pos) = line.find("swarmaudit:ignore") else {
                continue;
            };
            let Some(hash) = line[..pos].rfind('#') else {
                continue;
            };
            let Some(c) = INLINE.captures(&line[hash..]) else {
                continue;
            };
            let rules: Vec<String> = c
                .get(1)
                .map(|m| {
                    m.as_str()
                        .split([',', ' ', '\t'])
                        .filter(|s| !s.is_empty())
                        .map(|s| s.to_ascii_uppercase())
                        .collect()
                })
                .unwrap_or_default();
            let reason = c
                .get(2)
                .map(|m| m.as_str().trim().to_string())
                .filter(|r| !r.is_empty());
            let own = i + 1;
            let trailing = !line[..hash].trim().is_empty();
            // a full-line comment covers the next line that holds YAML
            let covered = if trailing {
                own
            } else {
                (i + 1..lines.len())
                    .find(|&j| {
                        let t = lines[j].trim();
                        !t.is_empty() && !t.starts_with('#')
                    })
                    .map_or(own, |j| j + 1)
            };
            let service = d.services.iter().find_map(|s| {
                let span = s.loc.span()?;
                (span.file == fid && src.line_col(span.start as usize).0 == covered)
                    .then(|| s.name.clone())
            });
            out.push(Local {
                kind: "inline",
                rules,
                reason,
                file: src.display.clone(),
                lines: vec![covered],
                service,
                at: point(&src.display, own, hash + 1),
                used: false,
            });
        }
    }
    for s in &d.services {
        let Some(label) = s.deploy.labels.iter().find(|l| l.key == LABEL) else {
            continue;
        };
        let rules = label
            .value
            .as_ref()
            .map(|v| {
                v.text
                    .split([',', ' '])
                    .filter(|x| !x.is_empty())
                    .map(|x| x.to_ascii_uppercase())
                    .collect()
            })
            .unwrap_or_default();
        let reason = s
            .deploy
            .labels
            .iter()
            .find(|l| l.key == LABEL_REASON)
            .and_then(|l| l.value.as_ref())
            .map(|v| v.text.trim().to_string())
            .filter(|r| !r.is_empty());
        let at = crate::report::resolve(&label.loc, sources);
        out.push(Local {
            kind: "label",
            rules,
            reason,
            file: at.file.clone(),
            lines: vec![],
            service: Some(s.name.clone()),
            at,
            used: false,
        });
    }
    out
}

fn covers(l: &Local, r: &Reported) -> bool {
    if !rule_matches(&l.rules, r.finding.rule) || r.finding.rule == META_RULE {
        return false;
    }
    match &l.service {
        Some(name) => {
            r.finding.object.kind == ObjectKind::Service && &r.finding.object.name == name
        }
        None => r.at.file == l.file && l.lines.contains(&r.at.line),
    }
}

fn exemption_covers(e: &Exemption, r: &Reported, stack: &str) -> bool {
    rule_matches(&e.rules, r.finding.rule)
        && r.finding.rule != META_RULE
        && (e.paths.is_empty()
            || e.paths.iter().any(|g| {
                globset::Glob::new(g)
                    .map(|g| g.compile_matcher().is_match(&r.at.file))
                    .unwrap_or(false)
            }))
        && e.stack.as_deref().is_none_or(|s| s == stack)
        && e.service.as_deref().is_none_or(|s| {
            r.finding.object.kind == ObjectKind::Service
                && (r.finding.object.name == s || r.finding.object.full_name.as_deref() == Some(s))
        })
}

/// Apply inline and label suppressions and config exemptions to one stack's findings; report
/// problems with inline/label suppressions. `used` counts config exemption matches (by index).
pub fn apply(
    findings: &mut [Reported],
    d: &Deployment,
    sources: &SourceMap,
    config: &Config,
    selection: &Selection,
    used: &mut [usize],
) -> Vec<Reported> {
    let mut locals = collect(d, sources);
    let today = crate::config::today();
    for r in findings.iter_mut() {
        if let Some(l) = locals
            .iter_mut()
            .find(|l| l.reason.is_some() && covers(l, r))
        {
            l.used = true;
            r.suppressed = Some(Box::new(Suppressed {
                kind: if l.kind == "inline" {
                    "inSource"
                } else {
                    "label"
                },
                reason: l.reason.clone().unwrap_or_default(),
                location: format!("{}:{}", l.at.file, l.at.line),
            }));
            continue;
        }
        for (i, e) in config.exemptions.iter().enumerate() {
            if e.expires.is_some_and(|x| x < today) || !exemption_covers(e, r, &d.stack) {
                continue;
            }
            used[i] += 1;
            r.suppressed = Some(Box::new(Suppressed {
                kind: "external",
                reason: e.reason.clone(),
                location: e.location.clone(),
            }));
            break;
        }
    }
    if !selection.enabled(META_RULE) {
        return vec![];
    }
    let mut out = vec![];
    for l in &locals {
        let what = if l.kind == "inline" {
            "`# swarmaudit:ignore` comment"
        } else {
            "`swarmaudit.ignore` label"
        };
        let key = format!(
            "{}:{}:{}",
            l.kind,
            l.service.as_deref().unwrap_or(""),
            l.rules.join(",")
        );
        if l.rules.is_empty() {
            out.extend(meta(
                format!("{what} names no rule id (write e.g. `swarmaudit:ignore SA101 -- reason`)"),
                l.at.clone(),
                key,
            ));
            continue;
        }
        let unknown: Vec<&String> = l.rules.iter().filter(|r| !known_rule(r)).collect();
        if !unknown.is_empty() {
            out.extend(meta(
                format!(
                    "{what} names unknown rule id(s) {}",
                    unknown
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                l.at.clone(),
                format!("{key}#unknown"),
            ));
        }
        if l.reason.is_none() {
            let how = if l.kind == "inline" {
                "add `-- <reason>` after the rule ids"
            } else {
                "add a `swarmaudit.ignore.reason` label"
            };
            out.extend(meta(
                format!("{what} has no reason, so it suppresses nothing: {how}"),
                l.at.clone(),
                format!("{key}#reason"),
            ));
        } else if !l.used && l.rules.iter().any(|r| selection.enabled(r)) && unknown.is_empty() {
            out.extend(meta(
                format!(
                    "unused {what} for {}: no such finding here any more; remove it",
                    l.rules.join(", ")
                ),
                l.at.clone(),
                format!("{key}#unused"),
            ));
        }
    }
    out
}

/// After all stacks: config exemptions that expired or matched nothing.
pub fn config_problems(config: &Config, used: &[usize], selection: &Selection) -> Vec<Reported> {
    if !selection.enabled(META_RULE) {
        return vec![];
    }
    let today = crate::config::today();
    let mut out = vec![];
    for (i, e) in config.exemptions.iter().enumerate() {
        let at = point(&config.display, e.line, 1);
        let key = format!(
            "exemption:{}:{}",
            e.rules.join(","),
            e.service.as_deref().unwrap_or("")
        );
        if let Some((y, m, d)) = e.expires.filter(|x| *x < today) {
            out.extend(meta(
                format!("exemption for {} expired on {y:04}-{m:02}-{d:02}: the findings it covered are reported again; renew it with a reason or fix them", e.rules.join(", ")),
                at,
                format!("{key}#expired"),
            ));
        } else if used.get(i).copied().unwrap_or(0) == 0
            && e.rules.iter().any(|r| selection.enabled(r))
        {
            out.extend(meta(
                format!(
                    "unused exemption for {}: it matches no finding; remove it",
                    e.rules.join(", ")
                ),
                at,
                format!("{key}#unused"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::INLINE;

    #[test]
    fn inline_syntax() {
        let c = INLINE
            .captures("# swarmaudit:ignore SA101, SA203 -- runs as root by design")
            .expect("match");
        assert_eq!(c.get(1).map(|m| m.as_str()), Some("SA101, SA203"));
        assert_eq!(c.get(2).map(|m| m.as_str()), Some("runs as root by design"));
        let c = INLINE.captures("#swarmaudit:ignore SA104").expect("match");
        assert_eq!(c.get(1).map(|m| m.as_str()), Some("SA104"));
        assert!(c.get(2).is_none());
    }
}
