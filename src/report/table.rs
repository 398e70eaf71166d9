//! Human output: one table per file, then a summary line.
//!
//! The table is drawn here rather than by a table crate: tens of thousands of rows must render
//! in a few milliseconds, and the layout is simple — four columns as wide as their content, the
//! message column takes the rest of the terminal width and wraps at spaces.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

use crate::finding::Severity;
use crate::report::{Reported, Tail};

/// ANSI foreground colour for a severity.
fn color_of(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[35m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => "\x1b[90m",
    }
}

/// Display width (terminal columns); plain ASCII, the common case, is its length.
fn width_of(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.width()
    }
}

fn spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

const HEADER: [&str; 5] = ["severity", "rule", "line:col", "object", "message"];
/// The message column never gets narrower than this, even on a narrow terminal.
const MIN_MESSAGE: usize = 20;

/// Greedy word wrap to `width` display columns; words longer than a line are cut. Every
/// line is handed to `emit` with its display width (a paragraph with no words gives one empty
/// line). Lines are slices of `text` where they can be; `line` is a buffer for the others,
/// reused across calls.
fn wrap_each(text: &str, width: usize, line: &mut String, mut emit: impl FnMut(&str, usize)) {
    let width = width.max(1);
    for para in text.split('\n') {
        if para.is_ascii() && !para.contains("  ") {
            wrap_plain(para.trim_matches(' '), width, &mut emit);
        } else {
            wrap_words(para, width, line, &mut emit);
        }
    }
}

/// [`wrap_each`] of one paragraph, a word at a time. A line whose words are one space apart is
/// a slice of `para`; any other line is built in `line`.
fn wrap_words(para: &str, width: usize, line: &mut String, emit: &mut impl FnMut(&str, usize)) {
    // the line so far: `para[from..to]`, or `line` once `copied`
    let (mut from, mut to, mut copied) = (0, 0, false);
    line.clear();
    let mut used = 0;
    // words found by hand: a `split(' ')` searched for every space with a `memchr` call,
    // and measuring each word again was as costly as the rest of the table
    let bytes = para.as_bytes();
    let all_ascii = para.is_ascii();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let mut start = i;
        while i < bytes.len() && bytes[i] != b' ' {
            i += 1;
        }
        // a space is a char boundary
        let mut ww = if all_ascii {
            i - start
        } else {
            width_of(&para[start..i])
        };
        if used > 0 && used + 1 + ww <= width {
            if !copied && start == to + 1 {
                to = i;
            } else {
                if !copied {
                    line.push_str(&para[from..to]);
                    copied = true;
                }
                line.push(' ');
                line.push_str(&para[start..i]);
            }
            used += 1 + ww;
            continue;
        }
        if used > 0 {
            emit(if copied { line } else { &para[from..to] }, used);
            line.clear();
            (from, to, copied) = (start, start, false);
        }
        while ww > width {
            // cut at the last char boundary that fits
            let w = &para[start..i];
            let mut cut = 0;
            let mut cw = 0;
            for (i, c) in w.char_indices() {
                let c_w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if cw + c_w > width && cut > 0 {
                    break;
                }
                cw += c_w;
                cut = i + c.len_utf8();
            }
            emit(&w[..cut], cw);
            start += cut;
            ww = width_of(&para[start..i]);
            (from, to, copied) = (start, start, false);
            line.clear();
        }
        if copied || to > from {
            // a line of zero-width text so far: the word joins it as it is
            if !copied {
                line.push_str(&para[from..to]);
                copied = true;
            }
            line.push_str(&para[start..i]);
        } else {
            (from, to) = (start, i);
        }
        used = ww;
    }
    emit(if copied { line } else { &para[from..to] }, used);
}

/// [`wrap_each`] of one paragraph of ASCII words one space apart, with no space before the
/// first or after the last: a line per step instead of a word per step (each line ends at the
/// last space that fits, found by looking back from the width).
fn wrap_plain(para: &str, width: usize, emit: &mut impl FnMut(&str, usize)) {
    if para.is_empty() {
        emit("", 0);
        return;
    }
    let mut rest = para;
    while rest.len() > width {
        match rest.as_bytes()[..=width].iter().rposition(|&b| b == b' ') {
            Some(space) => {
                emit(&rest[..space], space);
                rest = &rest[space + 1..];
            }
            // a first word longer than a line is cut
            None => {
                emit(&rest[..width], width);
                rest = &rest[width..];
            }
        }
    }
    emit(rest, rest.len());
}

#[cfg(test)]
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![];
    wrap_each(text, width, &mut String::new(), |l, w| {
        assert_eq!(w, width_of(l), "{l:?}");
        lines.push(l.to_string());
    });
    lines
}

