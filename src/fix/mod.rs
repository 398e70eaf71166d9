//! Fixes are values: byte-range edits built by YAML-aware helpers, applied by one module.

use serde::Serialize;

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
    pub edits: Vec<Edit>,
}
