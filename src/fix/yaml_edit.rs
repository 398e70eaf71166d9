//! YAML-aware text edits: the only way fixes change a stack file.
//!
//! Edits are byte-range replacements on the original text, computed from the spanned tree
//! (`crate::yaml`) and the lines around it. Everything outside an edit stays byte-identical:
//! comments, key order, quoting, blank lines, CRLF line endings, a missing final newline.
//! Insertions are structural ([`Op::Insert`], [`Op::Append`]) until they are rendered, so that
//! several fixes adding keys under the same mapping become one edit (one `deploy:` block, not
//! three competing ones).

use crate::source::FileId;
use crate::yaml::{Kind, Node};

/// A value to insert, rendered in the style of the mapping it goes into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Y {
    /// A scalar, already written as YAML (`512M`, `"0.50"`, `rollback`).
    Scalar(String),
    Map(Vec<(String, Y)>),
    Seq(Vec<Y>),
}

impl Y {
    pub fn s(text: impl Into<String>) -> Y {
        Y::Scalar(text.into())
    }
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Y)>) -> Y {
        Y::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
    /// `path[0]: {path[1]: {… entries}}`.
    pub fn nest(path: &[&str], entries: Vec<(String, Y)>) -> Vec<(String, Y)> {
        let mut out = entries;
        for k in path.iter().rev() {
            out = vec![((*k).to_string(), Y::Map(out))];
        }
        out
    }
}

/// Deep-merge `add` into `base`: mappings by key, sequences concatenated (without repeats);
/// a scalar already present wins.
pub fn merge_entries(base: &mut Vec<(String, Y)>, add: Vec<(String, Y)>) {
    for (k, v) in add {
        match base.iter_mut().find(|(bk, _)| *bk == k) {
            None => base.push((k, v)),
            Some((_, bv)) => match (bv, v) {
                (Y::Map(b), Y::Map(a)) => merge_entries(b, a),
                (Y::Seq(b), Y::Seq(a)) => {
                    for item in a {
                        if !b.contains(&item) {
                            b.push(item);
                        }
                    }
                }
                _ => {}
            },
        }
    }
}

/// Where new keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MapTarget {
    /// A block mapping, identified by the offset of its first key.
    Block { first_key: usize },
    /// A flow mapping `{…}`, identified by the offset of `{`.
    Flow { open: usize },
    /// A key with no value yet (`deploy:` followed by nothing): the offset of the key.
    Empty { key: usize },
}

/// Where new sequence items go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeqTarget {
    /// A block sequence, identified by the offset of its first item (after `- `).
    Block { first_item: usize },
    /// A flow sequence `[…]`, identified by the offset of `[`.
    Flow { open: usize },
}

/// One structural change to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Replace `start..end` with `text` (set a scalar, remove a key with its lines).
    Replace {
        file: FileId,
        start: usize,
        end: usize,
        text: String,
    },
    /// Add keys to a mapping.
    Insert {
        file: FileId,
        target: MapTarget,
        entries: Vec<(String, Y)>,
    },
    /// Add items to a sequence.
    Append {
        file: FileId,
        target: SeqTarget,
        items: Vec<Y>,
    },
}

impl Op {
    pub fn file(&self) -> FileId {
        match self {
            Op::Replace { file, .. } | Op::Insert { file, .. } | Op::Append { file, .. } => *file,
        }
    }
}

/// A rendered edit on one file's text. `depth` orders insertions at the same offset: the
/// deeper one (a child of an inner mapping) must come first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEdit {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub depth: usize,
}

#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    /// End of the content, before `\r\n` / `\n`.
    end: usize,
    /// Start of the next line (or the text length).
    next: usize,
    /// What [`Doc::block_end`] asks of every line it passes, worked out once per line.
    indent: usize,
    /// Empty or only whitespace.
    blank: bool,
    /// A comment line (`#` after whitespace).
    comment: bool,
    /// A document marker at column 0 (`---`, `--- …`, `...`).
    doc_marker: bool,
}

