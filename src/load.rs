//! From paths to deployments: discovery, reading, YAML, interpolation, lowering, `-c` merge.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::interpolate::{interpolate_tree, Env};
use crate::model::lower::lower;
use crate::model::merge::merge;
use crate::model::{Deployment, EnvFile, Loc, LocalFile, Network, UnresolvedVar};
use crate::source::{display_path, SourceFile, SourceMap};
use crate::yaml;

/// A file (or path) that could not be audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// The files `docker compose` would pick in a directory, then the stack convention.
pub const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
    "docker-stack.yml",
    "docker-stack.yaml",
];

pub fn default_file(dir: &Path) -> Option<PathBuf> {
    DEFAULT_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

/// What to scan: each entry is one stack (one file, or several `-c` files merged in order).
#[derive(Debug, Clone)]
pub struct Discovered {
    pub stacks: Vec<Vec<PathBuf>>,
    /// Files found by walking a directory: skipped silently when they are not stacks.
    pub walked: Vec<bool>,
    pub errors: Vec<FileError>,
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

/// Expand paths: files as given, directories walked recursively honouring .gitignore.
pub fn discover(paths: &[PathBuf]) -> Discovered {
    let mut d = Discovered {
        stacks: vec![],
        walked: vec![],
        errors: vec![],
    };
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = ignore::WalkBuilder::new(p)
                .hidden(false)
                .require_git(false)
                .filter_entry(|e| e.file_name() != ".git")
                .build()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_some_and(|t| t.is_file()) && is_yaml(e.path()))
                .map(|e| e.into_path())
                .collect();
            found.sort();
            for f in found {
                d.stacks.push(vec![f]);
                d.walked.push(true);
            }
        } else if p.exists() || p.as_os_str() == "-" {
            d.stacks.push(vec![p.clone()]);
            d.walked.push(false);
        } else {
            d.errors.push(FileError {
                file: display_path(p),
                line: None,
                column: None,
                message: "no such file or directory".into(),
            });
        }
    }
    d
}

/// Everything loaded for one run.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: SourceMap,
    pub stacks: Vec<Deployment>,
    pub errors: Vec<FileError>,
    /// Files read and audited (including failed ones).
    pub files_scanned: usize,
    pub files_failed: usize,
    /// Keep each loaded file's tree in `trees`, for fixes. The tree is kept after interpolation
    /// (not copied before it): fixes read its keys, kinds and spans, which interpolation leaves
    /// as they are, and the file's text.
    pub keep_trees: bool,
    pub trees: Vec<(crate::source::FileId, yaml::Node)>,
}

fn read(path: &Path) -> Result<String, String> {
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map_err(|e| e.to_string())?;
        buf
    } else {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        if meta.len() > yaml::MAX_FILE_BYTES as u64 {
            return Err(format!(
                "file is {} bytes, larger than the {} byte limit for a stack file",
                meta.len(),
                yaml::MAX_FILE_BYTES
            ));
        }
        std::fs::read(path).map_err(|e| e.to_string())?
    };
    String::from_utf8(bytes).map_err(|_| "file is not valid UTF-8".to_string())
}

/// Does a file that failed to parse look like a stack file? (for directory walks)
fn looks_like_stack(text: &str) -> bool {
    text.lines().any(|l| l.trim_end() == "services:")
}

