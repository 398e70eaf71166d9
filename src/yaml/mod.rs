//! Spanned YAML loading around serde-saphyr.
//!
//! Every node keeps the byte range where it was *used* (`span`) and, when it was reached
//! through an alias or merge key, the range where it was *defined* (`def`). Anchors, aliases
//! and merge keys are resolved by serde-saphyr; budgets stop hostile input (deep nesting,
//! alias bombs) with an error instead of a crash.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Location, Spanned};

use crate::source::{FileId, SourceFile};

/// Largest stack file we read; real stack files are a few KiB.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn point(file: FileId, at: u32) -> Self {
        Span {
            file,
            start: at,
            end: at,
        }
    }
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    /// Where the node is used (for an alias: the `*name` token).
    pub span: Span,
    /// Where the node was defined, when it came through an alias or a merge key.
    pub def: Option<Span>,
    /// Variables without a value that this (interpolated) string depends on: the value is unknown.
    pub unresolved: Vec<String>,
}

impl Node {
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }
    /// Look a key up in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }
    /// The scalar as text the way Docker's loader stringifies it; `None` for collections and null.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Int(i) => Some(i.to_string()),
            // Go prints non-finite floats as +Inf, -Inf and NaN
            Kind::Float(f) if f.is_nan() => Some("NaN".into()),
            Kind::Float(f) if f.is_infinite() => {
                Some(if *f > 0.0 { "+Inf" } else { "-Inf" }.into())
            }
            Kind::Float(f) => Some(f.to_string()),
            Kind::Null | Kind::Seq(_) | Kind::Map(_) => None,
        }
    }
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Int(_) => "integer",
            Kind::Float(_) => "number",
            Kind::Str(_) => "string",
            Kind::Seq(_) => "sequence",
            Kind::Map(_) => "mapping",
        }
    }
    pub fn is_known(&self) -> bool {
        self.unresolved.is_empty()
    }
    /// The definition site when reached through an alias/merge, else the use site.
    pub fn def_span(&self) -> Span {
        self.def.unwrap_or(self.span)
    }
}