impl Line {
    fn new(text: &str, start: usize, end: usize, next: usize) -> Line {
        let c = &text[start..end];
        let indent = c.len() - c.trim_start_matches(' ').len();
        // the first character after spaces and tabs decides; other whitespace (rare) takes
        // `str::trim`'s Unicode definition
        let (blank, comment) = match c.bytes().find(|&b| b != b' ' && b != b'\t') {
            None => (true, false),
            Some(b) if b.is_ascii_graphic() => (false, b == b'#'),
            Some(_) => {
                let t = c.trim();
                (t.is_empty(), t.starts_with('#'))
            }
        };
        let doc_marker = indent == 0 && c.starts_with(['-', '.']) && {
            let c = c.trim_end();
            c == "..." || c == "---" || c.starts_with("--- ")
        };
        Line {
            start,
            end,
            next,
            indent,
            blank,
            comment,
            doc_marker,
        }
    }
}

/// One file's text with its line index and the layout conventions it uses.
pub struct Doc<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub root: &'a Node,
    lines: Vec<Line>,
    /// `\r\n` when the file uses CRLF line endings.
    pub eol: &'static str,
    /// Indentation step of block mappings.
    pub step: usize,
    /// Indentation of `- ` relative to the key that holds a block sequence (0: compact).
    pub seq_indent: usize,
}

