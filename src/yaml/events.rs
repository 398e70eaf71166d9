//! The spanned tree built straight from serde-saphyr's YAML event parser (granit-parser).
//!
//! Going through serde (`Spanned<T>` visitors, replayed events for every key) cost more than
//! half of the time to load a file; building the tree from the events does the same work once.
//! What serde-saphyr did for us is done here:
//!
//! - **anchors and aliases**: an anchored node is kept when it is complete; an alias is a copy
//!   whose nodes are *used* at the alias token (`span`) and *defined* where the anchor's nodes
//!   were written (`def`). An alias to an anchor that is not complete yet (recursion) is an
//!   error.
//! - **merge keys** (`<<: *a`, `<<: [*a, *b]`, `<<: {inline}`): the mapping's own entries, in
//!   order, then the merged ones whose key it does not have; among the merged mappings the first
//!   one listed wins. Merges are shallow. A quoted `"<<"` is an ordinary key.
//! - **scalars** are resolved as go-yaml v3 (Docker's YAML reader) resolves them: only plain
//!   scalars are typed; `~`, `null`, `Null`, `NULL` and empty are null; only `true`/`false`
//!   (three spellings) are booleans, so `yes`, `on`, `y` stay strings; integers in decimal,
//!   `0x`, `0o`, `0b` and the YAML 1.1 octal `0440` (underscores allowed); floats in decimal or
//!   exponent form and `.inf`/`.nan`; a decimal that overflows (`1e400`) stays a string.
//!   `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` tags force a type; other tags are ignored.
//! - **budgets**: nesting deeper than [`MAX_DEPTH`] and more than [`MAX_NODES`] nodes (aliases
//!   count every node they copy, which stops alias bombs) are errors, never a crash.

use foldhash::{HashMap, HashMapExt};
use std::borrow::Cow;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, ScanError, Span as EvSpan, Tag};

use super::{Kind, LoadError, Node, Span};
use crate::source::{FileId, SourceFile};

/// Deepest nesting of collections accepted; Compose needs fewer than 15 levels.
pub const MAX_DEPTH: usize = 32;
/// Most nodes one file may expand to, aliases included.
pub const MAX_NODES: usize = 250_000;

struct Builder<'a> {
    file: FileId,
    src: &'a SourceFile,
    parser: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
    /// Complete anchored nodes by anchor id, with their [`Extent`].
    anchors: HashMap<usize, (Node, Extent)>,
    nodes: usize,
}

fn scan_error(e: &ScanError) -> LoadError {
    let info = e.info();
    LoadError {
        offset: e.marker().byte_offset(),
        message: format!(
            "invalid YAML: {}",
            if info.is_empty() {
                "syntax error"
            } else {
                info.lines().next().unwrap_or("syntax error")
            }
        ),
    }
}

impl<'a> Builder<'a> {
    fn span(&self, sp: &EvSpan) -> Span {
        let r = sp.byte_range().unwrap_or(0..0);
        Span {
            file: self.file,
            start: u32::try_from(r.start).unwrap_or(u32::MAX),
            end: u32::try_from(r.end).unwrap_or(u32::MAX),
        }
    }

    /// The next event that is part of the document (comments and anchor metadata skipped),
    /// with its span made ours at once: the parser's span is 144 bytes, ours 12, and events
    /// are moved through several calls.
    fn next(&mut self) -> Result<(Event<'a>, Span), LoadError> {
        loop {
            match self.parser.next_event() {
                None => {
                    return Err(LoadError {
                        offset: None,
                        message: "invalid YAML: unexpected end of the file".into(),
                    })
                }
                Some(Err(e)) => return Err(scan_error(&e)),
                Some(Ok((ev, sp))) => match ev {
                    Event::StreamStart
                    | Event::StreamEnd
                    | Event::DocumentStart(..)
                    | Event::DocumentEnd
                    | Event::Alias(_)
                    | Event::Scalar(..)
                    | Event::SequenceStart(..)
                    | Event::SequenceEnd
                    | Event::MappingStart(..)
                    | Event::MappingEnd => return Ok((ev, self.span(&sp))),
                    _ => continue,
                },
            }
        }
    }

