//! The end-of-life table (`data/eol.toml`, dated) and the hints that map an image to a base OS
//! or runtime cycle: the tag of an official image (`python:3.8-slim`), codenames in any tag
//! (`node:20-buster`), `alpine3.18`-style tag components, and the OCI labels
//! `org.opencontainers.image.base.name` and `.ref.name` + `.version`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::registry::reference::Reference;
use crate::registry::time::parse_date;

pub const TABLE: &str = include_str!("../../../data/eol.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// When the table was last checked (YYYY-MM-DD).
    pub date: String,
    pub product: Vec<Product>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub name: String,
    #[serde(default)]
    pub repositories: Vec<String>,
    #[serde(default)]
    pub label_names: Vec<String>,
    #[serde(default)]
    pub tag_prefixes: Vec<String>,
    #[serde(default)]
    pub codenames_anywhere: bool,
    pub cycles: Vec<Cycle>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cycle {
    pub version: String,
    #[serde(default)]
    pub codename: Option<String>,
    pub eol: String,
}

/// The table, parsed once. Its validity is checked by tests; a broken table yields no hints.
pub fn table() -> Option<&'static Table> {
    static T: OnceLock<Option<Table>> = OnceLock::new();
    T.get_or_init(|| toml::from_str(TABLE).ok()).as_ref()
}

/// One base OS or runtime an image appears to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub product: &'static str,
    pub version: &'static str,
    pub codename: Option<&'static str>,
    pub eol: &'static str,
    /// What gave it away: "tag `3.8-slim`", "label org.opencontainers.image.base.name".
    pub source: String,
}

impl Hint {
    pub fn eol_secs(&self) -> Option<i64> {
        parse_date(self.eol)
    }

    pub fn describe(&self) -> String {
        match self.codename {
            Some(c) => format!("{} {} ({c})", self.product, self.version),
            None => format!("{} {}", self.product, self.version),
        }
    }
}

/// `3.8-slim` starts with the cycle `3.8`; `3.10` does not start with `3.1`.
fn version_prefix(text: &str, version: &str) -> bool {
    text == version
        || text
            .strip_prefix(version)
            .is_some_and(|rest| rest.starts_with(['.', '-', '_']))
}

/// Hints from a repository and tag (`library/python`, `3.8-slim-buster`).
pub fn from_tag(repository: &str, tag: &str, source: &str) -> Vec<Hint> {
    let Some(t) = table() else { return vec![] };
    let mut out = vec![];
    let tag_l = tag.to_ascii_lowercase();
    let words: Vec<&str> = tag_l.split(['-', '_', '.']).collect();
    let parts: Vec<&str> = tag_l.split(['-', '_']).collect();
    for p in &t.product {
        let own = p.repositories.iter().any(|r| r == repository);
        for c in &p.cycles {
            let by_version = own && version_prefix(&tag_l, &c.version);
            let by_codename = (own || p.codenames_anywhere)
                && c.codename
                    .as_deref()
                    .is_some_and(|name| words.contains(&name));
            let by_prefix = p.tag_prefixes.iter().any(|prefix| {
                parts.iter().any(|part| {
                    part.strip_prefix(prefix.as_str())
                        .is_some_and(|rest| version_prefix(rest, &c.version))
                })
            });
            if by_version || by_codename || by_prefix {
                out.push(Hint {
                    product: &p.name,
                    version: &c.version,
                    codename: c.codename.as_deref(),
                    eol: &c.eol,
                    source: source.to_string(),
                });
            }
        }
    }
    out
}

/// Hints from an image reference's tag (`python:3.8-slim`).
pub fn from_reference(image: &str) -> Vec<Hint> {
    let Ok(r) = Reference::parse(image) else {
        return vec![];
    };
    let Some(tag) = r.tag_or_latest() else {
        return vec![];
    };
    from_tag(&r.repository, tag, &format!("tag `{tag}`"))
}

const BASE_NAME: &str = "org.opencontainers.image.base.name";
const REF_NAME: &str = "org.opencontainers.image.ref.name";
const VERSION: &str = "org.opencontainers.image.version";