impl<'a> Doc<'a> {
    pub fn new(file: FileId, text: &'a str, root: &'a Node) -> Doc<'a> {
        let mut lines = Vec::with_capacity(text.len() / 24 + 1);
        let mut start = 0;
        while start < text.len() {
            // lines are short: a plain loop beats setting up a memchr for each
            let nl = text.as_bytes()[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|i| start + i);
            let (end, next) = match nl {
                Some(i) => (
                    if i > start && text.as_bytes()[i - 1] == b'\r' {
                        i - 1
                    } else {
                        i
                    },
                    i + 1,
                ),
                None => (text.len(), text.len()),
            };
            lines.push(Line::new(text, start, end, next));
            start = next;
        }
        let eol = match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        let mut doc = Doc {
            file,
            text,
            root,
            lines,
            eol,
            step: 2,
            seq_indent: 2,
        };
        doc.step = doc.detect_step().unwrap_or(2);
        doc.seq_indent = doc.detect_seq_indent().unwrap_or(doc.step);
        doc
    }

    fn line_index(&self, offset: usize) -> usize {
        match self.lines.binary_search_by(|l| l.start.cmp(&offset)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte column of an offset (indentation is spaces, so bytes are columns).
    pub fn column(&self, offset: usize) -> usize {
        offset
            - self
                .lines
                .get(self.line_index(offset))
                .map_or(0, |l| l.start)
    }

    /// 1-based line of an offset.
    pub fn line_number(&self, offset: usize) -> usize {
        self.line_index(offset) + 1
    }

    fn content(&self, l: &Line) -> &str {
        &self.text[l.start..l.end]
    }

    fn is_dash_item(&self, l: &Line) -> bool {
        let t = self.content(l).trim_start_matches(' ');
        t == "-" || t.starts_with("- ") || t.starts_with("-\t")
    }

    fn detect_step(&self) -> Option<usize> {
        let mut stack = vec![self.root];
        while let Some(n) = stack.pop() {
            let Kind::Map(m) = &n.kind else { continue };
            for (k, v) in m {
                if k.def.is_some() || v.def.is_some() {
                    continue;
                }
                if let Kind::Map(children) = &v.kind {
                    if !children.is_empty()
                        && self.text.as_bytes().get(v.span.start as usize) != Some(&b'{')
                    {
                        let (kc, vc) = (
                            self.column(k.span.start as usize),
                            self.column(v.span.start as usize),
                        );
                        if vc > kc
                            && self.line_index(v.span.start as usize)
                                > self.line_index(k.span.start as usize)
                        {
                            return Some(vc - kc);
                        }
                    }
                }
            }
            for (_, v) in m.iter().rev() {
                stack.push(v);
            }
        }
        None
    }

    fn detect_seq_indent(&self) -> Option<usize> {
        let mut stack = vec![self.root];
        while let Some(n) = stack.pop() {
            match &n.kind {
                Kind::Map(m) => {
                    for (k, v) in m {
                        if k.def.is_some() || v.def.is_some() {
                            continue;
                        }
                        if let Some(first) = v.as_seq().and_then(|s| s.first()) {
                            if let Some(dash) = self.dash_before(first.span.start as usize) {
                                let kc = self.column(k.span.start as usize);
                                let dc = self.column(dash);
                                if dc >= kc {
                                    return Some(dc - kc);
                                }
                            }
                        }
                    }
                    for (_, v) in m.iter().rev() {
                        stack.push(v);
                    }
                }
                Kind::Seq(s) => stack.extend(s.iter().rev()),
                _ => {}
            }
        }
        None
    }

    /// The offset of the `-` that introduces a block sequence item starting at `item`.
    fn dash_before(&self, item: usize) -> Option<usize> {
        let line = &self.lines[self.line_index(item)];
        let before = &self.text[line.start..item];
        let trimmed = before.trim_end_matches([' ', '\t']);
        let dash = trimmed.strip_suffix('-')?;
        (dash.is_empty() || dash.ends_with(' ')).then(|| line.start + dash.len())
    }

    /// The end of the lines that belong to the block starting on the line of `offset`, for a
    /// block whose own lines are indented at least `min_indent` (or that are `- ` items at
    /// `dash_indent`). Trailing comment lines indented at least `comment_indent` belong to it
    /// when `keep_trailing_comments`.
    fn block_end(
        &self,
        offset: usize,
        min_indent: usize,
        dash_indent: Option<usize>,
        keep_trailing_comments: Option<usize>,
    ) -> usize {
        let first = self.line_index(offset);
        let mut end = self.lines[first].next;
        let mut pending_comment_end = None;
        for l in &self.lines[first + 1..] {
            if l.blank {
                continue;
            }
            let ind = l.indent;
            if l.doc_marker {
                break; // the end of the document
            }
            if l.comment {
                if keep_trailing_comments.is_some_and(|c| ind >= c) {
                    pending_comment_end = Some(l.next);
                }
                continue;
            }
            let belongs = ind >= min_indent || (dash_indent == Some(ind) && self.is_dash_item(l));
            if !belongs {
                break;
            }
            end = l.next;
            pending_comment_end = None;
        }
        if let Some(e) = pending_comment_end {
            end = end.max(e);
        }
        end
    }

    /// End of a key's value: the lines after the key indented deeper than it, or `- ` items at
    /// its own column; a flow value is followed to its closing bracket.
    fn key_block_end(&self, key: usize) -> usize {
        let col = self.column(key);
        let mut end = self.block_end(key, col + 1, Some(col), None);
        if let Some(open) = self.flow_value_open(key) {
            if let Some(close) = flow_close(self.text, open) {
                end = end.max(self.lines[self.line_index(close)].next);
            }
        }
        end
    }

    /// When the value after the key at `key` starts with `{` or `[`, its offset.
    fn flow_value_open(&self, key: usize) -> Option<usize> {
        let rest = &self.text[key..];
        let colon = rest.find(':')?;
        let after = &rest[colon + 1..];
        let mut i = 0;
        let b = after.as_bytes();
        loop {
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            // skip an anchor or a tag
            if i < b.len() && (b[i] == b'&' || b[i] == b'!') {
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                continue;
            }
            break;
        }
        matches!(b.get(i), Some(b'{' | b'[')).then_some(key + colon + 1 + i)
    }

    /// Render an insertion of `entries` into `target`.
    pub fn render_insert(&self, target: MapTarget, entries: &[(String, Y)]) -> Option<RawEdit> {
        if entries.is_empty() {
            return None;
        }
        match target {
            MapTarget::Flow { open } => {
                let close = flow_close(self.text, open)?;
                let inner = &self.text[open + 1..close];
                let body = entries
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", flow(v)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let trimmed = inner.trim_end();
                let at = open + 1 + trimmed.len();
                let text = if trimmed.trim().is_empty() {
                    return Some(RawEdit {
                        start: open + 1,
                        end: open + 1 + inner.len(),
                        text: body,
                        depth: usize::MAX,
                    });
                } else if trimmed.ends_with(',') {
                    format!(" {body}")
                } else {
                    format!(", {body}")
                };
                Some(RawEdit {
                    start: at,
                    end: at,
                    text,
                    depth: usize::MAX,
                })
            }
            MapTarget::Block { first_key } => {
                let ind = self.column(first_key);
                let step = self.local_step(first_key);
                let end = self.block_end(first_key, ind, None, Some(ind));
                Some(self.lines_at(end, self.block_text(entries, ind, step), ind))
            }
            MapTarget::Empty { key } => {
                let step = self.local_step(key);
                let ind = self.column(key) + step;
                let end = self.lines[self.line_index(key)].next;
                Some(self.lines_at(end, self.block_text(entries, ind, step), ind))
            }
        }
    }

    /// [`Doc::render_insert`] gives an edit for non-empty entries.
    pub fn can_insert(&self, target: MapTarget) -> bool {
        match target {
            MapTarget::Flow { open } => flow_close(self.text, open).is_some(),
            MapTarget::Block { .. } | MapTarget::Empty { .. } => true,
        }
    }

    /// [`Doc::render_append`] gives an edit for non-empty items.
    pub fn can_append(&self, target: SeqTarget) -> bool {
        match target {
            SeqTarget::Flow { open } => flow_close(self.text, open).is_some(),
            SeqTarget::Block { first_item } => self.dash_before(first_item).is_some(),
        }
    }

    /// Render an append of `items` to a sequence.
    pub fn render_append(&self, target: SeqTarget, items: &[Y]) -> Option<RawEdit> {
        if items.is_empty() {
            return None;
        }
        match target {
            SeqTarget::Flow { open } => {
                let close = flow_close(self.text, open)?;
                let inner = &self.text[open + 1..close];
                let body = items.iter().map(flow).collect::<Vec<_>>().join(", ");
                let trimmed = inner.trim_end();
                if trimmed.trim().is_empty() {
                    return Some(RawEdit {
                        start: open + 1,
                        end: close,
                        text: body,
                        depth: usize::MAX,
                    });
                }
                let at = open + 1 + trimmed.len();
                let sep = if trimmed.ends_with(',') { " " } else { ", " };
                Some(RawEdit {
                    start: at,
                    end: at,
                    text: format!("{sep}{body}"),
                    depth: usize::MAX,
                })
            }
            SeqTarget::Block { first_item } => {
                let dash = self.dash_before(first_item)?;
                let dc = self.column(dash);
                let end = self.block_end(first_item, dc + 1, Some(dc), Some(dc + 1));
                let mut lines = String::new();
                let step = self.local_step(dash);
                for it in items {
                    self.item_lines(&mut lines, it, dc, step);
                }
                Some(self.lines_at(end, lines, dc))
            }
        }
    }

    /// Insert whole lines at `at` (a line start, or the end of a text without final newline).
    /// `lines` end each with the file's line ending.
    fn lines_at(&self, at: usize, mut lines: String, depth: usize) -> RawEdit {
        if at == self.text.len() && !self.text.is_empty() && !self.text.ends_with('\n') {
            // the line break moves to the front: the file's last line has none
            lines.truncate(lines.len().saturating_sub(self.eol.len()));
            lines.insert_str(0, self.eol);
        }
        RawEdit {
            start: at,
            end: at,
            text: lines,
            depth,
        }
    }

    /// The indentation step around `offset`: its column minus the column of the key it is
    /// nested under (files mix steps: 2 at the top, 4 in a service), else the file's step.
    fn local_step(&self, offset: usize) -> usize {
        let col = self.column(offset);
        for l in self.lines[..self.line_index(offset)].iter().rev() {
            if l.blank || l.comment {
                continue;
            }
            let c = self.content(l);
            let mut k = c.len() - c.trim_start_matches(' ').len();
            while c[k..].starts_with("- ") {
                k += 2;
                k += c[k..].len() - c[k..].trim_start_matches(' ').len();
            }
            if l.indent < col {
                return if k < col { col - k } else { self.step };
            }
        }
        self.step
    }

    /// `entries` as block lines at indentation `ind`.
    fn block_text(&self, entries: &[(String, Y)], ind: usize, step: usize) -> String {
        let mut out = String::with_capacity(64 * entries.len());
        self.block_lines(&mut out, entries, ind, step);
        out
    }

    /// Appends `entries` as block lines at indentation `ind`, each line ending with the file's
    /// line ending.
    fn block_lines(&self, out: &mut String, entries: &[(String, Y)], ind: usize, step: usize) {
        for (k, v) in entries {
            push_spaces(out, ind);
            out.push_str(k);
            match v {
                Y::Scalar(s) => {
                    out.push_str(": ");
                    out.push_str(s);
                }
                Y::Map(m) if m.is_empty() => out.push_str(": {}"),
                Y::Map(m) => {
                    out.push(':');
                    out.push_str(self.eol);
                    self.block_lines(out, m, ind + step, step);
                    continue;
                }
                Y::Seq(items) if items.is_empty() => out.push_str(": []"),
                Y::Seq(items) => {
                    out.push(':');
                    out.push_str(self.eol);
                    for it in items {
                        self.item_lines(out, it, ind + self.seq_indent, step);
                    }
                    continue;
                }
            }
            out.push_str(self.eol);
        }
    }

    /// Appends a `- ` item with its `-` at column `dash`.
    fn item_lines(&self, out: &mut String, item: &Y, dash: usize, step: usize) {
        match item {
            Y::Map(m) if !m.is_empty() => {
                // the mapping's lines at `dash + 2`, the first one's indentation ending in `- `
                let start = out.len();
                self.block_lines(out, m, dash + 2, step);
                out.replace_range(start + dash..start + dash + 2, "- ");
            }
            other => {
                push_spaces(out, dash);
                out.push_str("- ");
                out.push_str(&flow(other));
                out.push_str(self.eol);
            }
        }
    }

    /// The range that removes the key at `key` with its value: whole lines for a block entry,
    /// `key: value, ` inside a flow mapping (scalar values only). `None` when the key shares its
    /// line with a `- ` item marker, or is the only entry of its mapping.
    pub fn remove_key_range(
        &self,
        key: usize,
        value: &Node,
        siblings: usize,
    ) -> Option<(usize, usize)> {
        if siblings < 2 {
            return None;
        }
        let line = &self.lines[self.line_index(key)];
        let before = &self.text[line.start..key];
        if before.trim().is_empty() {
            let end = self.key_block_end(key);
            let mut start = line.start;
            if end == self.text.len() && !self.text.ends_with('\n') && start > 0 {
                // the last line has no newline: take the one before it, so none is added
                start -= if self.text[..start].ends_with("\r\n") {
                    2
                } else {
                    1
                };
            }
            return Some((start, end));
        }
        let t = before.trim_end();
        if !(t.ends_with('{') || t.ends_with(',')) {
            return None;
        }
        // flow mapping entry: only a scalar value on the same line
        if matches!(value.kind, Kind::Map(_) | Kind::Seq(_)) || value.def.is_some() {
            return None;
        }
        let vend = (value.span.end as usize).max(key);
        let after = &self.text[vend..];
        let ws = after.len() - after.trim_start_matches([' ', '\t']).len();
        if after[ws..].starts_with(',') {
            let rest = &after[ws + 1..];
            let ws2 = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            return Some((key, vend + ws + 1 + ws2));
        }
        if t.ends_with(',') {
            // last entry: take the comma before it
            let comma = line.start + t.len() - 1;
            return Some((comma, vend));
        }
        None
    }
}

/// Offset of the bracket that closes the flow collection opened at `open`.
pub fn flow_close(text: &str, open: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'\'' => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'#' if i > 0 && b[i - 1].is_ascii_whitespace() => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Flow style: `{a: 1, b: [x]}`.
fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

pub fn flow(v: &Y) -> String {
    match v {
        Y::Scalar(s) => s.clone(),
        Y::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}: {}", flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Y::Seq(s) => format!("[{}]", s.iter().map(flow).collect::<Vec<_>>().join(", ")),
    }
}

/// Where to insert into the mapping that is the value of `key` (`value` its node).
pub fn map_target(text: &str, key: &Node, value: &Node) -> Option<MapTarget> {
    match &value.kind {
        Kind::Map(_) => {
            let start = value.def.unwrap_or(value.span).start as usize;
            Some(if text.as_bytes().get(start) == Some(&b'{') {
                MapTarget::Flow { open: start }
            } else {
                MapTarget::Block { first_key: start }
            })
        }
        // `key:` with nothing after it (not `~` or `null`)
        Kind::Null
            if value.def.is_none() && key.def.is_none() && value.span.start == value.span.end =>
        {
            Some(MapTarget::Empty {
                key: key.span.start as usize,
            })
        }
        _ => None,
    }
}

/// Where to append to the sequence `value`.
pub fn seq_target(text: &str, value: &Node) -> Option<SeqTarget> {
    let Kind::Seq(items) = &value.kind else {
        return None;
    };
    let start = value.def.unwrap_or(value.span).start as usize;
    if text.as_bytes().get(start) == Some(&b'[') {
        return Some(SeqTarget::Flow { open: start });
    }
    let first = items.first()?;
    Some(SeqTarget::Block {
        first_item: first.def.unwrap_or(first.span).start as usize,
    })
}

/// The text for a new scalar that replaces `original`, keeping its quote style; plain text
/// that YAML would not read back as the same string is double-quoted.
pub fn scalar_like(original: &str, new: &str) -> String {
    match original.as_bytes().first() {
        Some(b'\'') => format!("'{}'", new.replace('\'', "''")),
        Some(b'"') => double_quoted(new),
        _ if needs_quotes(new) => double_quoted(new),
        _ => new.to_string(),
    }
}

pub fn double_quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Plain scalars that would not read back as this string.
pub fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        || s.ends_with(' ')
        || s.parse::<f64>().is_ok()
        || matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn with_doc<R>(text: &str, f: impl FnOnce(&Doc) -> R) -> R {
        let src = SourceFile::new("t.yml".into(), text.to_string());
        let root = crate::yaml::load(FileId(0), &src).expect("parses");
        let doc = Doc::new(FileId(0), text, &root);
        f(&doc)
    }

    fn apply(text: &str, e: &RawEdit) -> String {
        format!("{}{}{}", &text[..e.start], e.text, &text[e.end..])
    }

    fn get<'a>(n: &'a Node, path: &[&str]) -> (&'a Node, &'a Node) {
        let mut cur = (n, n);
        for p in path {
            cur = cur.1.entry(p).expect(p);
        }
        cur
    }

    fn insert(text: &str, path: &[&str], entries: Vec<(String, Y)>) -> String {
        with_doc(text, |doc| {
            let (k, v) = get(doc.root, path);
            let t = map_target(text, k, v).expect("target");
            let e = doc.render_insert(t, &entries).expect("edit");
            let out = apply(text, &e);
            let src = SourceFile::new("t.yml".into(), out.clone());
            crate::yaml::load(FileId(0), &src).unwrap_or_else(|e| panic!("{e}\n{out}"));
            out
        })
    }

    #[test]
    fn insert_block_keeps_siblings_indentation_and_comments() {
        let text = "services:\n    web:\n        image: x   # pinned later\n        # trailing note\n    db:\n        image: y\n";
        let out = insert(
            text,
            &["services", "web"],
            Y::nest(
                &["deploy", "resources", "limits"],
                vec![("memory".into(), Y::s("512M"))],
            ),
        );
        assert_eq!(
            out,
            "services:\n    web:\n        image: x   # pinned later\n        # trailing note\n        deploy:\n            resources:\n                limits:\n                    memory: 512M\n    db:\n        image: y\n"
        );
    }

    #[test]
    fn insert_keeps_crlf_and_missing_final_newline() {
        let text = "services:\r\n  web:\r\n    image: x";
        let out = insert(
            text,
            &["services", "web"],
            vec![("user".into(), Y::s("\"10001:10001\""))],
        );
        assert_eq!(
            out,
            "services:\r\n  web:\r\n    image: x\r\n    user: \"10001:10001\""
        );
    }

    #[test]
    fn insert_into_flow_and_empty_mappings() {
        let text =
            "services:\n  web:\n    deploy: {replicas: 2}\n    labels: {}\n    x:\n  db: {}\n";
        assert_eq!(
            insert(text, &["services", "web", "deploy"], vec![("mode".into(), Y::s("global")), ("resources".into(), Y::map([("limits", Y::map([("pids", Y::s("200"))]))]))]),
            "services:\n  web:\n    deploy: {replicas: 2, mode: global, resources: {limits: {pids: 200}}}\n    labels: {}\n    x:\n  db: {}\n"
        );
        assert_eq!(
            insert(
                text,
                &["services", "web", "labels"],
                vec![("a".into(), Y::s("b"))]
            ),
            "services:\n  web:\n    deploy: {replicas: 2}\n    labels: {a: b}\n    x:\n  db: {}\n"
        );
        assert_eq!(
            insert(text, &["services", "web", "x"], vec![("a".into(), Y::s("b"))]),
            "services:\n  web:\n    deploy: {replicas: 2}\n    labels: {}\n    x:\n      a: b\n  db: {}\n"
        );
    }

    #[test]
    fn block_ends_after_compact_sequences_and_block_scalars() {
        let text = "services:\n  web:\n    command:\n    - a\n    - b\n    entrypoint: |\n      run\n        more\n\n  db:\n    image: y\n";
        let out = insert(text, &["services", "web"], vec![("user".into(), Y::s("x"))]);
        assert_eq!(out, "services:\n  web:\n    command:\n    - a\n    - b\n    entrypoint: |\n      run\n        more\n    user: x\n\n  db:\n    image: y\n");
    }

    #[test]
    fn root_insert_appends_at_the_end() {
        let text = "services:\n  web:\n    image: x\n# end\n";
        let out = insert_root(
            text,
            vec![(
                "networks".into(),
                Y::map([("default", Y::map([("driver", Y::s("overlay"))]))]),
            )],
        );
        assert_eq!(
            out,
            "services:\n  web:\n    image: x\n# end\nnetworks:\n  default:\n    driver: overlay\n"
        );
    }

    fn insert_root(text: &str, entries: Vec<(String, Y)>) -> String {
        with_doc(text, |doc| {
            let e = doc
                .render_insert(
                    MapTarget::Block {
                        first_key: doc.root.span.start as usize,
                    },
                    &entries,
                )
                .expect("edit");
            apply(text, &e)
        })
    }

    #[test]
    fn append_to_block_and_flow_sequences() {
        let text = "a:\n  - x\n  - y # c\nb: [1, 2]\nc:\n- z\n";
        with_doc(text, |doc| {
            let item = Y::map([("source", Y::s("s")), ("target", Y::s("t"))]);
            let (_, a) = get(doc.root, &["a"]);
            let e = doc
                .render_append(seq_target(text, a).unwrap(), std::slice::from_ref(&item))
                .unwrap();
            assert_eq!(
                apply(text, &e),
                "a:\n  - x\n  - y # c\n  - source: s\n    target: t\nb: [1, 2]\nc:\n- z\n"
            );
            let (_, b) = get(doc.root, &["b"]);
            let e = doc
                .render_append(seq_target(text, b).unwrap(), std::slice::from_ref(&item))
                .unwrap();
            assert_eq!(
                apply(text, &e),
                "a:\n  - x\n  - y # c\nb: [1, 2, {source: s, target: t}]\nc:\n- z\n"
            );
            let (_, c) = get(doc.root, &["c"]);
            let e = doc
                .render_append(seq_target(text, c).unwrap(), &[Y::s("w")])
                .unwrap();
            assert_eq!(
                apply(text, &e),
                "a:\n  - x\n  - y # c\nb: [1, 2]\nc:\n- z\n- w\n"
            );
        });
    }

    #[test]
    fn remove_block_and_flow_keys() {
        let text = "s:\n  privileged: true # why\n  security_opt:\n  - a\n  -  b\n  image: x\n  f: {a: 1, b: 2, c: 3}\n";
        with_doc(text, |doc| {
            let (_, s) = get(doc.root, &["s"]);
            let n = s.as_map().unwrap().len();
            let (k, v) = get(doc.root, &["s", "privileged"]);
            let (a, b) = doc.remove_key_range(k.span.start as usize, v, n).unwrap();
            assert_eq!(
                format!("{}{}", &text[..a], &text[b..]),
                "s:\n  security_opt:\n  - a\n  -  b\n  image: x\n  f: {a: 1, b: 2, c: 3}\n"
            );
            let (k, v) = get(doc.root, &["s", "security_opt"]);
            let (a, b) = doc.remove_key_range(k.span.start as usize, v, n).unwrap();
            assert_eq!(
                format!("{}{}", &text[..a], &text[b..]),
                "s:\n  privileged: true # why\n  image: x\n  f: {a: 1, b: 2, c: 3}\n"
            );
            let (_, f) = get(doc.root, &["s", "f"]);
            for (key, want) in [
                ("a", "{b: 2, c: 3}"),
                ("b", "{a: 1, c: 3}"),
                ("c", "{a: 1, b: 2}"),
            ] {
                let (k, v) = get(doc.root, &["s", "f", key]);
                let (a, b) = doc
                    .remove_key_range(k.span.start as usize, v, f.as_map().unwrap().len())
                    .unwrap();
                let out = format!("{}{}", &text[..a], &text[b..]);
                assert!(out.ends_with(&format!("f: {want}\n")), "{out}");
            }
        });
    }

    #[test]
    fn nested_blocks_use_the_local_step_and_stop_at_the_document_end() {
        let text = "x: &d\n  a: 1\nservices:\n    web:\n        image: x\n...\n";
        let out = insert(
            text,
            &["services", "web"],
            Y::nest(&["deploy"], vec![("replicas".into(), Y::s("2"))]),
        );
        assert_eq!(
            out,
            "x: &d\n  a: 1\nservices:\n    web:\n        image: x\n        deploy:\n            replicas: 2\n...\n"
        );
        let out = insert_root(
            text,
            vec![(
                "secrets".into(),
                Y::map([("s", Y::map([("external", Y::s("true"))]))]),
            )],
        );
        assert_eq!(
            out,
            "x: &d\n  a: 1\nservices:\n    web:\n        image: x\nsecrets:\n  s:\n    external: true\n...\n"
        );
    }

    #[test]
    fn line_facts_are_those_of_the_line_text() {
        let lines = [
            "",
            "   ",
            "\t \t",
            " # c",
            "\t#c",
            "#",
            "a: b",
            "  - x",
            "---",
            "--- !x",
            "...",
            "...x",
            "----",
            " ---",
            "-- ",
            "\u{a0}# nbsp",
            "\u{a0}",
            "\u{3000}x",
            "\u{b}#",
            "é: 1",
        ];
        for l in lines {
            for eol in ["", "\n", "\r\n"] {
                let text = format!("{l}{eol}");
                let line = Line::new(&text, 0, l.len(), text.len());
                let t = l.trim();
                let c = l.trim_end();
                let indent = l.len() - l.trim_start_matches(' ').len();
                assert_eq!(line.indent, indent, "{l:?}");
                assert_eq!(line.blank, t.is_empty(), "{l:?}");
                assert_eq!(line.comment, l.trim_start().starts_with('#'), "{l:?}");
                assert_eq!(
                    line.doc_marker,
                    indent == 0 && (c == "..." || c == "---" || c.starts_with("--- ")),
                    "{l:?}"
                );
            }
        }
    }

    #[test]
    fn layout_is_detected() {
        with_doc("a:\n    b:\n        c: 1\n    l:\n    - x\n", |doc| {
            assert_eq!(doc.step, 4);
            assert_eq!(doc.seq_indent, 0);
        });
        with_doc("a:\r\n  l:\r\n    - x\r\n", |doc| {
            assert_eq!(doc.step, 2);
            assert_eq!(doc.seq_indent, 2);
            assert_eq!(doc.eol, "\r\n");
        });
    }

    #[test]
    fn scalars_keep_their_quote_style() {
        assert_eq!(scalar_like("\"pause\"", "rollback"), "\"rollback\"");
        assert_eq!(scalar_like("'0'", "10001:10001"), "'10001:10001'");
        assert_eq!(scalar_like("pause", "rollback"), "rollback");
        assert_eq!(scalar_like("0", "0.50"), "\"0.50\"");
    }
}
