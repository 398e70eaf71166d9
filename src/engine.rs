//! Select rules, run them over every deployment, order the findings.

use crate::finding::Finding;
use crate::model::Deployment;
use crate::rules::{catalog, Sink, RULES};

/// Which rules run and how: `--select` / `--ignore` (rule ids or id prefixes such as `SA2`),
/// plus the config file's switches, severity overrides and settings.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Rules switched off in the config file.
    pub disabled: Vec<String>,
    /// Severity overrides from the config file (exact ids or prefixes).
    pub severity: Vec<(String, crate::finding::Severity)>,
    pub settings: crate::config::Settings,
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
        (self.select.is_empty() || self.select.iter().any(m))
            && !self.ignore.iter().any(m)
            && !self.disabled.iter().any(m)
    }
}

/// Run the selected rules over one deployment. Findings come unsorted (see
/// [`crate::report::sort`]); duplicates (same rule, place, object and key) are removed.
pub fn run_one(d: &Deployment, selection: &Selection) -> Vec<Finding> {
    let mut out = vec![];
    // a rule runs where its documentation says it applies: stack files, live swarms, or both
    // (host rules: a host-only scan, or the hosts of a live scan)
    let targets: &[&str] = if d.host_only {
        &["host"]
    } else if d.live {
        &["live", "host"]
    } else {
        &["stack"]
    };
    for (rule, meta) in RULES.iter().zip(catalog::all()) {
        if selection.enabled(&meta.id) && meta.targets.iter().any(|t| targets.contains(&t.as_str()))
        {
            let mut sink = Sink::new(meta, &mut out, &selection.settings);
            (rule.check)(d, &mut sink);
        }
    }
    for f in &mut out {
        // the most specific override wins
        if let Some((_, sev)) = selection
            .severity
            .iter()
            .filter(|(id, _)| f.rule.starts_with(id.as_str()))
            .max_by_key(|(id, _)| id.len())
        {
            f.severity = *sev;
        }
    }
    // borrowed keys and a fast hash: cloning each finding's keys into a SipHash set took a
    // fifth of the rules' time
    let keep: Vec<bool> = {
        let mut seen: foldhash::HashSet<(
            &str,
            &crate::model::Loc,
            &crate::finding::ObjectRef,
            &str,
        )> = foldhash::HashSetExt::with_capacity(out.len());
        out.iter()
            .map(|f| seen.insert((f.rule, &f.loc, &f.object, f.key.as_str())))
            .collect()
    };
    let mut keep = keep.into_iter();
    out.retain(|_| keep.next().unwrap_or(true));
    out
}

/// Run the selected rules over several deployments.
pub fn run(stacks: &[Deployment], selection: &Selection) -> Vec<Finding> {
    stacks.iter().flat_map(|d| run_one(d, selection)).collect()
}
