//! Fixes are values: byte-range edits built by YAML-aware helpers, applied by one module.
//!
//! - [`yaml_edit`]: the only way a fix changes text (set a scalar, remove a key with its lines,
//!   insert keys under a mapping in its own block or flow style, create missing parents).
//! - [`build`]: one fix per finding, from the model and the file's spanned tree.
//! - [`apply`]: sort, skip overlaps, apply, re-parse, re-scan, repeat until stable.
//! - [`diff`]: unified diffs `git apply` and `patch -p1` accept.
//! - [`cli`]: `swarmaudit fix`; [`live`]: the reviewable shell script of `fix --live`.

pub mod apply;
pub mod build;
pub mod cli;
pub mod diff;
pub mod live;
pub mod yaml_edit;

use serde::Serialize;

use crate::model::Deployment;
use crate::report::Reported;
use crate::source::SourceMap;

/// Defaults for values a fix has to choose. The config file's `settings.fix` overrides the
/// user and the limits (`crate::config::Settings`); these are the built-in values.
pub mod defaults {
    pub const USER: &str = "10001:10001";
    pub const MEMORY: &str = "512M";
    pub const CPUS: &str = "0.50";
    pub const PIDS: u32 = 200;
    /// Name of the Docker secret SA401's fix creates (the seed's convention).
    pub const SECRET_NAME: &str = "%SERVICE%_%SECRETNAME%";
    pub const UPDATE_PARALLELISM: &str = "1";
    pub const UPDATE_DELAY: &str = "10s";
    pub const UPDATE_MONITOR: &str = "30s";
    pub const ROLLBACK_PARALLELISM: &str = "1";
    pub const ROLLBACK_FAILURE_ACTION: &str = "pause";
    pub const ROLLBACK_MONITOR: &str = "30s";
    pub const RESTART_CONDITION: &str = "on-failure";
    pub const RESTART_MAX_ATTEMPTS: &str = "3";
    pub const RESTART_DELAY: &str = "5s";
    pub const RESTART_WINDOW: &str = "120s";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Changes only the flagged key of one object to a value the rule's remediation names.
    Safe,
    /// Needs a chosen value, reaches a shared anchor, or changes behaviour notably.
    Unsafe,
    /// Shown as a suggestion only, never applied.
    Display,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::Display => "suggestion",
        }
    }
}

/// Replace `start..end` (bytes) of `file` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// Display path of the file (as in findings).
    pub file: String,
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What the fix changes and why; unsafe fixes say what behaviour may change.
    pub title: String,
    /// Built for [`Detail::Availability`], an edit of a shared anchor is not yet marked unsafe
    /// (nor named in the title): only [`Fix::available`] may be read of such a fix.
    pub applicability: Applicability,
    /// This fix alone, rendered on the file as it is (empty when built for
    /// [`Detail::Availability`]).
    pub edits: Vec<Edit>,
    /// The fix changes the file: it renders to at least one edit (known without rendering).
    #[serde(skip)]
    pub renders: bool,
    /// Unsafe fixes: what behaviour may change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    /// What to do by hand (a `docker secret create` to run, services a shared anchor affects).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The structural changes the edits come from; `apply` merges them across fixes.
    #[serde(skip)]
    pub ops: Vec<yaml_edit::Op>,
}

impl Fix {
    /// Offered to users as a fix (JSON `fix_available`, SARIF `fixes[]`): it changes the file
    /// and is not a suggestion only.
    pub fn available(&self) -> bool {
        self.applicability != Applicability::Display && self.renders
    }
}

/// How much of each finding's fix a report needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Whether there is one that changes the file (JSON `fix_available`): each fix is built
    /// but its edits are not rendered, which was most of the cost, nor are the services that
    /// share an edited anchor named in its title and risk.
    Availability,
    /// Its edits (SARIF `fixes[]`).
    Edits,
}

/// Attach a fix to every finding of `d` that has one (for SARIF `fixes[]` and JSON
/// `fix_available`). The files must still hold their text.
pub fn attach(
    findings: &mut [Reported],
    d: &Deployment,
    sources: &SourceMap,
    settings: &crate::config::Settings,
    trees: Vec<(crate::source::FileId, crate::yaml::Node)>,
    detail: Detail,
) {
    if d.live || !findings.iter().any(|r| build::has_fix(r.finding.rule)) {
        return;
    }
    let parsed = build::Parsed::from_trees(d, trees);
    let mut cx = parsed.ctx(d, sources, settings);
    cx.render_edits = detail == Detail::Edits;
    for r in findings.iter_mut() {
        if let build::Built::Fix(f) = build::build(&r.finding, &cx) {
            r.fix = Some(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fix of one stack file, built to `detail`: (rule, offset, renders, edits,
    /// available).
    fn fixes_of(
        path: &std::path::Path,
        detail: Detail,
    ) -> Vec<(&'static str, usize, bool, usize, bool)> {
        let mut loaded = crate::load::Loaded {
            keep_trees: true,
            ..crate::load::Loaded::default()
        };
        let env = crate::model::interpolate::Env::empty();
        crate::load::load_stack(&mut loaded, &[path.to_path_buf()], false, &env);
        let selection = crate::engine::Selection::default();
        let mut out = vec![];
        for d in &loaded.stacks {
            let mut found: Vec<Reported> = crate::engine::run_one(d, &selection)
                .into_iter()
                .map(|f| Reported::new(f, &loaded.sources))
                .collect();
            let trees = std::mem::take(&mut loaded.trees);
            attach(
                &mut found,
                d,
                &loaded.sources,
                &selection.settings,
                trees,
                detail,
            );
            out.extend(found.iter().filter_map(|r| {
                let f = r.fix.as_ref()?;
                Some((
                    r.finding.rule,
                    r.at.byte_offset,
                    f.renders,
                    f.edits.len(),
                    f.available(),
                ))
            }));
        }
        out
    }

    /// JSON's `fix_available` comes from fixes built without their edits: they must say that
    /// a fix renders exactly when rendering it gives edits, on every fix of every fixture.
    #[test]
    fn availability_agrees_with_rendered_edits() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("fixtures"), root.join("examples")];
        let mut compared = 0;
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                if !p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                    continue;
                }
                let full = fixes_of(&p, Detail::Edits);
                let light = fixes_of(&p, Detail::Availability);
                assert_eq!(full.len(), light.len(), "{}", p.display());
                for (f, l) in full.iter().zip(&light) {
                    assert_eq!((f.0, f.1), (l.0, l.1), "{}", p.display());
                    assert_eq!(f.2, f.3 > 0, "{}: {f:?}", p.display());
                    assert_eq!(f.2, l.2, "{}: {f:?} vs {l:?}", p.display());
                    assert_eq!(l.3, 0, "{}: availability renders no edits", p.display());
                    assert_eq!(f.4, l.4, "{}: {f:?} vs {l:?}", p.display());
                    compared += 1;
                }
            }
        }
        assert!(compared > 500, "{compared}");
    }
}
