//! Human output: one table per file, then a summary line.

use comfy_table::{presets, Cell, Color, ContentArrangement, Table};

use crate::finding::Severity;
use crate::report::{counts, Report};

fn color_of(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Grey,
    }
}

pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let mut groups: Vec<(String, Vec<usize>)> = vec![];
    for (i, r) in report.findings.iter().enumerate() {
        if r.suppressed.is_some() {
            continue; // counted in the summary; listed in JSON and SARIF
        }
        let file = if r.at.file.is_empty() {
            "(live)".to_string()
        } else {
            r.at.file.clone()
        };
        match groups.last_mut() {
            Some((g, v)) if *g == file => v.push(i),
            _ => groups.push((file, vec![i])),
        }
    }
    let width = terminal_width();
    for (file, idx) in &groups {
        out.push_str(file);
        out.push('\n');
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width)
            .set_header(vec!["severity", "rule", "line:col", "object", "message"]);
        if !color {
            t.force_no_tty();
        }
        for &i in idx {
            let r = &report.findings[i];
            let f = &r.finding;
            let location = match &r.at.api_path {
                Some(p) => p.clone(),
                None => format!("{}:{}", r.at.line, r.at.column),
            };
            let mut sev = Cell::new(f.severity.as_str());
            if color {
                sev = sev.fg(color_of(f.severity));
            }
            t.add_row(vec![
                sev,
                Cell::new(f.rule),
                Cell::new(location),
                Cell::new(f.object.qualified_name()),
                Cell::new(&r.message),
            ]);
        }
        out.push_str(&t.to_string());
        out.push_str("\n\n");
    }
    for e in report.errors {
        out.push_str(&format!("error: {e}\n"));
    }
    if !report.errors.is_empty() {
        out.push('\n');
    }
    let by_sev: Vec<String> = counts(report.findings)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let active = report
        .findings
        .iter()
        .filter(|r| r.suppressed.is_none())
        .count();
    let suppressed = report.findings.len() - active;
    let mut extra = String::new();
    if suppressed > 0 {
        extra.push_str(&format!(", {suppressed} suppressed"));
    }
    if report.in_baseline > 0 {
        extra.push_str(&format!(", {} in baseline", report.in_baseline));
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
        report.files_scanned,
        if report.files_scanned == 1 { "" } else { "s" },
        report.files_failed
    ));
    out
}

fn terminal_width() -> u16 {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(120)
}
