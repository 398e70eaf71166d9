//! SA0xx: stack-deploy semantics — keys swarm ignores or rejects, unresolved variables.

pub mod dangerous_key_ignored;
pub mod drift;
pub mod hardening_key_ignored;
pub mod key_makes_deploy_fail;
pub mod suppression_problem;
pub mod unresolved_variable;
pub mod version_mismatch_or_newer_key;

/// Ignored keys that the user adds to harden a service (SA001); every other ignored key is SA002.
pub const HARDENING_KEYS: &[&str] = &["security_opt", "tmpfs"];
