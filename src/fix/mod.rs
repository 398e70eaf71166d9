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
    pub applicability: Applicability,
    /// This fix alone, rendered on the file as it is.
    pub edits: Vec<Edit>,
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

/// Attach a fix to every finding of `d` that has one (for SARIF `fixes[]` and JSON
/// `fix_available`). The files must still hold their text.
pub fn attach(
    findings: &mut [Reported],
    d: &Deployment,
    sources: &SourceMap,
    settings: &crate::config::Settings,
    trees: Vec<(crate::source::FileId, crate::yaml::Node)>,
) {
    if d.live || !findings.iter().any(|r| build::has_fix(r.finding.rule)) {
        return;
    }
    let parsed = build::Parsed::from_trees(d, trees);
    let cx = parsed.ctx(d, sources, settings);
    for r in findings.iter_mut() {
        if let build::Built::Fix(f) = build::build(&r.finding, &cx) {
            r.fix = Some(*f);
        }
    }
}