    fn count(&mut self, n: usize, at: Span) -> Result<(), LoadError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(LoadError {
                offset: Some(at.start as usize),
                message: format!(
                    "invalid YAML: the document expands to more than {MAX_NODES} nodes (aliases count every node they repeat); a stack file needs far fewer"
                ),
            });
        }
        Ok(())
    }

    /// One node starting with `ev`; `depth` is the number of collections around it.
    fn node(&mut self, ev: Event<'a>, span: Span, depth: usize) -> Result<Node, LoadError> {
        let (kind, anchor) = match ev {
            Event::Scalar(value, style, anchor, tag) => {
                self.count(1, span)?;
                let kind = resolve(&value, style, tag.as_deref()).map_err(|message| LoadError {
                    offset: Some(span.start as usize),
                    message,
                })?;
                (kind, anchor)
            }
            Event::Alias(id) => {
                let Some((target, extent)) = self.anchors.get(&id) else {
                    return Err(LoadError {
                        offset: Some(span.start as usize),
                        message: "invalid YAML: this alias refers to the node that contains it (a recursive alias)".into(),
                    });
                };
                // the copy nests as deep as the anchor is high: chained aliases must not build
                // a tree deeper than the limit that written nesting has
                if depth + extent.height > MAX_DEPTH {
                    return Err(too_deep(span));
                }
                let (nodes, target) = (extent.nodes, target.clone());
                self.count(nodes, span)?;
                return Ok(relocate(target, span));
            }
            Event::SequenceStart(_, anchor, _) => {
                self.deeper(depth, span)?;
                self.count(1, span)?;
                let mut items = Vec::new();
                loop {
                    let (ev, sp) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(ev, sp, depth + 1)?);
                }
                (Kind::Seq(items), anchor)
            }
            Event::MappingStart(_, anchor, _) => {
                self.deeper(depth, span)?;
                self.count(1, span)?;
                (Kind::Map(self.mapping(depth)?), anchor)
            }
            _ => {
                return Err(LoadError {
                    offset: Some(span.start as usize),
                    message: "invalid YAML: expected a value".into(),
                })
            }
        };
        let node = Node {
            kind,
            span,
            def: None,
            unresolved: Vec::new(),
        };
        if anchor != 0 {
            self.anchors
                .insert(anchor, (node.clone(), Extent::of(&node)));
        }
        Ok(node)
    }

    fn deeper(&self, depth: usize, at: Span) -> Result<(), LoadError> {
        if depth >= MAX_DEPTH {
            return Err(too_deep(at));
        }
        Ok(())
    }

    /// The entries of a mapping whose start event was read, up to its end; merge keys
    /// resolved. A key written twice is an error naming both lines.
    fn mapping(&mut self, depth: usize) -> Result<Vec<(Node, Node)>, LoadError> {
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut merged: Vec<(Node, Node)> = Vec::new();
        loop {
            let (ev, sp) = self.next()?;
            if matches!(ev, Event::MappingEnd) {
                break;
            }
            let merge = is_merge_key(&ev);
            let key = self.node(ev, sp, depth + 1)?;
            let (ev, value_span) = self.next()?;
            let value = self.node(ev, value_span, depth + 1)?;
            if merge {
                merge_into(&mut merged, value, value_span)?;
            } else {
                entries.push((key, value));
            }
        }
        // a hash set keeps this linear: fuzzing found quadratic time on maps with many keys
        let mut seen: HashMap<Cow<str>, u32> = HashMap::with_capacity(entries.len());
        for (k, _) in &entries {
            if let Some(key) = key_text(k) {
                if let Some(first) = seen.get(&key) {
                    let (line, _) = self.src.line_col(*first as usize);
                    return Err(LoadError {
                        offset: Some(k.span.start as usize),
                        message: format!(
                            "duplicate key `{key}` (first defined at line {line}); YAML keys must be unique and docker stack deploy rejects this file"
                        ),
                    });
                }
                seen.insert(key, k.span.start);
            }
        }
        let mut kept = Vec::with_capacity(merged.len());
        for (k, v) in merged {
            if key_text(&k).is_none_or(|t| seen.insert(t.into_owned().into(), 0).is_none()) {
                kept.push((k, v));
            }
        }
        drop(seen);
        entries.extend(kept);
        Ok(entries)
    }
}