/// A loading error with a byte offset into the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub offset: Option<usize>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Raw tree as serde-saphyr hands it over.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
                Raw::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Raw, E> {
                Ok(Raw::Int(i))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Raw, E> {
                Ok(i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int))
            }
            fn visit_i128<E>(self, i: i128) -> Result<Raw, E> {
                Ok(i64::try_from(i).map_or(Raw::Float(i as f64), Raw::Int))
            }
            fn visit_u128<E>(self, u: u128) -> Result<Raw, E> {
                Ok(i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Raw, E> {
                Ok(Raw::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
                Ok(Raw::Str(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Raw, E> {
                Ok(Raw::Str(s))
            }
            fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Raw, E> {
                Ok(Raw::Str(String::from_utf8_lossy(b).into_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element::<Spanned<Raw>>()? {
                    v.push(x);
                }
                Ok(Raw::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = a.next_entry::<Spanned<Raw>, Spanned<Raw>>()? {
                    v.push(entry);
                }
                Ok(Raw::Map(v))
            }
        }
        d.deserialize_any(RawVisitor)
    }
}

fn span_of(file: FileId, loc: &Location) -> Span {
    let sp = loc.span();
    let start = sp.byte_offset().unwrap_or(0) as u32;
    let len = sp.byte_len().unwrap_or(0) as u32;
    Span {
        file,
        start,
        end: start.saturating_add(len),
    }
}

fn convert(file: FileId, text: &str, raw: Spanned<Raw>) -> Node {
    let span = span_of(file, &raw.referenced);
    let defined = span_of(file, &raw.defined);
    let def = (defined.start != span.start).then_some(defined);
    let kind = match raw.value {
        Raw::Null => Kind::Null,
        // Docker's YAML reader (go-yaml v3) reads only true/false as booleans; `yes`, `no`,
        // `on`, `off` stay strings (`restart: no`, `FOO: yes` in an environment). Stack
        // deploy casts them where it expects a boolean (see `Val::as_bool`).
        Raw::Bool(b) => {
            let written = text.get(defined.range()).unwrap_or("");
            if written.eq_ignore_ascii_case("true")
                || written.eq_ignore_ascii_case("false")
                || written.is_empty()
            {
                Kind::Bool(b)
            } else {
                Kind::Str(written.to_string())
            }
        }
        Raw::Int(i) => Kind::Int(i),
        // go-yaml v3 reads `.inf`, `-.Inf`, `.nan` as floats, but a decimal that overflows
        // (`1e400`) fails strconv.ParseFloat and stays the string it is written as
        Raw::Float(f) if !f.is_finite() => {
            let written = text.get(defined.range()).unwrap_or("");
            if is_yaml_inf_or_nan(written) {
                Kind::Float(f)
            } else {
                Kind::Str(written.to_string())
            }
        }
        Raw::Float(f) => Kind::Float(f),
        Raw::Str(s) => Kind::Str(s),
        Raw::Seq(items) => Kind::Seq(items.into_iter().map(|x| convert(file, text, x)).collect()),
        Raw::Map(entries) => Kind::Map(
            entries
                .into_iter()
                .map(|(k, v)| (convert(file, text, k), convert(file, text, v)))
                .collect(),
        ),
    };
    Node {
        kind,
        span,
        def,
        unresolved: Vec::new(),
    }
}

/// The YAML spellings of infinity and not-a-number (go-yaml v3's resolve table).
fn is_yaml_inf_or_nan(written: &str) -> bool {
    let w = written.strip_prefix(['+', '-']).unwrap_or(written);
    matches!(w, ".inf" | ".Inf" | ".INF")
        || (written.len() == w.len() && matches!(w, ".nan" | ".NaN" | ".NAN"))
}

/// Parse one YAML document into a spanned tree. Duplicate keys are an error naming both places.
pub fn load(file: FileId, src: &SourceFile) -> Result<Node, LoadError> {
    if src.text.len() > MAX_FILE_BYTES {
        return Err(LoadError {
            offset: None,
            message: format!(
                "file is {} bytes, larger than the {} byte limit for a stack file",
                src.text.len(),
                MAX_FILE_BYTES
            ),
        });
    }
    let options = serde_saphyr::options! {
        legacy_octal_numbers: true,
        // Docker reads `.inf`, `.nan` and `1e400` (see `convert`); never reject them
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        // Compose needs fewer than 15 levels; 32 keeps deserialisation well inside a 2 MiB thread stack.
        // The alias/anchor ratio heuristic rejects real files that reuse a few anchors often
        // (sentry's self-hosted compose); node and replay limits still stop alias bombs.
        budget: serde_saphyr::budget! { max_depth: 32, max_nodes: 250_000, enforce_alias_anchor_ratio: false },
    };
    let raw: Spanned<Raw> =
        serde_saphyr::from_str_with_options(&src.text, options).map_err(|e| {
            let offset = e
                .location()
                .and_then(|l| l.span().byte_offset())
                .map(|o| o as usize)
                .or_else(|| {
                    e.location()
                        .and_then(|l| src.line_start(l.line() as usize))
                        .map(|s| s.saturating_add(0))
                });
            LoadError {
                offset,
                message: format!(
                    "invalid YAML: {}",
                    first_line(&e.without_snippet().to_string())
                ),
            }
        })?;
    let node = convert(file, &src.text, raw);
    check_duplicates(&node, src)?;
    Ok(node)
}

fn first_line(s: &str) -> String {
    let s = s.trim();
    // serde-saphyr prefixes "error: line L column C: "; we render the position ourselves.
    let s = s.strip_prefix("error: ").unwrap_or(s);
    let s = match s.find(": ") {
        Some(i) if s.starts_with("line ") => &s[i + 2..],
        _ => s,
    };
    s.lines().next().unwrap_or("").to_string()
}

fn check_duplicates(node: &Node, src: &SourceFile) -> Result<(), LoadError> {
    match &node.kind {
        Kind::Map(entries) => {
            // a hash set keeps this linear: fuzzing found quadratic time on maps with many keys
            let mut seen: std::collections::HashMap<String, u32> =
                std::collections::HashMap::with_capacity(entries.len());
            for (k, v) in entries {
                if let Some(key) = k.scalar_text() {
                    if let Some(first) = seen.get(&key) {
                        let (line, _) = src.line_col(*first as usize);
                        return Err(LoadError {
                            offset: Some(k.span.start as usize),
                            message: format!(
                                "duplicate key `{key}` (first defined at line {line}); YAML keys must be unique and docker stack deploy rejects this file"
                            ),
                        });
                    }
                    seen.insert(key, k.span.start);
                }
                check_duplicates(v, src)?;
            }
            Ok(())
        }
        Kind::Seq(items) => items.iter().try_for_each(|x| check_duplicates(x, src)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Node, LoadError> {
        let src = SourceFile::new("t.yml".into(), text.to_string());
        load(FileId(0), &src)
    }

    #[test]
    fn anchors_and_merge_keys_keep_use_and_definition_sites() {
        let text = "x: &d\n  user: \"0\"\n  restart: always\nservices:\n  web:\n    <<: *d\n    restart: \"no\"\n";
        let root = parse(text).unwrap();
        let web = root.get("services").unwrap().get("web").unwrap();
        assert_eq!(web.get("restart").unwrap().as_str(), Some("no"));
        let user = web.get("user").unwrap();
        assert_eq!(user.as_str(), Some("0"));
        // used at the alias, defined at the original scalar
        assert_eq!(&text[user.span.range()], "*d");
        assert_eq!(&text[user.def.unwrap().range()], "\"0\"");
    }

    #[test]
    fn non_finite_floats_load_as_docker_reads_them() {
        let text = "a: .inf\nb: -.Inf\nc: .nan\nd: 1e400\ne: +.INF\nf: 1.5\n";
        let root = parse(text).expect("docker accepts these");
        let t = |k: &str| root.get(k).and_then(Node::scalar_text);
        assert_eq!(t("a").as_deref(), Some("+Inf"));
        assert_eq!(t("b").as_deref(), Some("-Inf"));
        assert_eq!(t("c").as_deref(), Some("NaN"));
        // overflowing decimals stay strings in go-yaml v3
        assert!(matches!(&root.get("d").unwrap().kind, Kind::Str(s) if s == "1e400"));
        assert_eq!(t("e").as_deref(), Some("+Inf"));
        assert!(matches!(root.get("f").unwrap().kind, Kind::Float(_)));
    }

    #[test]
    fn duplicate_keys_name_both_lines() {
        let err = parse("services:\n  a:\n    image: x\n    image: y\n").unwrap_err();
        assert!(
            err.message.contains("duplicate key `image`"),
            "{}",
            err.message
        );
        assert!(err.message.contains("line 3"), "{}", err.message);
        assert_eq!(err.offset, Some(32));
    }

    #[test]
    fn octal_modes_are_read_as_docker_reads_them() {
        let root = parse("mode: 0440\nb: yes\nc: True\n").unwrap();
        assert_eq!(root.get("mode").unwrap().kind, Kind::Int(0o440));
        // go-yaml v3: `yes` is a string, `True` a boolean
        assert_eq!(root.get("b").unwrap().kind, Kind::Str("yes".into()));
        assert_eq!(root.get("c").unwrap().kind, Kind::Bool(true));
    }

    #[test]
    fn hostile_input_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
        let compact = "- ".repeat(100_000) + "x";
        assert!(parse(&compact).is_err());
        let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for i in 1..9 {
            bomb.push_str(&format!(
                "{}: &{} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n",
                (b'a' + i) as char,
                (b'a' + i) as char,
                p = (b'a' + i - 1) as char
            ));
        }
        assert!(parse(&bomb).is_err());
    }

    #[test]
    fn malformed_yaml_reports_a_position() {
        let err = parse("services:\n  web:\n    image: \"unterminated\n").unwrap_err();
        assert!(err.offset.is_some());
    }
}
