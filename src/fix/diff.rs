//! Unified diffs that `git apply` and `patch -p1` accept: `a/<path>` and `b/<path>` relative
//! to the working directory, three lines of context, `\ No newline at end of file` where the
//! file has none; CRLF lines are kept as they are.

use similar::TextDiff;

/// The diff turning `old` into `new` for `path` (empty when they are equal).
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    out.push_str(&format!("--- a/{path}\n+++ b/{path}\n"));
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        out.push_str(&hunk.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn diffs_mark_a_missing_final_newline_and_keep_crlf() {
        let d = unified("s.yml", "a: 1\r\nb: 2", "a: 1\r\nb: 2\r\nc: 3");
        assert!(d.starts_with("--- a/s.yml\n+++ b/s.yml\n@@ "), "{d}");
        assert!(d.contains("-b: 2\n\\ No newline at end of file\n"), "{d:?}");
        assert!(
            d.contains("+b: 2\r\n+c: 3\n\\ No newline at end of file\n"),
            "{d:?}"
        );
        assert_eq!(unified("s.yml", "x", "x"), "");
    }
}