/// A mapping key as text (what makes two keys the same); `None` for collections and null.
fn key_text(k: &Node) -> Option<Cow<'_, str>> {
    match &k.kind {
        Kind::Str(s) => Some(Cow::Borrowed(s)),
        _ => k.scalar_text().map(Cow::Owned),
    }
}

/// `<<` written plain (or tagged `!!merge`) is a merge key; quoted, it is an ordinary key.
fn is_merge_key(ev: &Event) -> bool {
    match ev {
        Event::Scalar(v, ScalarStyle::Plain, _, tag) => {
            v == "<<"
                && tag
                    .as_deref()
                    .is_none_or(|t| t.is_yaml_core_schema_tag("merge"))
        }
        Event::Scalar(v, _, _, Some(tag)) => v == "<<" && tag.is_yaml_core_schema_tag("merge"),
        _ => false,
    }
}

/// Add the entries a merge key's value brings (a mapping or a sequence of mappings) to
/// `merged`, first listed first.
fn merge_into(merged: &mut Vec<(Node, Node)>, value: Node, at: Span) -> Result<(), LoadError> {
    let not_a_map = || LoadError {
        offset: Some(at.start as usize),
        message: "invalid YAML: a merge key (`<<`) needs a mapping or a list of mappings".into(),
    };
    match value.kind {
        Kind::Map(entries) => merged.extend(entries),
        Kind::Seq(items) => {
            for item in items {
                match item.kind {
                    Kind::Map(entries) => merged.extend(entries),
                    _ => return Err(not_a_map()),
                }
            }
        }
        _ => return Err(not_a_map()),
    }
    Ok(())
}

fn too_deep(at: Span) -> LoadError {
    LoadError {
        offset: Some(at.start as usize),
        message: format!(
            "invalid YAML: nested more than {MAX_DEPTH} levels deep (aliases included); a stack file needs far fewer"
        ),
    }
}

/// How much an anchored node holds, measured once when it is complete: what an alias copy
/// adds to the node budget and to the nesting depth.
#[derive(Clone, Copy)]
struct Extent {
    /// Nodes, itself included.
    nodes: usize,
    /// Collection levels: 0 for a scalar.
    height: usize,
}

impl Extent {
    fn of(n: &Node) -> Extent {
        let mut e = Extent {
            nodes: 1,
            height: 0,
        };
        let mut add = |child: &Node| {
            let c = Extent::of(child);
            e.nodes += c.nodes;
            e.height = e.height.max(c.height + 1);
        };
        match &n.kind {
            Kind::Seq(items) => items.iter().for_each(&mut add),
            Kind::Map(entries) => entries.iter().for_each(|(k, v)| {
                add(k);
                add(v);
            }),
            _ => {}
        }
        // an empty collection is still one level
        if matches!(n.kind, Kind::Seq(_) | Kind::Map(_)) {
            e.height = e.height.max(1);
        }
        e
    }
}

/// A copy of an anchored node reached through the alias at `at`: every node of it is used
/// there and defined where it was written.
fn relocate(mut n: Node, at: Span) -> Node {
    fn walk(n: &mut Node, at: Span) {
        n.def = Some(n.def_span());
        n.span = at;
        match &mut n.kind {
            Kind::Seq(items) => items.iter_mut().for_each(|x| walk(x, at)),
            Kind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                walk(k, at);
                walk(v, at);
            }),
            _ => {}
        }
    }
    walk(&mut n, at);
    n
}