/// Hints from image labels and annotations.
pub fn from_labels(labels: &BTreeMap<String, String>) -> Vec<Hint> {
    let mut out = vec![];
    if let Some(base) = labels.get(BASE_NAME) {
        if let Ok(r) = Reference::parse(base) {
            if let Some(tag) = r.tag_or_latest() {
                out.extend(from_tag(
                    &r.repository,
                    tag,
                    &format!("label {BASE_NAME}={base}"),
                ));
            }
        }
    }
    if let (Some(name), Some(version), Some(t)) =
        (labels.get(REF_NAME), labels.get(VERSION), table())
    {
        let name = name.to_ascii_lowercase();
        for p in t.product.iter().filter(|p| p.label_names.contains(&name)) {
            for c in &p.cycles {
                if version_prefix(version.trim(), &c.version)
                    || c.codename.as_deref() == Some(version.trim())
                {
                    out.push(Hint {
                        product: &p.name,
                        version: &c.version,
                        codename: c.codename.as_deref(),
                        eol: &c.eol,
                        source: format!("labels {REF_NAME}={name}, {VERSION}={version}"),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(h: &[Hint]) -> Vec<String> {
        h.iter().map(Hint::describe).collect()
    }

    #[test]
    fn the_table_is_valid() {
        let t = table().expect("data/eol.toml parses");
        assert!(parse_date(&t.date).is_some(), "bad date {}", t.date);
        for p in &t.product {
            assert!(!p.cycles.is_empty(), "{}", p.name);
            for c in &p.cycles {
                assert!(
                    parse_date(&c.eol).is_some(),
                    "{} {}: bad eol {}",
                    p.name,
                    c.version,
                    c.eol
                );
            }
        }
    }

    /// The table must be kept current: refresh it (and its `date`) at least once a year.
    #[test]
    fn the_table_is_less_than_a_year_old() {
        let t = table().expect("data/eol.toml parses");
        let date = parse_date(&t.date).expect("date");
        let age_days = (crate::registry::time::now() - date) / 86_400;
        assert!(
            age_days <= 365,
            "data/eol.toml was last checked on {} ({age_days} days ago): refresh the end-of-life dates and bump `date`",
            t.date
        );
    }

    #[test]
    fn tag_hints() {
        assert_eq!(names(&from_reference("python:3.8-slim")), ["Python 3.8"]);
        assert_eq!(names(&from_reference("python:3.10")), ["Python 3.10"]);
        assert_eq!(
            names(&from_reference("python:3.12-slim-buster")),
            ["Debian 10 (buster)", "Python 3.12"]
        );
        assert_eq!(
            names(&from_reference("debian:buster-slim")),
            ["Debian 10 (buster)"]
        );
        assert_eq!(
            names(&from_reference("debian:10.13")),
            ["Debian 10 (buster)"]
        );
        assert_eq!(
            names(&from_reference("ubuntu:18.04")),
            ["Ubuntu 18.04 (bionic)"]
        );
        assert_eq!(
            names(&from_reference("node:20-alpine3.18")),
            ["Alpine Linux 3.18", "Node.js 20 (iron)"]
        );
        assert_eq!(names(&from_reference("centos:7")), ["CentOS 7"]);
        assert_eq!(
            names(&from_reference("registry.local/app:1-centos7")),
            ["CentOS 7"]
        );
        // a version-like tag of another repository, or a repository name, is no hint
        assert!(from_reference("myorg/python:3.8").is_empty());
        assert!(from_reference("busybox:1.36").is_empty());
        assert!(from_reference("buster/app:1").is_empty());
        assert!(from_reference("myapp:iron-1").is_empty());
        assert!(from_reference("python").is_empty());
    }

    #[test]
    fn label_hints() {
        let labels: BTreeMap<String, String> = [
            (REF_NAME.to_string(), "ubuntu".to_string()),
            (VERSION.to_string(), "20.04".to_string()),
        ]
        .into();
        assert_eq!(names(&from_labels(&labels)), ["Ubuntu 20.04 (focal)"]);
        let labels: BTreeMap<String, String> = [(
            BASE_NAME.to_string(),
            "docker.io/library/debian:stretch-slim".to_string(),
        )]
        .into();
        assert_eq!(names(&from_labels(&labels)), ["Debian 9 (stretch)"]);
        assert!(from_labels(&BTreeMap::new()).is_empty());
    }
}
