//! Human output: one table per file, then a summary line.
//!
//! The table is drawn here rather than by a table crate: tens of thousands of rows must render
//! in a few milliseconds, and the layout is simple — four columns as wide as their content, the
//! message column takes the rest of the terminal width and wraps at spaces.

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
/// line); `line` is the buffer the lines are built in, reused across calls.
fn wrap_each(text: &str, width: usize, line: &mut String, mut emit: impl FnMut(&str, usize)) {
    let width = width.max(1);
    for para in text.split('\n') {
        line.clear();
        let mut used = 0;
        // words found by hand: a `split(' ')` searched for every space with a `memchr` call,
        // and measuring each word again was as costly as the rest of the table
        let bytes = para.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b' ' {
                i += 1;
                continue;
            }
            let start = i;
            let mut ascii = true;
            while i < bytes.len() && bytes[i] != b' ' {
                ascii &= bytes[i] < 0x80;
                i += 1;
            }
            // a space is a char boundary
            let mut w = &para[start..i];
            let mut ww = if ascii { w.len() } else { w.width() };
            if used > 0 && used + 1 + ww <= width {
                line.push(' ');
                line.push_str(w);
                used += 1 + ww;
                continue;
            }
            if used > 0 {
                emit(line, used);
                line.clear();
            }
            while ww > width {
                // cut at the last char boundary that fits
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
                w = &w[cut..];
                ww = width_of(w);
            }
            line.push_str(w);
            used = ww;
        }
        emit(line, used);
    }
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
    let mut groups: Vec<(&str, Vec<&Reported>)> = vec![];
    for r in findings {
        if r.suppressed.is_some() {
            continue;
        }
        let file = if r.at.file.is_empty() {
            "(live)"
        } else {
            r.at.file.as_str()
        };
        match groups.last_mut() {
            Some((g, v)) if *g == file => v.push(r),
            _ => groups.push((file, vec![r])),
        }
    }
    for (file, group) in &groups {
        out.push_str(file);
        out.push('\n');
        let cells: Vec<(String, String)> = group
            .iter()
            .map(|r| {
                let location = match &r.at.api_path {
                    Some(p) => p.clone(),
                    None => format!("{}:{}", r.at.line, r.at.column),
                };
                (location, r.finding.object.qualified_name())
            })
            .collect();
        let rows: Vec<[&str; 5]> = group
            .iter()
            .zip(&cells)
            .map(|(r, (location, object))| {
                [
                    r.finding.severity.as_str(),
                    r.finding.rule,
                    location.as_str(),
                    object.as_str(),
                    r.message.as_str(),
                ]
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