fn rule_line(out: &mut String, widths: &[usize], left: char, fill: char, mid: char, right: char) {
    out.push(left);
    for (i, w) in widths.iter().enumerate() {
        if i > 0 {
            out.push(mid);
        }
        for _ in 0..w + 2 {
            out.push(fill);
        }
    }
    out.push(right);
    out.push('\n');
}

/// One table: header and rows of five cells, the last one wrapped to the space left.
///
/// Every output line is `│ c0 ┆ c1 ┆ c2 ┆ c3 ┆ message │`, cells padded to their column's
/// width; a wrapped message's further lines have the first four cells blank, a prefix that is
/// the same for every row and built once.
fn draw(out: &mut String, rows: &[[&str; 5]], colors: &[Option<&str>], width: usize) {
    let mut widths: Vec<usize> = HEADER.iter().map(|h| width_of(h)).collect();
    for r in rows {
        for (w, cell) in widths[..4].iter_mut().zip(r.iter()) {
            *w = (*w).max(width_of(cell));
        }
    }
    // borders (6) and one space of padding on each side of every cell (10)
    let fixed: usize = widths[..4].iter().sum::<usize>() + 16;
    // the message column: as wide as the longest message, at most the room left (so measuring
    // stops at the first message that needs all of it)
    let room = width.saturating_sub(fixed).max(MIN_MESSAGE);
    for r in rows {
        if widths[4] >= room {
            break;
        }
        widths[4] = widths[4].max(width_of(r[4]));
    }
    widths[4] = widths[4].min(room);
    let mut blank = String::from("│");
    for w in &widths[..4] {
        spaces(&mut blank, w + 2);
        blank.push('┆');
    }
    // every line is as wide as the first; its six borders take three bytes each
    let line_bytes = widths.iter().sum::<usize>() + 16 + 12 + 1;
    // a wrapped line is not full: count four-fifths of the width per line, or the output is
    // grown (and copied) once or twice per table
    let lines: usize = rows
        .iter()
        .map(|r| 1 + r[4].len() * 5 / (4 * widths[4].max(1)))
        .sum::<usize>()
        + 5;
    out.reserve(lines * line_bytes);
    rule_line(out, &widths, '┌', '─', '┬', '┐');
    let mut line = String::new();
    let mut row = |out: &mut String, cells: [&str; 5], color: Option<&str>| {
        let mut first = true;
        wrap_each(cells[4], widths[4], &mut line, |m, m_width| {
            if first {
                first = false;
                out.push('│');
                for (i, text) in cells[..4].iter().enumerate() {
                    out.push(' ');
                    match (i, color) {
                        (0, Some(c)) if !text.is_empty() => {
                            out.push_str(c);
                            out.push_str(text);
                            out.push_str("\x1b[39m");
                        }
                        _ => out.push_str(text),
                    }
                    spaces(out, widths[i].saturating_sub(width_of(text)) + 1);
                    out.push('┆');
                }
            } else {
                out.push_str(&blank);
            }
            out.push(' ');
            out.push_str(m);
            spaces(out, widths[4].saturating_sub(m_width) + 1);
            out.push_str("│\n");
        });
    };
    row(out, HEADER, None);
    rule_line(out, &widths, '╞', '═', '╪', '╡');
    for (r, c) in rows.iter().zip(colors) {
        row(out, *r, *c);
    }
    rule_line(out, &widths, '└', '─', '┴', '┘');
}

/// One table per file of these findings (suppressed ones are counted in the summary and
/// listed in JSON and SARIF, not here).
pub fn chunk(findings: &[Reported], color: bool, width: usize) -> String {
    let mut out = String::new();
    let shown: Vec<&Reported> = findings.iter().filter(|r| r.suppressed.is_none()).collect();
    fn file(r: &Reported) -> &str {
        if r.at.file.is_empty() {
            "(live)"
        } else {
            r.at.file.as_str()
        }
    }
    // the location and object cells of a file's findings, written into one buffer
    let mut cells = String::new();
    let mut ends: Vec<(usize, usize)> = vec![];
    for group in shown.chunk_by(|a, b| file(a) == file(b)) {
        out.push_str(file(group[0]));
        out.push('\n');
        cells.clear();
        ends.clear();
        for r in group {
            match &r.at.api_path {
                Some(p) => cells.push_str(p),
                // writing to a String cannot fail
                None => {
                    let _ = write!(cells, "{}:{}", r.at.line, r.at.column);
                }
            }
            let location_end = cells.len();
            r.finding.object.write_qualified_name(&mut cells);
            ends.push((location_end, cells.len()));
        }
        let mut start = 0;
        let rows: Vec<[&str; 5]> = group
            .iter()
            .zip(&ends)
            .map(|(r, &(location_end, object_end))| {
                let row = [
                    r.finding.severity.as_str(),
                    r.finding.rule,
                    &cells[start..location_end],
                    &cells[location_end..object_end],
                    r.message.as_str(),
                ];
                start = object_end;
                row
            })
            .collect();
        let colors: Vec<Option<&str>> = group
            .iter()
            .map(|r| color.then(|| color_of(r.finding.severity)))
            .collect();
        draw(&mut out, &rows, &colors, width);
        out.push_str("\n\n");
    }
    out
}

