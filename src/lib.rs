//! swarmaudit: a security-hardening auditor for Docker Swarm that models what
//! `docker stack deploy` actually applies.
//!
//! Pipeline: files → [`yaml`] (spanned) → [`model`] (interpolate, lower, merge) → [`rules`]
//! via [`engine`] → [`finding`]s → [`report`]ers → [`exit`] status.

pub mod baseline;
pub mod cli;
pub mod config;
pub mod detect;
pub mod engine;
pub mod exit;
pub mod finding;
pub mod fix;
pub mod host;
pub mod live;
pub mod load;
pub mod model;
pub mod par;
pub mod probe;
pub mod registry;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod yaml;
