//! `swarmaudit fix`: a unified diff on stdout (default) or the files rewritten in place
//! (`--write`), what each fix changes and why as `#` comments on stderr; with `--live`, a
//! reviewable shell script of `docker` commands. The exit status is that of a scan of the
//! result: 0 nothing left at or above `--fail-on`, 1 something is, 2 something could not be
//! read or a fixed file would no longer load (then nothing is written).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{build_env, eprint_error, FailOn};
use crate::engine::{self, Selection};
use crate::exit::ExitStatus;
use crate::fix::apply::{self, Applied, Options, StackFix};
use crate::fix::{diff, live, Applicability};
use crate::load::{self, FileError};
use crate::report::Reported;

#[derive(clap::Args, Debug)]
pub struct FixArgs {
    /// Stack files or directories (searched recursively, honouring .gitignore, for YAML files
    /// whose top level holds a `services:` mapping). Each file is its own stack.
    pub paths: Vec<PathBuf>,
    /// One stack merged from several files, exactly as `docker stack deploy -c a.yml -c b.yml`.
    #[arg(
        short = 'c',
        long = "compose-file",
        value_name = "FILE",
        conflicts_with = "paths"
    )]
    pub compose_files: Vec<PathBuf>,
    /// Rewrite the files in place (atomically, keeping their permissions) instead of printing
    /// a diff.
    #[arg(long, conflicts_with = "live")]
    pub write: bool,
    /// Also apply unsafe fixes: chosen values (limits, a user), edits of shared anchors, and
    /// changes of behaviour (each says what may change).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Only these rules: ids or family prefixes (SA101, SA2), comma-separated or repeated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Skip these rules: ids or family prefixes, comma-separated or repeated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Lowest severity left after fixing that fails (exit 1) [default: the config's
    /// `fail_on`, else high].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// KEY=VALUE file for ${VAR} interpolation, on top of the process environment (repeatable).
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Config file [default: .swarmaudit.yml in the fixed path's directory or a parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print a shell script of `docker` commands that fix the running swarm's findings (never
    /// run by swarmaudit).
    #[arg(long)]
    pub live: bool,
    /// Docker daemon to connect to (as for `scan --live`).
    #[arg(short = 'H', long = "host", value_name = "HOST", requires = "live")]
    pub host: Option<String>,
    /// Use this docker CLI context.
    #[arg(long, value_name = "NAME", requires = "live", conflicts_with = "host")]
    pub context: Option<String>,
    /// Limit to one stack (label com.docker.stack.namespace).
    #[arg(long, value_name = "NAME", requires = "live")]
    pub stack: Option<String>,
    /// Seconds each Engine API call may take.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub timeout: u64,
    /// Image checks against registries (file mode): with --resolve-images, SA501/SA502 get a
    /// fix that pins the digest the registry serves for the tag now.
    #[command(flatten)]
    pub images: crate::registry::cli::ImageArgs,
}

pub fn run(args: FixArgs) -> ExitStatus {
    let Some((config, selection)) = crate::cli::config_and_selection(
        args.config.as_deref(),
        &args.compose_files,
        &args.paths,
        &args.select,
        &args.ignore,
    ) else {
        return ExitStatus::Error;
    };
    let fail_on = FailOn::resolve(args.fail_on, &config);
    if args.live {
        if !args.paths.is_empty() || !args.compose_files.is_empty() {
            eprint_error("--live fixes the running swarm; fix stack files without --live");
            return ExitStatus::Error;
        }
        return run_live(&args, &selection, fail_on);
    }
    let mut errors = vec![];
    let env = build_env(&args.env_file, &mut errors);
    let (stacks, walked) = if !args.compose_files.is_empty() {
        (vec![args.compose_files.clone()], vec![false])
    } else if args.paths.is_empty() {
        let cwd = match std::env::current_dir() {
            Ok(c) => c,
            Err(e) => {
                eprint_error(&e.to_string());
                return ExitStatus::Error;
            }
        };
        match load::default_file(&cwd) {
            Some(f) => (vec![vec![f]], vec![false]),
            None => {
                eprint_error(&format!(
                    "no stack file given and none found in {}: looked for {}",
                    cwd.display(),
                    load::DEFAULT_FILES.join(", ")
                ));
                return ExitStatus::Error;
            }
        }
    } else {
        if args.paths.iter().any(|p| p.as_os_str() == "-") {
            eprint_error("fix needs files it can name in a diff; standard input is not supported");
            return ExitStatus::Error;
        }
        let d = load::discover(&args.paths);
        errors.extend(d.errors);
        (d.stacks, d.walked)
    };
    let images = match args.images.resolver(false, None) {
        Ok(i) => i,
        Err(e) => {
            eprint_error(&e);
            return ExitStatus::Error;
        }
    };
    let opts = Options {
        selection: &selection,
        config: &config,
        env: &env,
        unsafe_fixes: args.unsafe_fixes,
        images: images.as_ref(),
    };
    let mut used = vec![0; config.exemptions.len()];
    let results: Vec<StackFix> = stacks
        .iter()
        .enumerate()
        .map(|(i, files)| {
            apply::fix_stack(
                files,
                walked.get(i).copied().unwrap_or(false),
                &opts,
                &mut used,
            )
        })
        .collect();
    if let Some(images) = &images {
        crate::registry::cli::report(images);
    }

    let mut err = std::io::stderr().lock();
    let mut remaining: Vec<Reported> = crate::suppress::config_problems(&config, &used, &selection);
    let mut refused = false;
    let (mut n_safe, mut n_unsafe, mut before, mut after, mut need_unsafe) = (0, 0, 0, 0, 0);
    let mut files_changed = 0;
    let mut patch = String::new();
    for r in &results {
        errors.extend(r.errors.iter().cloned());
        if r.skipped {
            continue;
        }
        if let Some(why) = &r.refused {
            refused = true;
            let files: Vec<&str> = r.files.iter().map(|f| f.display.as_str()).collect();
            eprint_error(&format!("{}: {why}", files.join(", ")));
            continue;
        }
        for a in &r.applied {
            comment(&mut err, a, "");
            match a.fix.applicability {
                Applicability::Safe => n_safe += 1,
                _ => n_unsafe += 1,
            }
        }
        for a in &r.suggestions {
            comment(&mut err, a, "not applied");
        }
        let fixed: std::collections::HashSet<(&str, String, String)> = r
            .applied
            .iter()
            .map(|a| {
                (
                    a.finding.finding.rule,
                    a.finding.finding.object.name.clone(),
                    a.finding.finding.key.clone(),
                )
            })
            .collect();
        for a in &r.unsafe_skipped {
            let id = (
                a.finding.finding.rule,
                a.finding.finding.object.name.clone(),
                a.finding.finding.key.clone(),
            );
            if !fixed.contains(&id) {
                need_unsafe += 1;
                comment(&mut err, a, "unsafe, not applied without --unsafe-fixes");
            }
        }
        for (f, why) in &r.no_fix {
            let _ = writeln!(
                err,
                "# {}:{}:{} {} {}: no fix: {why}",
                f.at.file,
                f.at.line,
                f.at.column,
                f.finding.rule,
                f.finding.object.qualified_name()
            );
        }
        before += r.before.len();
        after += r.after.iter().filter(|x| x.suppressed.is_none()).count();
        remaining.extend(r.after.iter().cloned());
        for f in &r.files {
            let d = diff::unified(&f.display, &f.original, &f.current);
            if !d.is_empty() {
                files_changed += 1;
                patch.push_str(&d);
            }
        }
    }
    for e in &errors {
        eprint_error(&e.to_string());
    }
    let _ = writeln!(
        err,
        "swarmaudit: {} fix{} applied ({n_safe} safe, {n_unsafe} unsafe) in {files_changed} file{}; findings: {before} before, {after} after{}{}",
        n_safe + n_unsafe,
        if n_safe + n_unsafe == 1 { "" } else { "es" },
        if files_changed == 1 { "" } else { "s" },
        if need_unsafe > 0 {
            format!("; {need_unsafe} more with --unsafe-fixes")
        } else {
            String::new()
        },
        if refused { "; nothing written: a fixed file would not load" } else { "" }
    );
    drop(err);
    if args.write {
        if !refused {
            for r in &results {
                for f in r.files.iter().filter(|f| f.original != f.current) {
                    match write_atomically(&f.path, &f.original, &f.current) {
                        Ok(()) => {
                            let _ = writeln!(std::io::stderr(), "swarmaudit: wrote {}", f.display);
                        }
                        Err(e) => errors.push(FileError {
                            file: f.display.clone(),
                            line: None,
                            column: None,
                            message: format!("not written: {e}"),
                        }),
                    }
                }
            }
        }
    } else {
        let mut out = std::io::stdout().lock();
        if out
            .write_all(patch.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            return ExitStatus::Error;
        }
    }
    if refused || !errors.is_empty() {
        if args.write {
            for e in errors
                .iter()
                .filter(|e| e.message.starts_with("not written"))
            {
                eprint_error(&e.to_string());
            }
        }
        return ExitStatus::Error;
    }
    fail_on.gate(&remaining)
}

/// `# file:line:col SA301 services.web (unsafe): what and why`, then what may change, notes and,
/// for suggestions, the suggested text.
fn comment(err: &mut impl Write, a: &Applied, status: &str) {
    let r = &a.finding;
    let kind = a.fix.applicability.as_str();
    let status = if status.is_empty() {
        kind.to_string()
    } else if a.fix.applicability == Applicability::Display {
        format!("{kind}, never applied")
    } else {
        status.to_string()
    };
    let _ = writeln!(
        err,
        "# {}:{}:{} {} {} ({status}): {}",
        r.at.file,
        r.at.line,
        r.at.column,
        r.finding.rule,
        r.finding.object.qualified_name(),
        a.fix.title
    );
    if let Some(risk) = &a.fix.risk {
        let _ = writeln!(err, "#   may change: {risk}");
    }
    for n in &a.fix.notes {
        let _ = writeln!(err, "#   note: {n}");
    }
    if a.fix.applicability == Applicability::Display {
        for e in &a.fix.edits {
            for l in e.replacement.lines() {
                let _ = writeln!(err, "#   | {}", l.trim_end_matches('\r'));
            }
        }
    }
}

/// Replace `path` with `text` through a temporary file in the same directory and a rename,
/// keeping the file's permissions (and owner, where allowed). Refuses when the file changed
/// on disk since it was read.
pub fn write_atomically(path: &Path, read_as: &str, text: &str) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let now = std::fs::read(&target)?;
    if now != read_as.as_bytes() {
        return Err(std::io::Error::other(
            "the file changed on disk while it was being fixed",
        ));
    }
    let meta = std::fs::metadata(&target)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.swarmaudit-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::set_permissions(&tmp, meta.permissions())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // keep the owner when allowed (root); otherwise the file is the caller's, as with
            // any editor that saves by rename
            let _ = std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid()));
        }
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn run_live(args: &FixArgs, selection: &Selection, fail_on: FailOn) -> ExitStatus {
    let ep = match crate::live::connect::resolve(args.host.as_deref(), args.context.as_deref()) {
        Ok(ep) => ep,
        Err(e) => {
            eprint_error(&e.to_string());
            return ExitStatus::Error;
        }
    };
    let timeout = std::time::Duration::from_secs(args.timeout.max(1));
    let snapshot = match crate::live::collect::collect(&ep, args.stack.as_deref(), timeout) {
        Ok(s) => s,
        Err(e) => {
            eprint_error(&e.to_string());
            return ExitStatus::Error;
        }
    };
    let deployments = crate::live::lower::lower(&snapshot);
    let mut header = vec![
        format!(
            "swarmaudit fix --live: commands that fix the findings of {}{}.",
            ep.host,
            args.stack
                .as_deref()
                .map(|s| format!(" (stack {s})"))
                .unwrap_or_default()
        ),
        "Review before running: swarmaudit never runs them. They change the running swarm only;"
            .into(),
        "fix the stack files too (swarmaudit fix), or the next `docker stack deploy` undoes them."
            .into(),
    ];
    if let Some(h) = &args.host {
        header.push(format!("Daemon: DOCKER_HOST={h}"));
    }
    let mut cmds = vec![];
    let mut none = vec![];
    let mut remaining = vec![];
    for d in &deployments {
        let findings = engine::run_one(d, selection);
        let (c, n) = live::commands(d, &findings, &selection.settings);
        for f in &findings {
            let covered = c.iter().any(|c| {
                std::ptr::eq(&findings[c.finding], f) && (!c.unsafe_ || args.unsafe_fixes)
            });
            if !covered {
                remaining.push(f.clone());
            }
        }
        cmds.extend(c);
        none.extend(n);
    }
    cmds.sort_by(|a, b| (a.phase, &a.object, a.rule).cmp(&(b.phase, &b.object, b.rule)));
    let mut text = live::script(&header, &cmds, &none, args.unsafe_fixes);
    if let Some(h) = &args.host {
        text = text.replacen(
            "set -eu\n",
            &format!("set -eu\nexport DOCKER_HOST={}\n", live::sh(h)),
            1,
        );
    } else if let Some(c) = &args.context {
        text = text.replacen(
            "set -eu\n",
            &format!("set -eu\nexport DOCKER_CONTEXT={}\n", live::sh(c)),
            1,
        );
    }
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        return ExitStatus::Error;
    }
    let active = cmds
        .iter()
        .filter(|c| !c.unsafe_ || args.unsafe_fixes)
        .count();
    let _ = writeln!(
        std::io::stderr(),
        "swarmaudit: {} command{} for {} finding{}; {} left without one{}",
        active,
        if active == 1 { "" } else { "s" },
        cmds.len() + none.len(),
        if cmds.len() + none.len() == 1 {
            ""
        } else {
            "s"
        },
        remaining.len(),
        if cmds.len() > active {
            " (more with --unsafe-fixes)"
        } else {
            ""
        }
    );
    match fail_on.threshold() {
        Some(t) if remaining.iter().any(|f| f.severity >= t) => ExitStatus::GateFailed,
        _ => ExitStatus::Pass,
    }
}