/// Load one stack from its files (merged in order). `walked`: the file was found by a
/// directory walk and is skipped silently when it is not a stack file.
pub fn load_stack(loaded: &mut Loaded, files: &[PathBuf], walked: bool, env: &Env) {
    let mut merged: Option<Deployment> = None;
    let mut workdir = PathBuf::from(".");
    let mut failed = false;
    for path in files {
        let text = match read(path) {
            Ok(t) => t,
            Err(message) => {
                if !walked {
                    loaded.files_scanned += 1;
                    loaded.files_failed += 1;
                    loaded.errors.push(FileError {
                        file: display_path(path),
                        line: None,
                        column: None,
                        message,
                    });
                }
                failed = true;
                continue;
            }
        };
        let source = SourceFile::new(path.clone(), text);
        let root = yaml::load(crate::source::FileId(loaded.sources.len() as u32), &source);
        let mut root = match root {
            Ok(r) => r,
            Err(e) => {
                if walked && !looks_like_stack(&source.text) {
                    return;
                }
                let (line, column) = match e.offset {
                    Some(o) => {
                        let (l, c) = source.line_col(o);
                        (Some(l), Some(c))
                    }
                    None => (None, None),
                };
                loaded.errors.push(FileError {
                    file: source.display.clone(),
                    line,
                    column,
                    message: e.message,
                });
                loaded.files_scanned += 1;
                loaded.files_failed += 1;
                loaded.sources.add(source);
                failed = true;
                continue;
            }
        };
        if walked && root.get("services").is_none_or(|s| s.as_map().is_none()) {
            return;
        }
        let id = loaded.sources.add(source);
        loaded.files_scanned += 1;
        let src = loaded.sources.get(id);
        let lowered = lower_file(&mut root, src, env);
        if loaded.keep_trees {
            loaded.trees.push((id, root));
        }
        let mut d = match lowered {
            Ok(d) => d,
            Err(errors) => {
                loaded.errors.extend(errors);
                loaded.files_failed += 1;
                failed = true;
                continue;
            }
        };
        match &mut merged {
            None => {
                d.stack = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let dotenv = src.dir().join(".env");
                if path.as_os_str() != "-" && dotenv.is_file() {
                    d.dotenv = Some(dotenv);
                }
                // docker/cli: relative paths resolve against the first file's directory (the
                // current directory for `-c -`)
                if path.as_os_str() != "-" {
                    workdir = src.dir().to_path_buf();
                }
                merged = Some(d);
            }
            Some(m) => merge(m, d),
        }
    }
    if failed {
        return;
    }
    if let Some(mut d) = merged {
        finish(&mut d, &workdir, env);
        loaded.stacks.push(d);
    }
}

/// One parsed file to its model: interpolation (in place, in `root`), then lowering; errors
/// name file:line:col.
pub fn lower_file(
    root: &mut yaml::Node,
    src: &SourceFile,
    env: &Env,
) -> Result<Deployment, Vec<FileError>> {
    let mut uses = vec![];
    let mut errs: Vec<(yaml::Span, String)> = vec![];
    if let Err(e) = interpolate_tree(root, env, &mut uses) {
        errs.push(e);
    }
    let lowered = lower(root);
    errs.extend(lowered.diags.into_iter().map(|d| (d.span, d.message)));
    if !errs.is_empty() {
        errs.sort_by_key(|(s, _)| s.start);
        return Err(errs
            .into_iter()
            .map(|(span, message)| {
                let (l, c) = src.line_col(span.start as usize);
                FileError {
                    file: src.display.clone(),
                    line: Some(l),
                    column: Some(c),
                    message,
                }
            })
            .collect());
    }
    let mut d = lowered.deployment;
    d.unresolved = uses
        .into_iter()
        .map(|u| UnresolvedVar {
            name: u.name,
            loc: Loc::file(u.node_span),
            silently_empty: u.silently_empty,
        })
        .collect();
    Ok(d)
}

/// A merged stack as stack deploy sees it: the implicit network added, and the local files it
/// reads (env files, config and secret files) resolved against `workdir`, the first file's
/// directory.
pub fn finish(d: &mut Deployment, workdir: &Path, env: &Env) {
    finalize(d);
    read_local_files(d, workdir, env);
}

/// Facts stack deploy adds: the implicit `default` overlay network.
fn finalize(d: &mut Deployment) {
    if d.network("default").is_some() {
        return;
    }
    if let Some(svc) = d
        .services
        .iter()
        .find(|s| s.effective_networks().contains(&"default"))
    {
        let loc = svc
            .networks
            .as_ref()
            .and_then(|n| n.iter().find(|v| v.text == "default"))
            .map_or_else(|| svc.loc.clone(), |v| v.loc.clone());
        d.networks.push(Network {
            name: "default".into(),
            full_name: None,
            ingress: false,
            loc,
            driver: None,
            driver_opts: vec![],
            external: false,
            name_override: None,
            attachable: None,
            internal: None,
            implicit: true,
        });
    }
}

