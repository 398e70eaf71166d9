//! Which stack-file keys which `version:` accepts. `docker stack deploy` validates every file
//! against the JSON schema of its own `version:` (docker/cli `cli/compose/schema/data`), so a key
//! added in a later schema fails with "Additional property … is not allowed".
//!
//! How this table was derived (it is data, never read from elsewhere at run time):
//! - 3.9 and 3.13 rows: the set difference of the property paths of docker/cli's
//!   `config_schema_v3.8.json`, `v3.9.json` and `v3.13.json` (commit 28f756087eea, Aug 2026),
//!   walking `properties`, `patternProperties`, `items` and `$ref`s. 3.8 → 3.9 adds
//!   `cgroupns_mode`, `deploy.resources.limits.pids` and `build.extra_hosts`; 3.9 → 3.13 adds
//!   `healthcheck.start_interval`, `oom_score_adj` and `networks.<n>.driver_opts` on a service
//!   (and `x-cluster-spec` on volumes, which older schemas already allow as an `x-` key).
//! - Where the schemas between 3.9 and 3.13 are not at hand, the research notes on the CLI's
//!   schema history give the exact version (`start_interval` 3.12, `oom_score_adj` 3.13);
//!   otherwise a key is only judged for declared versions up to the last one known to lack it.
//! - Rows below 3.8 come from the same notes (feature gates of schemas 3.1–3.7).

/// A gated key: `pattern` is a dotted path where `*` matches any name; `absent_up_to` is the
/// newest schema known to reject the key, `since` the first schema known to accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    pub pattern: &'static str,
    pub absent_up_to: (u32, u32),
    pub since: (u32, u32),
}

const fn gate(pattern: &'static str, absent_up_to: (u32, u32), since: (u32, u32)) -> Gate {
    Gate {
        pattern,
        absent_up_to,
        since,
    }
}

/// The newest v3 schema docker/cli ships (what a missing `version:` or `"3"` means, CLI ≥ 23.0).
pub const LATEST: (u32, u32) = (3, 13);

#[rustfmt::skip]
pub const GATES: &[Gate] = &[
    gate("secrets", (3, 0), (3, 1)),
    gate("services.*.secrets", (3, 0), (3, 1)),
    gate("services.*.deploy.endpoint_mode", (3, 1), (3, 2)),
    gate("networks.*.attachable", (3, 1), (3, 2)),
    gate("configs", (3, 2), (3, 3)),
    gate("services.*.configs", (3, 2), (3, 3)),
    gate("services.*.credential_spec", (3, 2), (3, 3)),
    gate("services.*.healthcheck.start_period", (3, 3), (3, 4)),
    gate("services.*.isolation", (3, 4), (3, 5)),
    gate("networks.*.name", (3, 4), (3, 5)),
    gate("secrets.*.name", (3, 4), (3, 5)),
    gate("configs.*.name", (3, 4), (3, 5)),
    gate("services.*.init", (3, 6), (3, 7)),
    gate("services.*.deploy.rollback_config", (3, 6), (3, 7)),
    gate("secrets.*.driver", (3, 7), (3, 8)),
    gate("secrets.*.driver_opts", (3, 7), (3, 8)),
    gate("secrets.*.template_driver", (3, 7), (3, 8)),
    gate("configs.*.template_driver", (3, 7), (3, 8)),
    gate("services.*.deploy.placement.max_replicas_per_node", (3, 7), (3, 8)),
    gate("services.*.cgroupns_mode", (3, 8), (3, 9)),
    gate("services.*.deploy.resources.limits.pids", (3, 8), (3, 9)),
    gate("services.*.build.extra_hosts", (3, 8), (3, 9)),
    gate("services.*.networks.*.driver_opts", (3, 9), (3, 13)),
    gate("services.*.healthcheck.start_interval", (3, 11), (3, 12)),
    gate("services.*.oom_score_adj", (3, 12), (3, 13)),
];

/// `x-` extension keys: top level from 3.4, inside services, networks, volumes, secrets and
/// configs from 3.7.
pub const TOP_LEVEL_EXTENSIONS: Gate = gate("x-*", (3, 3), (3, 4));
pub const NESTED_EXTENSIONS: Gate = gate("*.*.x-*", (3, 6), (3, 7));