/// A scalar's value the way go-yaml v3 resolves it (see the module documentation); a value
/// its `!!int`, `!!float`, `!!bool` or `!!null` tag does not fit is an error, as in Docker.
fn resolve(value: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Kind, String> {
    let forced = tag.and_then(Tag::core_suffix);
    let bad = |what: &str| {
        Err(format!(
            "invalid YAML: a value tagged !!{} must be {what}; docker stack deploy rejects this one",
            forced.unwrap_or_default()
        ))
    };
    match forced {
        Some("str") => return Ok(Kind::Str(value.to_string())),
        Some("null") => {
            return match value {
                "" | "~" | "null" | "Null" | "NULL" => Ok(Kind::Null),
                _ => bad("null"),
            }
        }
        Some("bool") => {
            return bool_of(value)
                .map(Kind::Bool)
                .map_or_else(|| bad("true or false"), Ok)
        }
        Some("int") => return int_of(value).map_or_else(|| bad("an integer"), Ok),
        Some("float") => {
            return match int_of(value) {
                Some(Kind::Int(i)) => Ok(Kind::Float(i as f64)),
                Some(k) => Ok(k),
                None => float_of(value)
                    .map(Kind::Float)
                    .map_or_else(|| bad("a number"), Ok),
            }
        }
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return Ok(Kind::Str(value.to_string()));
    }
    Ok(resolve_plain(value))
}

fn resolve_plain(value: &str) -> Kind {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        _ => {}
    }
    if let Some(b) = bool_of(value) {
        return Kind::Bool(b);
    }
    let first = value.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.') {
        if let Some(k) = int_of(value) {
            return k;
        }
        if let Some(f) = float_of(value) {
            return Kind::Float(f);
        }
    }
    Kind::Str(value.to_string())
}

fn bool_of(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// go-yaml v3: `strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 0, 64)` (so `0x`, `0o`, `0b`
/// and a leading `0` for octal), then `ParseUint`; a value above i64 becomes a float.
fn int_of(v: &str) -> Option<Kind> {
    let plain: std::borrow::Cow<str> = if v.contains('_') {
        v.replace('_', "").into()
    } else {
        v.into()
    };
    let (neg, rest) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, &plain[..]),
    };
    let (radix, digits) = match rest.as_bytes() {
        [b'0', b'x' | b'X', ..] => (16, &rest[2..]),
        [b'0', b'o' | b'O', ..] => (8, &rest[2..]),
        [b'0', b'b' | b'B', ..] => (2, &rest[2..]),
        [b'0', _, ..] => (8, &rest[1..]),
        _ => (10, rest),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            return Some(Kind::Int((mag as i64).wrapping_neg()));
        }
        return None;
    }
    Some(match i64::try_from(mag) {
        Ok(i) => Kind::Int(i),
        Err(_) => Kind::Float(mag as f64),
    })
}

