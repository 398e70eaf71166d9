//! The YAML loader builds its tree from serde-saphyr's event parser (`swarmaudit::yaml::events`).
//! Until then the tree came through serde-saphyr's serde layer (`Spanned<T>`), which resolves
//! anchors, aliases and merge keys itself. That path is kept here as an oracle: on every YAML
//! file of `fixtures/`, `examples/`, `tests/` and the real-world `../shared/corpus` (skipped when
//! absent, required under CI) both must give the same tree — same values, same use and
//! definition spans, entries in the same order.
//!
//! Deliberate differences (go-yaml v3 fidelity, which the oracle lacks) are held by the unit
//! tests in `src/yaml/events.rs`, not here: `0X1F` is an integer, `tRuE` is a string, entries
//! merged from an inline mapping keep their own spans, `!!int xyz` is an error.

mod common;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Location, Spanned};
use swarmaudit::source::{FileId, SourceFile};
use swarmaudit::yaml::{Kind, Node, Span};

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

/// The tree as serde-saphyr's serde layer builds it (duplicate keys passed through).
fn oracle(file: FileId, text: &str) -> Option<Node> {
    let options = serde_saphyr::options! {
        legacy_octal_numbers: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        budget: serde_saphyr::budget! { max_depth: 32, max_nodes: 250_000, enforce_alias_anchor_ratio: false },
    };
    let raw: Spanned<Raw> = serde_saphyr::from_str_with_options(text, options).ok()?;
    Some(convert(file, text, raw))
}

/// The first difference between two trees, as a path and both sides.
fn difference(a: &Node, b: &Node, path: &str) -> Option<String> {
    let same = match (&a.kind, &b.kind) {
        (Kind::Seq(x), Kind::Seq(y)) => x.len() == y.len(),
        (Kind::Map(x), Kind::Map(y)) => x.len() == y.len(),
        (Kind::Float(x), Kind::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (x, y) => x == y,
    };
    if !same || a.span != b.span || a.def != b.def {
        let show = |n: &Node| {
            let kind = match &n.kind {
                Kind::Seq(x) => format!("sequence of {}", x.len()),
                Kind::Map(x) => format!("mapping of {}", x.len()),
                k => format!("{k:?}"),
            };
            format!(
                "{kind} at {:?} defined at {:?}",
                n.span.range(),
                n.def.map(|d| d.range())
            )
        };
        return Some(format!(
            "{path}: serde layer {} / event loader {}",
            show(a),
            show(b)
        ));
    }
    match (&a.kind, &b.kind) {
        (Kind::Seq(x), Kind::Seq(y)) => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| difference(p, q, &format!("{path}[{i}]"))),
        (Kind::Map(x), Kind::Map(y)) => x.iter().zip(y).find_map(|((k1, v1), (k2, v2))| {
            let name = k1.scalar_text().unwrap_or_default();
            difference(k1, k2, &format!("{path}.<key {name}>"))
                .or_else(|| difference(v1, v2, &format!("{path}.{name}")))
        }),
        _ => None,
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
}

/// Compare both loaders on these files; returns how many files both parsed.
fn compare(files: &[PathBuf]) -> usize {
    let mut compared = 0;
    let mut problems = vec![];
    for f in files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let src = SourceFile::new(f.clone(), text.clone());
        let ours = swarmaudit::yaml::load(FileId(0), &src);
        let theirs = oracle(FileId(0), &text);
        match (ours, theirs) {
            (Ok(a), Some(b)) => {
                compared += 1;
                if let Some(d) = difference(&b, &a, "") {
                    problems.push(format!("{}: {d}", f.display()));
                }
            }
            (Ok(_), None) => problems.push(format!(
                "{}: the event loader accepts a file serde-saphyr rejects",
                f.display()
            )),
            // duplicate keys: only the event loader rejects them (the oracle passes them through)
            (Err(e), Some(_)) if e.message.starts_with("duplicate key") => {}
            (Err(e), Some(_)) => problems.push(format!(
                "{}: the event loader rejects a file serde-saphyr accepts: {}",
                f.display(),
                e.message
            )),
            (Err(_), None) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    compared
}

#[test]
fn the_event_loader_builds_the_tree_serde_saphyr_builds_for_the_projects_own_files() {
    let repo = common::repo();
    let mut files = vec![];
    for d in ["fixtures", "examples", "tests"] {
        yaml_files(&repo.join(d), &mut files);
    }
    assert!(files.len() > 100, "only {} YAML files found", files.len());
    let compared = compare(&files);
    assert!(compared > 100, "only {compared} files compared");
}

#[test]
fn the_event_loader_builds_the_tree_serde_saphyr_builds_for_the_real_world_corpus() {
    let Some(shared) = common::shared() else {
        return;
    };
    let mut files = vec![];
    yaml_files(&shared.join("corpus"), &mut files);
    assert_eq!(files.len(), 537, "the corpus has 537 files");
    assert_eq!(compare(&files), 537);
}

#[test]
fn anchors_merges_and_scalars_match_on_a_file_built_to_exercise_them() {
    let text = "\
x-base: &base
  image: \"nginx:1\"
  environment: &env
    A: 1
    B: [x, 'y', *env2]
  deploy: {replicas: 2, labels: {k: v}}
x-env2: &env2_unused 0
services:
  web:
    <<: *base
    image: other
    cmd: |
      echo hi
    octal: 0440
    hex: 0x1f
    neg: -12
    big: 9223372036854775808
    flt: 1.5e3
    inf: -.Inf
    huge: 1e400
    words: [yes, no, on, off, True, FALSE, ~, null, '', \"\"]
  api:
    <<: [*base, *env]
    environment:
      <<: *env
      B: local
";
    // *env2 is an alias to an anchor defined later: both must reject it
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, text).unwrap();
    let src = SourceFile::new(bad.clone(), text.to_string());
    assert!(swarmaudit::yaml::load(FileId(0), &src).is_err());
    assert!(oracle(FileId(0), text).is_none());
    let good_text = text.replace(", *env2]", "]");
    let good = dir.path().join("good.yml");
    std::fs::write(&good, &good_text).unwrap();
    assert_eq!(compare(&[good]), 1);
}
