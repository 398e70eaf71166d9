//! Source files: text plus a line index, and byte offset -> line/column rendering.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

#[derive(Debug)]
pub struct SourceFile {
    /// Path as given or found (used to read the file).
    pub path: PathBuf,
    /// Path as shown to the user: relative to the working directory when below it.
    pub display: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> Self {
        let display = display_path(&path);
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path,
            display,
            text,
            line_starts,
        }
    }

    /// 1-based line and 1-based column (in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line + 1, col + 1)
    }

    /// Byte offset of the start of a 1-based line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line.checked_sub(1)?).copied()
    }

    /// The text of a 1-based line without its line terminator.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(start) = self.line_start(line) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

/// Render `path` relative to the current directory when it lies below it.
pub fn display_path(path: &Path) -> String {
    display_path_from(path, std::env::current_dir().ok().as_deref())
}

/// [`display_path`] relative to `cwd` (the working directory, when known), for callers that
/// show many paths and look the working directory up once.
pub fn display_path_from(path: &Path, cwd: Option<&Path>) -> String {
    // The usual case, a relative path without `..` (what a directory walk gives): below the
    // working directory, shown cleaned. The general way below costs a join, a clean and a strip
    // per file, on the thread that finds the files while the others wait.
    if let (Some(rel), Some(cwd)) = (path.to_str(), cwd.and_then(Path::to_str)) {
        if !path.is_absolute()
            && !rel.contains('\\')
            && !rel.split('/').any(|seg| seg == "..")
            && crate::model::clean_path(cwd) == cwd
        {
            let shown = crate::model::clean_path(rel);
            if shown != "." {
                return shown;
            }
        }
    }
    display_path_slow(path, cwd)
}

fn display_path_slow(path: &Path, cwd: Option<&Path>) -> String {
    let shown = cwd
        .map(|cwd| {
            let abs = if path.is_absolute() {
                path.to_path_buf()
            } else {
                cwd.join(path)
            };
            // lexically clean so `../x` is not taken for a path below the working directory
            let abs = PathBuf::from(crate::model::clean_path(&abs.to_string_lossy()));
            abs.strip_prefix(cwd).map_or(abs.clone(), Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf());
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// All files of one run, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId((self.files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Drop the text of files `from..` once their findings are rendered, so memory stays
    /// bounded per file rather than growing with the number of files scanned.
    pub fn release_text_from(&mut self, from: usize) {
        for f in self.files.iter_mut().skip(from) {
            f.text = String::new();
            f.line_starts = vec![0];
        }
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_shown_as_the_general_way_shows_them() {
        let paths = [
            "a.yml",
            "./a.yml",
            "dir/a.yml",
            "./dir//a.yml",
            "dir/./a.yml",
            "dir/",
            "a b/c%.yml",
            "é/ü.yml",
            ".",
            "./",
            "",
            "../a.yml",
            "dir/../a.yml",
            "dir/../../a.yml",
            "/abs/a.yml",
            "/work/x/a.yml",
            "a\\b.yml",
        ];
        for cwd in ["/work/x", "/", "/work/./x", "/work//x", "/work/x/"] {
            for p in paths {
                let (p, c) = (Path::new(p), Some(Path::new(cwd)));
                assert_eq!(
                    display_path_from(p, c),
                    display_path_slow(p, c),
                    "{p:?} in {cwd}"
                );
            }
        }
    }

    #[test]
    fn line_col_counts_chars_not_bytes() {
        let f = SourceFile::new("x.yml".into(), "a: é\nbb: 1\n".into());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (1, 4));
        // byte 6 is the start of line 2 ('é' is 2 bytes)
        assert_eq!(f.line_col(6), (2, 1));
        assert_eq!(f.line_col(10), (2, 5));
        assert_eq!(f.line_text(2), "bb: 1");
    }
}