/// Largest env file or config file read (docker's own limit for a config is 500 KB).
const MAX_LOCAL_FILE_BYTES: u64 = 1 << 20;

/// What to learn about a local file.
#[derive(Clone, Copy, PartialEq)]
enum Want {
    /// Permissions only (secret files: their content is never read).
    Mode,
    /// Permissions and text (env files, configs).
    Text,
}

/// Resolve `p` as docker/cli does: `~` via `$HOME`, relative paths against the working dir.
fn resolve(p: &str, workdir: &Path, env: &Env) -> PathBuf {
    let home = env
        .get("HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from));
    let joined = match (p.strip_prefix("~/").or((p == "~").then_some("")), home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => workdir.join(p),
    };
    std::path::absolute(&joined).unwrap_or(joined)
}

fn local_file(path: &crate::model::Val, workdir: &Path, env: &Env, want: Want) -> LocalFile {
    if !path.is_known() {
        return LocalFile {
            shown: path.text.clone(),
            error: Some(format!(
                "the path depends on unset variable(s) {}",
                path.unresolved.join(", ")
            )),
            ..LocalFile::default()
        };
    }
    let abs = resolve(&path.text, workdir, env);
    // both cleaned: `absolute` keeps `..`, and a stack reached as `../x/stack.yml` must be
    // judged as the same stack reached as `/abs/x/stack.yml`
    let project = std::path::absolute(workdir).unwrap_or_else(|_| workdir.to_path_buf());
    let project = PathBuf::from(crate::model::clean_path(&project.to_string_lossy()));
    let cleaned = PathBuf::from(crate::model::clean_path(&abs.to_string_lossy()));
    let mut f = LocalFile {
        shown: display_path(&cleaned),
        in_project: cleaned.starts_with(&project),
        ..LocalFile::default()
    };
    match std::fs::metadata(&cleaned) {
        Err(e) => {
            f.error = Some(io_reason(&e));
            return f;
        }
        Ok(meta) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                f.mode = Some(meta.permissions().mode() & 0o7777);
            }
            if want == Want::Mode {
                return f;
            }
            if !meta.is_file() {
                f.error = Some("not a regular file".into());
                return f;
            }
            if meta.len() > MAX_LOCAL_FILE_BYTES {
                f.error = Some(format!(
                    "file is {} bytes, larger than the {MAX_LOCAL_FILE_BYTES} byte limit",
                    meta.len()
                ));
                return f;
            }
        }
    }
    match std::fs::read(&cleaned) {
        Ok(bytes) => f.text = Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => f.error = Some(io_reason(&e)),
    }
    f
}

/// An I/O error without the OS error code suffix.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Read what `docker stack deploy` reads besides the stack files: `env_file`s and config files
/// (text), and the permissions of secret files (never their content).
fn read_local_files(d: &mut Deployment, workdir: &Path, env: &Env) {
    for svc in &mut d.services {
        svc.env_file_contents = svc
            .env_files
            .iter()
            .map(|p| EnvFile {
                path: p.clone(),
                file: local_file(p, workdir, env, Want::Text),
            })
            .collect();
    }
    for (objs, want) in [(&mut d.secrets, Want::Mode), (&mut d.configs, Want::Text)] {
        for o in objs.iter_mut().filter(|o| !o.external) {
            o.local = o.file.as_ref().map(|p| local_file(p, workdir, env, want));
        }
    }
}

/// Load every stack of a run; a failing file never stops the others.
pub fn load_all(stacks: &[Vec<PathBuf>], walked: &[bool], env: &Env) -> Loaded {
    let mut loaded = Loaded::default();
    for (i, files) in stacks.iter().enumerate() {
        load_stack(
            &mut loaded,
            files,
            walked.get(i).copied().unwrap_or(false),
            env,
        );
    }
    loaded
}
