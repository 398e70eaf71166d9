//! Spanned YAML loading on serde-saphyr's YAML parser.
//!
//! Every node keeps the byte range where it was *used* (`span`) and, when it was reached
//! through an alias or merge key, the range where it was *defined* (`def`). The tree is built
//! from the parser's events ([`events`]): anchors, aliases and merge keys are resolved there,
//! scalars typed as Docker's YAML reader types them, and budgets stop hostile input (deep
//! nesting, alias bombs) with an error instead of a crash.

use std::fmt;

use crate::source::{FileId, SourceFile};

pub mod events;

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
    events::build(file, src)
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