/// go-yaml v3 floats: `.inf`/`.nan` spellings, and `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
/// (underscores removed) when `strconv.ParseFloat` accepts it without overflow.
fn float_of(v: &str) -> Option<f64> {
    match v {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let plain: std::borrow::Cow<str> = if v.contains('_') {
        v.replace('_', "").into()
    } else {
        v.into()
    };
    let b = plain.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return None;
        }
    } else {
        if digits(&mut i) == 0 {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    let f: f64 = plain.parse().ok()?;
    f.is_finite().then_some(f)
}

/// Parse one YAML document into a spanned tree. An empty file is a null node.
pub fn build(file: FileId, src: &SourceFile) -> Result<Node, LoadError> {
    let mut b = Builder {
        file,
        src,
        parser: Parser::new_from_str(&src.text),
        anchors: HashMap::new(),
        nodes: 0,
    };
    let mut root = None;
    let mut documents = 0;
    loop {
        let (ev, sp) = b.next()?;
        match ev {
            Event::StreamStart | Event::DocumentEnd => {}
            Event::StreamEnd => break,
            Event::DocumentStart(..) => {
                documents += 1;
                let (ev, sp) = b.next()?;
                if matches!(ev, Event::DocumentEnd) {
                    continue;
                }
                let at = sp;
                let node = b.node(ev, sp, 0)?;
                if documents == 1 {
                    root = Some(node);
                } else if !node.is_null() {
                    // go-yaml reads the first document only (even an empty one): what follows
                    // would be ignored, so say so instead of auditing either silently
                    return Err(LoadError {
                        offset: Some(at.start as usize),
                        message: "a stack file holds one YAML document, this one has more (a second `---`); docker stack deploy reads only the first, so put each stack in its own file".into(),
                    });
                }
            }
            _ => {
                let at = sp;
                return Err(LoadError {
                    offset: Some(at.start as usize),
                    message: "invalid YAML: unexpected content".into(),
                });
            }
        }
    }
    Ok(root.unwrap_or(Node {
        kind: Kind::Null,
        span: Span::point(file, 0),
        def: None,
        unresolved: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Node, LoadError> {
        build(
            FileId(0),
            &SourceFile::new("t.yml".into(), text.to_string()),
        )
    }

    fn kind(text: &str, key: &str) -> Kind {
        parse(text).unwrap().get(key).unwrap().kind.clone()
    }

    #[test]
    fn plain_scalars_resolve_as_go_yaml_v3_resolves_them() {
        let cases: &[(&str, Kind)] = &[
            ("0X1F", Kind::Int(31)),
            ("0x1f", Kind::Int(31)),
            ("0o17", Kind::Int(15)),
            ("0b101", Kind::Int(5)),
            ("0440", Kind::Int(0o440)),
            ("-0x10", Kind::Int(-16)),
            ("+12", Kind::Int(12)),
            ("1_000", Kind::Int(1000)),
            ("-9223372036854775808", Kind::Int(i64::MIN)),
            (
                "9223372036854775808",
                Kind::Float(9_223_372_036_854_775_808.0),
            ),
            ("09", Kind::Float(9.0)),
            ("1.5e3", Kind::Float(1500.0)),
            (".5", Kind::Float(0.5)),
            ("-.Inf", Kind::Float(f64::NEG_INFINITY)),
            ("1e400", Kind::Str("1e400".into())),
            ("true", Kind::Bool(true)),
            ("FALSE", Kind::Bool(false)),
            ("tRuE", Kind::Str("tRuE".into())),
            ("yes", Kind::Str("yes".into())),
            ("on", Kind::Str("on".into())),
            ("y", Kind::Str("y".into())),
            ("~", Kind::Null),
            ("Null", Kind::Null),
            ("", Kind::Null),
            ("\"12\"", Kind::Str("12".into())),
            ("'true'", Kind::Str("true".into())),
            ("!!str 12", Kind::Str("12".into())),
            ("!!int \"7\"", Kind::Int(7)),
            ("!!float 2", Kind::Float(2.0)),
            ("!custom 5", Kind::Int(5)),
            ("+", Kind::Str("+".into())),
            ("-x", Kind::Str("-x".into())),
            (".", Kind::Str(".".into())),
            ("0x", Kind::Str("0x".into())),
        ];
        for (written, want) in cases {
            let got = kind(&format!("a: {written}\n"), "a");
            let same = match (&got, want) {
                (Kind::Float(x), Kind::Float(y)) => x == y,
                (x, y) => x == y,
            };
            assert!(same, "`{written}`: {got:?}, want {want:?}");
        }
        let nan = kind("a: .nan\n", "a");
        assert!(matches!(nan, Kind::Float(f) if f.is_nan()), "{nan:?}");
    }

    #[test]
    fn a_value_its_tag_does_not_fit_is_an_error() {
        for bad in ["!!int xyz", "!!bool yes", "!!null 5", "!!float x"] {
            let e = parse(&format!("a: {bad}\n")).unwrap_err();
            assert!(e.message.contains("tagged"), "{bad}: {}", e.message);
            // at the value, after its tag
            assert_eq!(e.offset, Some(3 + bad.find(' ').unwrap() + 1), "{bad}");
        }
    }

    #[test]
    fn merges_keep_local_keys_and_the_first_listed_mapping_wins() {
        let text = "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b, {w: 3}]\n  x: 0\n  \"<<\": quoted\n";
        let root = parse(text).unwrap();
        let c = root.get("c").unwrap();
        let keys: Vec<String> = c
            .as_map()
            .unwrap()
            .iter()
            .filter_map(|(k, _)| k.scalar_text())
            .collect();
        // own entries first, in order; then merged ones the mapping does not have
        assert_eq!(keys, ["x", "<<", "y", "z", "w"]);
        assert_eq!(c.get("x").unwrap().kind, Kind::Int(0));
        assert_eq!(c.get("y").unwrap().kind, Kind::Int(1));
        // merged through an alias: used at the alias, defined in the anchor
        let y = c.get("y").unwrap();
        assert_eq!(&text[y.span.range()], "*a");
        assert_eq!(&text[y.def.unwrap().range()], "1");
        // merged from an inline mapping: where it is written
        let w = c.entry("w").unwrap();
        assert_eq!(&text[w.0.span.range()], "w");
        assert_eq!(w.1.def, None);
    }

    #[test]
    fn merge_values_other_than_mappings_are_errors() {
        for bad in ["<<: 5", "<<: [5]", "<<: [[a]]"] {
            let e = parse(&format!("{bad}\n")).unwrap_err();
            assert!(e.message.contains("merge key"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn aliases_copy_whole_subtrees_and_recursion_is_an_error() {
        let text = "a: &a\n  b: [1, {c: x}]\nd: *a\n";
        let root = parse(text).unwrap();
        let c = root.get("d").unwrap().get("b").unwrap().as_seq().unwrap()[1]
            .get("c")
            .unwrap();
        assert_eq!(c.as_str(), Some("x"));
        assert_eq!(&text[c.span.range()], "*a");
        assert_eq!(&text[c.def.unwrap().range()], "x");
        let e = parse("a: &a [1, *a]\n").unwrap_err();
        assert!(e.message.contains("recursive"), "{}", e.message);
        let e = parse("a: *nothing\n").unwrap_err();
        assert_eq!(e.offset, Some(3), "{}", e.message);
    }

    #[test]
    fn documents_budgets_and_empty_files() {
        assert!(parse("").unwrap().is_null());
        assert!(parse("# just a comment\n").unwrap().is_null());
        assert!(parse("---\na: 1\n...\n").is_ok());
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.message.contains("one YAML document"), "{}", e.message);
        assert_eq!(e.offset, Some(9));
        // an empty first document is the one docker reads: the next is not taken instead
        assert!(parse("---\n---\nb: 2\n").is_err());
        // empty documents after the first change nothing
        assert_eq!(
            parse("a: 1\n---\n").unwrap().get("a").unwrap().kind,
            Kind::Int(1)
        );
        let deep = "a: ".to_string() + &"[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep)
            .unwrap_err()
            .message
            .contains("nested more than"));
        let ok = "a: ".to_string() + &"[".repeat(MAX_DEPTH - 1) + &"]".repeat(MAX_DEPTH - 1);
        assert!(parse(&ok).is_ok());
        // chained aliases may not nest deeper than written nesting may
        let mut chain = String::from("a0: &a0 [[[[[[[[x]]]]]]]]\n");
        for i in 1..8 {
            chain.push_str(&format!("a{i}: &a{i} [[[[[*a{}]]]]]\n", i - 1));
        }
        let e = parse(&chain).unwrap_err();
        assert!(e.message.contains("levels deep"), "{}", e.message);
        assert!(parse("a: &a [[[[x]]]]\nb: [[[[*a]]]]\n").is_ok());
        // 10 * 10^5 copies through aliases: stopped by the node budget, not by memory
        let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        for (i, c) in ['b', 'c', 'd', 'e', 'f'].iter().enumerate() {
            let p = if i == 0 {
                'a'
            } else {
                ['b', 'c', 'd', 'e'][i - 1]
            };
            bomb.push_str(&format!(
                "{c}: &{c} [{}]\n",
                vec![format!("*{p}"); 10].join(",")
            ));
        }
        let e = parse(&bomb).unwrap_err();
        assert!(e.message.contains("nodes"), "{}", e.message);
    }
}