/// Does a concrete path (`services.web.deploy`) match a pattern (`services.*.deploy`)?
/// (No allocation: lowering asks this for every key of every file.)
fn matches<S: AsRef<str>>(pattern: &str, path: &[S]) -> bool {
    pattern.split('.').count() == path.len()
        && pattern.split('.').zip(path).all(|(p, s)| {
            let s = s.as_ref();
            p == "*" || p == s || (p.ends_with('*') && s.starts_with(&p[..p.len() - 1]))
        })
}

/// The gates' patterns split at dots, once.
fn split_gates() -> &'static [Vec<&'static str>] {
    static SPLIT: std::sync::OnceLock<Vec<Vec<&'static str>>> = std::sync::OnceLock::new();
    SPLIT.get_or_init(|| {
        GATES
            .iter()
            .map(|g| g.pattern.split('.').collect())
            .collect()
    })
}

/// Could a key of this name be gated? (The last segment of a gate, or an `x-` key: a cheap
/// test before [`gate_of`].)
pub fn is_gate_name(key: &str) -> bool {
    key.starts_with("x-") || split_gates().iter().any(|pat| pat.last() == Some(&key))
}

/// The gate of a concrete key path, if any.
pub fn gate_of<S: AsRef<str>>(path: &[S]) -> Option<Gate> {
    if let Some(g) = GATES.iter().find(|g| matches(g.pattern, path)) {
        return Some(*g);
    }
    match path {
        [k] if k.as_ref().starts_with("x-") => Some(TOP_LEVEL_EXTENSIONS),
        [section, _, k]
            if k.as_ref().starts_with("x-")
                && matches!(
                    section.as_ref(),
                    "services" | "networks" | "volumes" | "secrets" | "configs"
                ) =>
        {
            Some(NESTED_EXTENSIONS)
        }
        _ => None,
    }
}

/// Could a gated key be below `path`? (Lowering walks only these branches.)
pub fn may_contain_gated<S: AsRef<str>>(path: &[S]) -> bool {
    if path.len() == 2
        && matches!(
            path[0].as_ref(),
            "services" | "networks" | "secrets" | "configs" | "volumes"
        )
    {
        return true; // nested `x-` keys
    }
    split_gates().iter().any(|pat| {
        pat.len() > path.len()
            && pat
                .iter()
                .zip(path)
                .all(|(p, s)| *p == "*" || *p == s.as_ref())
    })
}

/// A declared `version:` as stack deploy reads it: missing, `""`, `"3"` and `"3.x"` mean the
/// newest schema (CLI ≥ 23.0); `None` for a version it does not support (SA003 reports those).
pub fn parse_version(v: Option<&str>) -> Option<(u32, u32)> {
    match v.map(str::trim) {
        None | Some("" | "3" | "3.x") => Some(LATEST),
        Some(t) => {
            let minor = t.strip_prefix("3.")?.parse::<u32>().ok()?;
            Some((3, minor))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_match_concrete_paths() {
        let g = gate_of(&["services", "web", "deploy", "resources", "limits", "pids"]);
        assert_eq!(g.map(|g| g.since), Some((3, 9)));
        assert_eq!(gate_of(&["services", "web", "image"]), None);
        assert_eq!(gate_of(&["x-common"]), Some(TOP_LEVEL_EXTENSIONS));
        assert_eq!(
            gate_of(&["services", "web", "x-swarmaudit"]),
            Some(NESTED_EXTENSIONS)
        );
        assert_eq!(gate_of(&["services", "web", "environment", "x-a"]), None);
        assert!(may_contain_gated(&["services", "web", "deploy"]));
        assert!(!may_contain_gated(&["services", "web", "environment"]));
    }

    #[test]
    fn versions_read_like_stack_deploy() {
        assert_eq!(parse_version(None), Some(LATEST));
        assert_eq!(parse_version(Some("3")), Some(LATEST));
        assert_eq!(parse_version(Some("3.8")), Some((3, 8)));
        assert_eq!(parse_version(Some("3.10")), Some((3, 10)));
        assert_eq!(parse_version(Some("2.4")), None);
    }

    #[test]
    fn every_gate_is_ordered() {
        for g in GATES {
            assert!(g.absent_up_to < g.since, "{}", g.pattern);
            assert!(g.since <= LATEST, "{}", g.pattern);
        }
    }
}