/// Errors, then the summary line.
pub fn tail(t: &Tail) -> String {
    let mut out = String::new();
    for e in t.errors {
        out.push_str(&format!("error: {e}\n"));
    }
    if !t.errors.is_empty() {
        out.push('\n');
    }
    let by_sev: Vec<String> = t
        .totals
        .counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let active = t.totals.active();
    let suppressed = t.totals.suppressed;
    let mut extra = String::new();
    if suppressed > 0 {
        extra.push_str(&format!(", {suppressed} suppressed"));
    }
    if t.in_baseline > 0 {
        extra.push_str(&format!(", {} in baseline", t.in_baseline));
    }
    out.push_str(&format!(
        "{} finding{}{}{extra}; {} file{} scanned, {} failed\n",
        active,
        if active == 1 { "" } else { "s" },
        if by_sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_sev.join(", "))
        },
        t.files_scanned,
        if t.files_scanned == 1 { "" } else { "s" },
        t.files_failed
    ));
    out
}

pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(120)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh ij", 3), ["abc", "def", "gh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("a\nb", 10), ["a", "b"]);
        // wide characters count two columns (the helper checks each line's reported width)
        assert_eq!(
            wrap("日本語テキスト ab — c", 5),
            ["日本", "語テ", "キス", "ト ab", "— c"]
        );
    }

    #[test]
    fn wrap_collapses_runs_of_spaces() {
        assert_eq!(wrap("a  b", 10), ["a b"]);
        assert_eq!(wrap("  aa  bb cc ", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("aa bb  cc dd", 8), ["aa bb cc", "dd"]);
        assert_eq!(wrap("   ", 3), [""]);
    }

    /// The line-at-a-time path for plain paragraphs gives the lines the word-at-a-time path
    /// gives, on generated paragraphs of words of 1 to 12 letters at widths 1 to 30.
    #[test]
    fn plain_and_word_wrapping_agree() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..2000 {
            let words: Vec<String> = (0..next(12))
                .map(|_| "x".repeat(1 + next(12) as usize))
                .collect();
            let para = words.join(" ");
            let width = 1 + next(30) as usize;
            let (mut plain, mut general) = (vec![], vec![]);
            wrap_plain(&para, width, &mut |l: &str, w| {
                plain.push((l.to_string(), w))
            });
            let mut line = String::new();
            wrap_words(&para, width, &mut line, &mut |l: &str, w| {
                general.push((l.to_string(), w))
            });
            assert_eq!(plain, general, "{para:?} at {width}");
        }
    }

    #[test]
    fn a_table_has_aligned_borders_and_wrapped_messages() {
        let mut out = String::new();
        let rows = [[
            "high",
            "SA101",
            "2:3",
            "services.a",
            "one two three four five six",
        ]];
        draw(&mut out, &rows, &[None], 70);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("┌──────────┬"), "{out}");
        assert!(
            lines[1].starts_with("│ severity ┆ rule  ┆ line:col ┆ object     ┆ message"),
            "{out}"
        );
        assert!(lines[2].starts_with("╞══════════╪"), "{out}");
        assert!(
            lines[3].starts_with("│ high     ┆ SA101 ┆ 2:3      ┆ services.a ┆ one two"),
            "{out}"
        );
        // every line has the same display width, the message wraps onto a second line
        let w = lines[0].width();
        assert!(lines.iter().all(|l| l.width() == w), "{out}");
        assert_eq!(w, 70, "{out}");
        assert_eq!(lines.len(), 6, "{out}");
        assert!(
            lines[4].trim_end_matches('│').trim_end().ends_with("┆ six"),
            "{out}"
        );
        // too narrow a terminal: the message column keeps its minimum
        let mut narrow = String::new();
        draw(&mut narrow, &rows, &[None], 30);
        assert!(
            narrow.lines().all(|l| l.width() == 31 + 16 + MIN_MESSAGE),
            "{narrow}"
        );
        assert!(lines[4].starts_with("│          ┆       ┆"), "{out}");
    }
}
