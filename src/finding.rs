//! Findings: typed results of rules, rendered by the reporters.

use std::fmt;

use serde::Serialize;

use crate::model::Loc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// SARIF `level`: error for high and critical, warning for medium, note below.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Stack,
    Service,
    Network,
    Volume,
    Secret,
    Config,
    Node,
    Swarm,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Stack => "stack",
            ObjectKind::Service => "service",
            ObjectKind::Network => "network",
            ObjectKind::Volume => "volume",
            ObjectKind::Secret => "secret",
            ObjectKind::Config => "config",
            ObjectKind::Node => "node",
            ObjectKind::Swarm => "swarm",
        }
    }
    /// The top-level section of a stack file that holds objects of this kind.
    pub fn section(self) -> &'static str {
        match self {
            ObjectKind::Stack => "stack",
            ObjectKind::Service => "services",
            ObjectKind::Network => "networks",
            ObjectKind::Volume => "volumes",
            ObjectKind::Secret => "secrets",
            ObjectKind::Config => "configs",
            ObjectKind::Node => "nodes",
            ObjectKind::Swarm => "swarm",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    /// The name as written in the stack file (`default` for the implicit network).
    pub name: String,
    /// Live mode: the object's real name (`mon_prometheus`), used in `qualified_name`.
    pub full_name: Option<String>,
}

impl ObjectRef {
    pub fn new(kind: ObjectKind, name: impl Into<String>) -> Self {
        ObjectRef {
            kind,
            name: name.into(),
            full_name: None,
        }
    }
    /// `services.web`, `networks.default`, or `stack` for the whole stack.
    pub fn qualified_name(&self) -> String {
        let mut out = String::new();
        self.write_qualified_name(&mut out);
        out
    }
    /// [`ObjectRef::qualified_name`], appended to `out`.
    pub fn write_qualified_name(&self, out: &mut String) {
        match self.kind {
            ObjectKind::Stack => out.push_str("stack"),
            k => {
                out.push_str(k.section());
                out.push('.');
                out.push_str(self.full_name.as_deref().unwrap_or(&self.name));
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// Never contains a secret value (at most a masked hint).
    pub message: String,
    pub loc: Loc,
    pub object: ObjectRef,
    /// The fact the rule needed could not be learned; the finding says so.
    pub unknown: bool,
    /// What distinguishes this finding from others of the same rule on the same object
    /// (a key name, a port): part of the fingerprint, never a line number.
    pub key: String,
    pub fix_available: bool,
}

/// FNV-1a, 64 bit: stable across versions and platforms (unlike `DefaultHasher`).
pub fn stable_hash(parts: &[&str]) -> u64 {
    hash_more(FNV_OFFSET, parts)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// [`stable_hash`] of some parts continued with more: `hash_more(stable_hash(a), b)` is
/// `stable_hash(a ++ b)`.
fn hash_more(mut h: u64, parts: &[&str]) -> u64 {
    for p in parts {
        // each part followed by a 0 byte
        for &b in p.as_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `h` as 16 lower-case hex digits (`format!("{h:016x}")`, without the formatting machinery:
/// every finding has one).
pub fn hex16(h: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..16)
        .rev()
        .map(|i| char::from(DIGITS[((h >> (i * 4)) & 0xf) as usize]))
        .collect()
}

impl Finding {
    /// Survives moving lines and reordering services; changes when the finding changes.
    pub fn fingerprint(&self, file: &str) -> String {
        // The hash of (rule, file) is kept per thread: a rule's findings in one file come one
        // after the other, and the file's path is most of the bytes hashed.
        thread_local! {
            static PREFIX: std::cell::RefCell<(&'static str, String, u64)> =
                const { std::cell::RefCell::new(("", String::new(), FNV_OFFSET)) };
        }
        let prefix = PREFIX.with(|p| {
            let mut p = p.borrow_mut();
            if p.0 != self.rule || p.1 != file || p.0.is_empty() {
                p.0 = self.rule;
                p.1.clear();
                p.1.push_str(file);
                p.2 = stable_hash(&[self.rule, file]);
            }
            p.2
        });
        hex16(hash_more(
            prefix,
            &[self.object.kind.as_str(), &self.object.name, &self.key],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SA101 finding on service `web`, with `key`.
    fn on_web(key: &str) -> Finding {
        Finding {
            rule: "SA101",
            severity: Severity::Medium,
            message: String::new(),
            loc: Loc::Api {
                object: String::new(),
                path: String::new(),
            },
            object: ObjectRef::new(ObjectKind::Service, "web"),
            key: key.into(),
            unknown: false,
            fix_available: false,
        }
    }

    /// The (rule, file) hash a thread keeps never leaks into another finding's fingerprint.
    #[test]
    fn fingerprints_are_the_hash_of_all_their_parts_in_any_order_of_calls() {
        let mut f = on_web("user");
        for (rule, file, name) in [
            ("SA101", "a.yml", "web"),
            ("SA101", "a.yml", "db"),
            ("SA102", "a.yml", "db"),
            ("SA102", "b.yml", "db"),
            ("SA101", "a.yml", "web"),
            ("", "", ""),
            ("SA101", "a.yml", "web"),
        ] {
            f.rule = rule;
            f.object.name = name.into();
            let want = hex16(stable_hash(&[rule, file, "service", name, "user"]));
            assert_eq!(f.fingerprint(file), want, "{rule} {file} {name}");
        }
    }

    /// Baselines store fingerprints: the hash and its text may never change. The expected
    /// values are FNV-1a 64 computed independently (Python) over the parts, each followed by
    /// a 0 byte.
    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(stable_hash(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash(&[""]), 0xaf63_bd4c_8601_b7df);
        assert_eq!(stable_hash(&["é"]), 0x5feb_231c_1dfa_fbb3);
        assert_eq!(on_web("").fingerprint("stack.yml"), "26e57f817e22bd7e");
        for h in [0, 1, 0xf, 0x1234_5678_9abc_def0, u64::MAX] {
            assert_eq!(hex16(h), format!("{h:016x}"));
        }
    }
}
