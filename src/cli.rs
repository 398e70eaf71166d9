//! Command line: `scan`, `rules`, `explain`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::engine::{self, Selection};
use crate::exit::ExitStatus;
use crate::finding::Severity;
use crate::load::{self, FileError};
use crate::model::interpolate::Env;
use crate::report::{self, Format, Report, Reported};
use crate::rules::catalog;

#[derive(Parser, Debug)]
#[command(
    name = "swarmaudit",
    version,
    about = "Security-hardening auditor for Docker Swarm stack files",
    long_about = "Audits Docker Swarm stack files the way `docker stack deploy` applies them: keys swarm \
ignores or rejects, host IPs it drops, the implicit unencrypted <stack>_default network, root users, \
exposed ports, missing limits, plaintext secrets, mutable images, missing healthchecks and unsafe \
update/rollback policy.\n\nExit codes: 0 no finding at or above --fail-on; 1 gate failed; 2 the audit \
could not be completed (bad flags, unreadable or invalid file)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Audit stack files (default: compose.yaml, compose.yml, docker-compose.yaml,
    /// docker-compose.yml, else docker-stack.yml in the current directory).
    Scan(Box<ScanArgs>),
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Print one rule's documentation.
    Explain {
        /// A rule id such as SA101.
        rule: String,
    },
    /// Record today's findings as a baseline (JSON on stdout): `swarmaudit baseline >
    /// .swarmaudit-baseline.json`, then `swarmaudit scan --baseline .swarmaudit-baseline.json`.
    Baseline(Box<ScanArgs>),
    /// Fix findings: a unified diff on stdout, or the files rewritten with --write; with
    /// --live, a reviewable shell script of docker commands.
    Fix(Box<crate::fix::cli::FixArgs>),
    /// Print this host's facts for the host checks as one line of JSON (used by the node probe
    /// of `scan --live --probe-nodes`).
    #[command(hide = true)]
    HostReport(HostReportArgs),
    /// Write a commented starter `.swarmaudit.yml`.
    Init {
        /// Directory to write it to.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(clap::Args, Debug)]
pub struct HostReportArgs {
    /// Print JSON (the only format).
    #[arg(long)]
    pub json: bool,
    /// Treat DIR as the host's `/`.
    #[arg(long, value_name = "DIR", env = "SWARMAUDIT_HOST_ROOT")]
    pub host_root: Option<PathBuf>,
    /// The node's hostname (default: the kernel's hostname under the root).
    #[arg(long, value_name = "NAME", env = "SWARMAUDIT_NODE_HOSTNAME")]
    pub hostname: Option<String>,
    /// The node's swarm id.
    #[arg(long, value_name = "ID", env = "SWARMAUDIT_NODE_ID")]
    pub node_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
    Never,
}

impl FailOn {
    pub(crate) fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }

    /// `--fail-on`, else the config file's `fail_on`, else high.
    pub(crate) fn resolve(flag: Option<FailOn>, config: &Config) -> FailOn {
        flag.or_else(|| {
            config
                .fail_on
                .as_deref()
                .and_then(|f| FailOn::from_str(f, true).ok())
        })
        .unwrap_or(FailOn::High)
    }

    /// The gate over what is reported: suppressed findings stay visible but never fail it.
    pub(crate) fn gate(self, findings: &[Reported]) -> ExitStatus {
        self.gate_totals(&report::Totals::of(findings))
    }

    /// [`FailOn::gate`] over findings already counted (a streamed scan keeps only the counts).
    pub(crate) fn gate_totals(self, totals: &report::Totals) -> ExitStatus {
        match self.threshold() {
            Some(t) if totals.any_at_or_above(t) => ExitStatus::GateFailed,
            _ => ExitStatus::Pass,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
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
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity that fails the gate (exit 1) [default: the config's `fail_on`, else high].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Only these rules: ids or family prefixes (SA101, SA2), comma-separated or repeated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Skip these rules: ids or family prefixes, comma-separated or repeated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// KEY=VALUE file for ${VAR} interpolation, on top of the process environment (repeatable).
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Audit the running swarm through the Docker Engine API (read-only, unless --probe-nodes)
    /// instead of files; on a node of that swarm, also this host (see --host-checks).
    /// With -c, also compare the deployed stack with the file (drift) and locate findings in it.
    #[arg(long)]
    pub live: bool,
    /// Check this host instead of files (SA708–SA714): the Docker socket, daemon.json, the
    /// running dockerd's flags and the swarm control port, with plain file reads (read-only).
    /// `--live` includes these checks when it runs on a node of the audited swarm.
    #[arg(long, conflicts_with_all = ["live", "paths", "compose_files"])]
    pub host_checks: bool,
    /// Treat DIR as the host's `/` for the host checks (a host root mounted elsewhere, or a
    /// test tree with etc/docker/daemon.json, proc/…, var/run/docker.sock).
    #[arg(long, value_name = "DIR", env = "SWARMAUDIT_HOST_ROOT")]
    pub host_root: Option<PathBuf>,
    /// With --live: run the host checks on every node. This CHANGES the cluster for a moment:
    /// it creates one `global-job` service (label io.swarmaudit.probe) from --probe-image with
    /// the hosts' /etc, /proc, /root and Docker socket mounted read-only, reads each node's
    /// report from the task logs and removes the service (also on failure, timeout or Ctrl-C).
    #[arg(long, requires = "live")]
    pub probe_nodes: bool,
    /// The swarmaudit image the node probe runs (present on, or pullable by, every node).
    #[arg(long, value_name = "IMAGE", requires = "probe_nodes", default_value = crate::probe::DEFAULT_IMAGE)]
    pub probe_image: String,
    /// Seconds the node probe may take in all.
    #[arg(
        long,
        value_name = "SECS",
        requires = "probe_nodes",
        default_value_t = 60
    )]
    pub probe_timeout: u64,
    /// Docker daemon to connect to (unix:///var/run/docker.sock, tcp://host:2376); default as
    /// the docker CLI: DOCKER_HOST, DOCKER_CONTEXT, the current context, the local socket.
    #[arg(short = 'H', long = "host", value_name = "HOST", requires = "live")]
    pub host: Option<String>,
    /// Use this docker CLI context (from ~/.docker/contexts).
    #[arg(long, value_name = "NAME", requires = "live", conflicts_with = "host")]
    pub context: Option<String>,
    /// Limit the live audit to one stack (label com.docker.stack.namespace).
    #[arg(long, value_name = "NAME", requires = "live")]
    pub stack: Option<String>,
    /// Seconds each Engine API call may take.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub timeout: u64,
    /// Config file [default: .swarmaudit.yml in the scanned path's directory or a parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report only findings whose fingerprints are not in this baseline (`swarmaudit baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// SARIF `automationDetails.id` category, one per upload to code scanning.
    #[arg(long, value_name = "NAME", default_value = "swarmaudit")]
    pub category: String,
    /// Image checks against registries: --resolve-images, --offline, --platform,
    /// --insecure-registry, --registry-timeout (see src/registry/cli.rs).
    #[command(flatten)]
    pub images: crate::registry::cli::ImageArgs,
}

pub(crate) fn eprint_error(msg: &str) {
    let _ = writeln!(std::io::stderr(), "swarmaudit: error: {msg}");
}

pub fn run(cli: Cli) -> ExitStatus {
    match cli.command {
        Command::Scan(args) => scan(*args, false),
        Command::Baseline(args) => scan(*args, true),
        Command::Fix(args) => crate::fix::cli::run(*args),
        Command::HostReport(args) => {
            let c = crate::host::collect(&crate::host::Options {
                root: args.host_root.unwrap_or_else(|| PathBuf::from("/")),
                hostname: args.hostname,
                node_id: args.node_id,
            });
            match serde_json::to_string(&c.report) {
                Ok(line) => {
                    println!("{line}");
                    ExitStatus::Pass
                }
                Err(e) => {
                    eprint_error(&format!("cannot render the host report: {e}"));
                    ExitStatus::Error
                }
            }
        }
        Command::Init { dir, force } => {
            let path = dir.join(crate::config::FILE_NAME);
            if path.exists() && !force {
                eprint_error(&format!(
                    "{} exists; use --force to overwrite it",
                    path.display()
                ));
                return ExitStatus::Error;
            }
            match std::fs::write(&path, crate::config::STARTER) {
                Ok(()) => {
                    let _ = writeln!(std::io::stderr(), "swarmaudit: wrote {}", path.display());
                    ExitStatus::Pass
                }
                Err(e) => {
                    eprint_error(&format!("cannot write {}: {e}", path.display()));
                    ExitStatus::Error
                }
            }
        }
        Command::Rules { format } => {
            print!("{}", rules_listing(format));
            ExitStatus::Pass
        }
        Command::Explain { rule } => match catalog::find(&rule) {
            Some(m) => {
                println!("{} {} — {}\n", m.id, m.name, m.title);
                println!(
                    "severity: {}{}   targets: {}   fix: {:?}",
                    m.severity,
                    m.security_severity
                        .map(|s| format!(" (security-severity {s:.1})"))
                        .unwrap_or_default(),
                    m.targets.join(", "),
                    m.fix
                );
                println!("\n{}\n", m.summary);
                println!("{}", m.body.trim());
                if !m.references.is_empty() {
                    println!("\nReferences:");
                    for r in &m.references {
                        println!("- {r}");
                    }
                }
                ExitStatus::Pass
            }
            None => {
                eprint_error(&format!("no rule `{rule}`; `swarmaudit rules` lists them"));
                ExitStatus::Error
            }
        },
    }
}

fn rules_listing(format: ListFormat) -> String {
    match format {
        ListFormat::Json => {
            let v: Vec<serde_json::Value> = catalog::all()
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id, "name": m.name, "title": m.title,
                        "severity": m.severity.as_str(),
                        "security_severity": m.security_severity,
                        "targets": m.targets, "fix": format!("{:?}", m.fix).to_lowercase(),
                        "summary": m.summary,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        ListFormat::Table => {
            let mut out = String::new();
            for m in catalog::all() {
                out.push_str(&format!(
                    "{:<6} {:<8} {:<11} {}\n",
                    m.id,
                    m.severity.as_str(),
                    m.targets.join(","),
                    m.title
                ));
            }
            out
        }
    }
}

pub(crate) fn build_env(files: &[PathBuf], errors: &mut Vec<FileError>) -> Env {
    let mut env = Env::from_process();
    for f in files {
        match std::fs::read_to_string(f) {
            Ok(text) => {
                if let Err((line, message)) = env.load_env_file(&text) {
                    errors.push(FileError {
                        file: crate::source::display_path(f),
                        line: Some(line),
                        column: Some(1),
                        message,
                    });
                }
            }
            Err(e) => errors.push(FileError {
                file: crate::source::display_path(f),
                line: None,
                column: None,
                message: format!("cannot read env file: {e}"),
            }),
        }
    }
    env
}

/// The result of a scan before rendering (also used by tests and benchmarks).
pub struct ScanOutcome {
    pub findings: Vec<Reported>,
    pub errors: Vec<FileError>,
    pub files_scanned: usize,
    pub files_failed: usize,
}

impl ScanOutcome {
    /// The outcome as a report (nothing left out by a baseline).
    pub fn report<'a>(&'a self, category: &'a str) -> Report<'a> {
        Report {
            findings: &self.findings,
            errors: &self.errors,
            files_scanned: self.files_scanned,
            files_failed: self.files_failed,
            in_baseline: 0,
            category,
        }
    }
}

pub fn scan_paths(
    paths: &[PathBuf],
    compose_files: &[PathBuf],
    env_files: &[PathBuf],
    selection: &Selection,
) -> Result<ScanOutcome, String> {
    scan_paths_with(
        paths,
        compose_files,
        env_files,
        selection,
        &Config::default(),
    )
}

/// [`scan_paths`] with a config file's exemptions applied.
pub fn scan_paths_with(
    paths: &[PathBuf],
    compose_files: &[PathBuf],
    env_files: &[PathBuf],
    selection: &Selection,
    config: &Config,
) -> Result<ScanOutcome, String> {
    scan_paths_resolving(
        paths,
        compose_files,
        env_files,
        selection,
        config,
        None,
        true,
    )
}

/// [`scan_paths_with`], with image facts from registries (`--resolve-images`) joined in.
/// `fixes`: build each finding's fix (SARIF `fixes[]`, JSON `fix_available`); the table and
/// GitHub formats do not show them and skip that work.
pub fn scan_paths_resolving(
    paths: &[PathBuf],
    compose_files: &[PathBuf],
    env_files: &[PathBuf],
    selection: &Selection,
    config: &Config,
    images: Option<&crate::registry::Resolver>,
    fixes: bool,
) -> Result<ScanOutcome, String> {
    let mut errors = vec![];
    let env = build_env(env_files, &mut errors);
    let (stacks, walked) = what_to_scan(paths, compose_files, &mut errors)?;
    let files_failed_before = errors.len();
    let mut audit = audit_stacks(&AuditSetup {
        stacks: &stacks,
        walked: &walked,
        env: &env,
        selection,
        config,
        images,
        fixes: fixes.then_some(crate::fix::Detail::Edits),
    });
    errors.extend(audit.errors);
    audit.findings.extend(crate::suppress::config_problems(
        config,
        &audit.exemptions_used,
        selection,
    ));
    report::sort(&mut audit.findings);
    Ok(ScanOutcome {
        findings: audit.findings,
        errors,
        files_scanned: audit.files_scanned,
        files_failed: audit.files_failed + files_failed_before,
    })
}

/// The stacks a file scan audits: the `-c` files as one stack, else each file given or found
/// below a directory, else the default file of the working directory. Stacks are in the order
/// of their (first) file's path as displayed, the order of the report. Paths that do not exist
/// go to `errors`.
fn what_to_scan(
    paths: &[PathBuf],
    compose_files: &[PathBuf],
    errors: &mut Vec<FileError>,
) -> Result<(Vec<Vec<PathBuf>>, Vec<bool>), String> {
    if !compose_files.is_empty() {
        return Ok((vec![compose_files.to_vec()], vec![false]));
    }
    if paths.is_empty() {
        let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
        return match load::default_file(&cwd) {
            Some(f) => Ok((vec![vec![f]], vec![false])),
            None => Err(format!(
                "no stack file given and none found in {}: looked for {}",
                cwd.display(),
                load::DEFAULT_FILES.join(", ")
            )),
        };
    }
    let d = load::discover(paths);
    errors.extend(d.errors);
    let cwd = std::env::current_dir().ok();
    let mut order: Vec<(String, Vec<PathBuf>, bool)> = d
        .stacks
        .into_iter()
        .zip(d.walked)
        .map(|(files, walked)| {
            let shown = files
                .first()
                .map(|f| crate::source::display_path_from(f, cwd.as_deref()))
                .unwrap_or_default();
            (shown, files, walked)
        })
        .collect();
    order.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(order.into_iter().map(|(_, f, w)| (f, w)).unzip())
}

/// A file scan written as it goes: each stack's findings are rendered on the thread that audited
/// it and written in stack order as soon as the stacks before it are done, then the summary. Memory
/// stays bounded per stack however many files are scanned, and the output is the same as
/// rendering the whole report at the end.
fn stream_scan(
    args: &ScanArgs,
    config: &Config,
    selection: &Selection,
    baseline: Option<&std::collections::HashSet<String>>,
) -> ExitStatus {
    let images = match args.images.resolver(false, None) {
        Ok(i) => i,
        Err(e) => {
            eprint_error(&e);
            return ExitStatus::Error;
        }
    };
    // the rule catalog and the credential detectors, which every audit starts by waiting for,
    // are built on another core while the files are found
    let _ = std::thread::Builder::new().spawn(|| {
        crate::rules::catalog::all();
        crate::detect::warm_up();
    });
    let mut errors = vec![];
    let env = build_env(&args.env_file, &mut errors);
    let (stacks, walked) = match what_to_scan(&args.paths, &args.compose_files, &mut errors) {
        Ok(s) => s,
        Err(e) => {
            eprint_error(&e);
            return ExitStatus::Error;
        }
    };
    let files_failed_before = errors.len();
    let format = args.format;
    let to_tty = args.output.is_none() && std::io::stdout().is_terminal();
    let color = format == Format::Table && to_tty && std::env::var_os("NO_COLOR").is_none();
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprint_error(&format!("cannot write {}: {e}", path.display()));
                return ExitStatus::Error;
            }
        },
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, sink);
    let mut write_error: Option<std::io::Error> = None;
    let mut put = |text: &str| {
        if write_error.is_none() {
            if let Err(e) = out.write_all(text.as_bytes()) {
                write_error = Some(e);
            }
        }
    };
    let (mut streamer, head) = report::Streamer::start(format, &args.category);
    put(&head);

    /// One stack, rendered.
    struct Done {
        text: String,
        totals: report::Totals,
        in_baseline: usize,
        errors: Vec<FileError>,
        files_scanned: usize,
        files_failed: usize,
    }
    let rendered = |mut findings: Vec<Reported>| -> (String, report::Totals, usize) {
        report::number_repeated_fingerprints(&mut findings);
        let before = findings.len();
        if let Some(b) = baseline {
            findings.retain(|r| !b.contains(&r.fingerprint));
        }
        let in_baseline = before - findings.len();
        let totals = report::Totals::of(&findings);
        (report::chunk(format, &findings, color), totals, in_baseline)
    };
    let mut totals = report::Totals::default();
    let mut in_baseline = 0;
    let (mut files_scanned, mut files_failed) = (0, files_failed_before);
    let setup = AuditSetup {
        stacks: &stacks,
        walked: &walked,
        env: &env,
        selection,
        config,
        images: images.as_ref(),
        fixes: match format {
            Format::Json => Some(crate::fix::Detail::Availability),
            Format::Sarif => Some(crate::fix::Detail::Edits),
            Format::Table | Format::Github => None,
        },
    };
    let exemptions_used = audit_each(
        &setup,
        |audit| {
            let (text, totals, in_baseline) = rendered(audit.findings);
            Done {
                text,
                totals,
                in_baseline,
                errors: audit.errors,
                files_scanned: audit.files_scanned,
                files_failed: audit.files_failed,
            }
        },
        |done| {
            put(streamer.separator(&done.text));
            put(&done.text);
            totals.add(&done.totals);
            in_baseline += done.in_baseline;
            errors.extend(done.errors);
            files_scanned += done.files_scanned;
            files_failed += done.files_failed;
        },
    );
    // exemptions in the config that matched nothing: known once every stack is audited
    let mut problems = crate::suppress::config_problems(config, &exemptions_used, selection);
    report::sort_only(&mut problems);
    let (text, t, n) = rendered(problems);
    put(streamer.separator(&text));
    put(&text);
    totals.add(&t);
    in_baseline += n;
    if let Some(images) = &images {
        crate::registry::cli::report(images);
    }
    let tail = report::Tail {
        totals,
        errors: &errors,
        files_scanned,
        files_failed,
        in_baseline,
        category: &args.category,
    };
    put(&streamer.finish(&tail));
    if write_error.is_none() {
        if let Err(e) = out.flush() {
            write_error = Some(e);
        }
    }
    if format != Format::Table {
        for e in &errors {
            eprint_error(&e.to_string());
        }
    }
    if let Some(e) = write_error {
        if let Some(path) = &args.output {
            eprint_error(&format!("cannot write {}: {e}", path.display()));
        }
        return ExitStatus::Error;
    }
    if !errors.is_empty() {
        return ExitStatus::Error;
    }
    FailOn::resolve(args.fail_on, config).gate_totals(&totals)
}

/// Host checks of this machine (`--host-checks`): collect, lower, audit.
fn host_scan(
    args: &ScanArgs,
    selection: &Selection,
    config: &Config,
) -> Result<ScanOutcome, String> {
    let c = crate::host::collect(&crate::host::Options {
        root: args.host_root.clone().unwrap_or_else(|| PathBuf::from("/")),
        ..crate::host::Options::default()
    });
    let mut sources = crate::source::SourceMap::default();
    let facts = crate::host::lower(&c.report, c.daemon_json, &mut sources);
    let d = crate::host::deployment(facts);
    let mut used = vec![0; config.exemptions.len()];
    let mut findings: Vec<Reported> = engine::run_one(&d, selection)
        .into_iter()
        .map(|f| locate_host(Reported::new(f, &sources)))
        .collect();
    let problems =
        crate::suppress::apply(&mut findings, &d, &sources, config, selection, &mut used);
    findings.extend(problems);
    findings.extend(crate::suppress::config_problems(config, &used, selection));
    report::sort(&mut findings);
    Ok(ScanOutcome {
        findings,
        errors: vec![],
        files_scanned: sources.len(),
        files_failed: 0,
    })
}

/// A host finding outside any file gets the stable synthetic artifact `host/<hostname>`.
fn locate_host(mut r: Reported) -> Reported {
    if r.at.file.is_empty() {
        r.at.file = format!("host/{}", r.finding.object.name);
        r.fingerprint = r.finding.fingerprint(&r.at.file);
    }
    r
}

/// Live mode: collect, lower, audit; locate findings in the stack file when one is given (by
/// service name), else at a stable synthetic path `swarm/<stack>/<kind>s/<name>`.
fn live_scan(
    args: &ScanArgs,
    selection: &Selection,
    config: &Config,
) -> Result<ScanOutcome, String> {
    let ep = crate::live::connect::resolve(args.host.as_deref(), args.context.as_deref())
        .map_err(|e| e.to_string())?;
    let timeout = std::time::Duration::from_secs(args.timeout.max(1));
    let mut snapshot = crate::live::collect::collect(&ep, args.stack.as_deref(), timeout)
        .map_err(|e| e.to_string())?;
    let _ = writeln!(
        std::io::stderr(),
        "swarmaudit: read {} service(s), {} node(s), {} network(s) from {} with {} API calls",
        snapshot.services.len(),
        snapshot.nodes.len(),
        snapshot.networks.len(),
        ep.host,
        snapshot.api_calls
    );
    let platform = crate::registry::live::swarm_platform(&snapshot);
    let images = args.images.resolver(true, platform)?;
    if let Some(images) = &images {
        crate::registry::live::resolve_snapshot(&mut snapshot, images);
        crate::registry::cli::report(images);
    }
    let mut deployments = crate::live::lower::lower(&snapshot);
    if let Some(images) = &images {
        for d in &mut deployments {
            crate::registry::mark_insecure(d, images);
        }
    }
    let mut errors = vec![];
    let env = build_env(&args.env_file, &mut errors);
    let mut loaded = load::Loaded::default();
    if !args.compose_files.is_empty() {
        load::load_stack(&mut loaded, &args.compose_files, false, &env);
    }
    if args.probe_nodes {
        add_probed_hosts(args, &ep, &snapshot, &mut deployments, &mut loaded.sources)?;
    } else if crate::host::RULE_IDS.iter().any(|id| selection.enabled(id)) {
        add_local_host(
            args,
            &ep,
            &snapshot,
            timeout,
            &mut deployments,
            &mut loaded.sources,
        );
    }
    let file_stack = loaded.stacks.first();
    let mut findings = vec![];
    let mut used = vec![0; config.exemptions.len()];
    for d in &deployments {
        let mut found: Vec<Reported> = engine::run_one(d, selection)
            .into_iter()
            .map(|f| locate_live(f, d, file_stack, &loaded.sources))
            .collect();
        let problems =
            crate::suppress::apply(&mut found, d, &loaded.sources, config, selection, &mut used);
        findings.extend(found);
        findings.extend(problems);
    }
    findings.extend(crate::suppress::config_problems(config, &used, selection));
    if let Some(file) = file_stack.filter(|_| selection.enabled("SA006")) {
        let stack = args.stack.as_deref().unwrap_or(&file.stack);
        let live = deployments.iter().find(|d| d.stack == stack);
        for f in crate::rules::stack_deploy::drift::compare(file, live, stack) {
            findings.push(Reported::new(f, &loaded.sources));
        }
    }
    report::sort(&mut findings);
    errors.append(&mut loaded.errors);
    Ok(ScanOutcome {
        findings,
        errors,
        files_scanned: loaded.files_scanned,
        files_failed: loaded.files_failed,
    })
}

/// `--probe-nodes`: every node's host facts, read by the probe service (see `crate::probe`).
fn add_probed_hosts(
    args: &ScanArgs,
    ep: &crate::live::connect::Endpoint,
    snapshot: &crate::live::collect::Snapshot,
    deployments: &mut [crate::model::Deployment],
    sources: &mut crate::source::SourceMap,
) -> Result<(), String> {
    let timeout = std::time::Duration::from_secs(args.probe_timeout.max(1));
    let reports = crate::probe::run(ep, snapshot, &args.probe_image, timeout)?;
    let failed = reports.iter().filter(|r| r.report.is_err()).count();
    let _ = writeln!(
        std::io::stderr(),
        "swarmaudit: probed {} node(s) with a {} service from {} (removed again){}",
        reports.len(),
        crate::probe::LABEL,
        args.probe_image,
        if failed > 0 {
            format!("; {failed} without a report, their host facts are unknown")
        } else {
            String::new()
        }
    );
    let Some(d) = deployments.iter_mut().find(|d| d.cluster.is_some()) else {
        return Ok(());
    };
    for r in reports {
        d.hosts.push(match &r.report {
            Ok(report) => crate::host::lower(report, None, sources),
            Err(reason) => crate::host::unknown_facts(&r.hostname, &r.node_id, reason),
        });
    }
    Ok(())
}

/// Live mode on a node of the audited swarm: add this host's facts to the swarm-wide
/// deployment, named after the node, so the host rules judge them too.
fn add_local_host(
    args: &ScanArgs,
    ep: &crate::live::connect::Endpoint,
    snapshot: &crate::live::collect::Snapshot,
    timeout: std::time::Duration,
    deployments: &mut [crate::model::Deployment],
    sources: &mut crate::source::SourceMap,
) {
    let node = crate::live::local_node_id(ep, snapshot, timeout)
        .and_then(|id| snapshot.nodes.iter().find(|n| n.id.as_deref() == Some(&id)));
    let Some(node) = node else {
        let _ = writeln!(
            std::io::stderr(),
            "swarmaudit: host checks (SA708-SA714) skipped: this machine is not a node of the audited swarm"
        );
        return;
    };
    let hostname = node.description.as_ref().and_then(|d| d.hostname.clone());
    let c = crate::host::collect(&crate::host::Options {
        root: args.host_root.clone().unwrap_or_else(|| PathBuf::from("/")),
        hostname,
        node_id: node.id.clone(),
    });
    // in a container (the image with the socket mounted) the host's processes are not visible:
    // its /etc and /proc would be judged as the host's
    if matches!(c.report.dockerd, crate::model::host::HostFact::Known(None)) {
        let _ = writeln!(
            std::io::stderr(),
            "swarmaudit: host checks (SA708-SA714) skipped: no dockerd process is visible here (in a container, mount the host's / and pass --host-root; or use --probe-nodes)"
        );
        return;
    }
    let facts = crate::host::lower(&c.report, c.daemon_json, sources);
    if let Some(d) = deployments.iter_mut().find(|d| d.cluster.is_some()) {
        d.hosts.push(facts);
    }
}

/// Give a live finding a physical location: the service's key in the stack file when it has
/// one there, else the synthetic artifact `swarm/<stack>/<kind>s/<real name>`.
fn locate_live(
    f: crate::finding::Finding,
    d: &crate::model::Deployment,
    file: Option<&crate::model::Deployment>,
    sources: &crate::source::SourceMap,
) -> Reported {
    let file_loc = file.and_then(|fd| match f.object.kind {
        crate::finding::ObjectKind::Service => fd
            .services
            .iter()
            .find(|s| s.name == f.object.name)
            .map(|s| s.loc.clone()),
        crate::finding::ObjectKind::Network => fd.network(&f.object.name).map(|n| n.loc.clone()),
        crate::finding::ObjectKind::Secret => fd
            .secrets
            .iter()
            .find(|s| s.name == f.object.name)
            .map(|s| s.loc.clone()),
        crate::finding::ObjectKind::Config => fd
            .configs
            .iter()
            .find(|s| s.name == f.object.name)
            .map(|s| s.loc.clone()),
        _ => None,
    });
    let mut r = Reported::new(f, sources);
    match file_loc {
        Some(loc) => {
            let at = crate::report::resolve(&loc, sources);
            r.at = crate::report::Resolved {
                api_path: r.at.api_path.take(),
                ..at
            };
        }
        // a host finding in the node's daemon.json keeps its file
        None if !r.at.file.is_empty() => {}
        None => {
            let o = &r.finding.object;
            let name = o.full_name.as_deref().unwrap_or(&o.name);
            r.at.file = match (&d.cluster, o.kind) {
                (Some(_), crate::finding::ObjectKind::Swarm) => "swarm/cluster".to_string(),
                (Some(_), kind) => format!("swarm/{}/{name}", kind.section()),
                (None, kind) => format!(
                    "swarm/stacks/{}/{}/{name}",
                    if d.stack.is_empty() {
                        "-"
                    } else {
                        d.stack.as_str()
                    },
                    kind.section()
                ),
            };
        }
    }
    r.fingerprint = r.finding.fingerprint(&r.at.file);
    r
}

/// What auditing a list of stacks produced.
#[derive(Default)]
struct Audit {
    findings: Vec<Reported>,
    /// Matches per config exemption.
    exemptions_used: Vec<usize>,
    errors: Vec<FileError>,
    files_scanned: usize,
    files_failed: usize,
}

/// What the stacks of a run are audited with.
struct AuditSetup<'a> {
    stacks: &'a [Vec<PathBuf>],
    walked: &'a [bool],
    env: &'a Env,
    selection: &'a Selection,
    config: &'a Config,
    images: Option<&'a crate::registry::Resolver>,
    /// Build each finding's fix (SARIF `fixes[]`, JSON `fix_available`), to this detail.
    fixes: Option<crate::fix::Detail>,
}

/// Audit stacks one at a time (load, run rules, render locations, drop the text and model, so
/// memory stays bounded per file), spread over the machine's cores by [`crate::par::ordered`]:
/// `finish` turns a stack's audit (findings sorted) into what the caller keeps — on the
/// auditing thread — and `emit` receives those on the calling thread in stack order. A panic while auditing one stack is
/// contained there: its files are reported as failed and the others are still audited.
/// Returns the matches per config exemption.
fn audit_each<T: Send>(
    setup: &AuditSetup,
    finish: impl Fn(Audit) -> T + Sync,
    mut emit: impl FnMut(T),
) -> Vec<usize> {
    let AuditSetup {
        stacks,
        walked,
        env,
        selection,
        config,
        images,
        fixes,
    } = *setup;
    let exemptions = config.exemptions.len();
    // one stack: its findings (sorted), errors and counts
    let one = |i: usize, exemptions_used: &mut [usize]| -> Audit {
        let mut loaded = load::Loaded {
            keep_trees: fixes.is_some(),
            ..load::Loaded::default()
        };
        let mut audit = Audit::default();
        load::load_stack(
            &mut loaded,
            &stacks[i],
            walked.get(i).copied().unwrap_or(false),
            env,
        );
        for mut d in loaded.stacks.drain(..) {
            if let Some(images) = images {
                crate::registry::annotate(&mut d, images);
            }
            let mut found: Vec<Reported> = engine::run_one(&d, selection)
                .into_iter()
                .map(|f| Reported::new(f, &loaded.sources))
                .collect();
            let problems = crate::suppress::apply(
                &mut found,
                &d,
                &loaded.sources,
                config,
                selection,
                exemptions_used,
            );
            // fixes for SARIF `fixes[]` and JSON `fix_available` (needs the text)
            if let Some(detail) = fixes {
                let trees = std::mem::take(&mut loaded.trees);
                crate::fix::attach(
                    &mut found,
                    &d,
                    &loaded.sources,
                    &selection.settings,
                    trees,
                    detail,
                );
            }
            // a stack is nearly always one deployment: take its findings rather than copy them
            if audit.findings.is_empty() {
                audit.findings = found;
            } else {
                audit.findings.extend(found);
            }
            audit.findings.extend(problems);
        }
        report::sort_only(&mut audit.findings);
        audit.errors = loaded.errors;
        audit.files_scanned = loaded.files_scanned;
        audit.files_failed = loaded.files_failed;
        audit
    };
    let guarded = |i: usize, used: &mut [usize]| -> T {
        let audit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| one(i, used)))
            .unwrap_or_else(|_| Audit {
                errors: stacks[i]
                    .iter()
                    .map(|p| FileError {
                        file: crate::source::display_path(p),
                        line: None,
                        column: None,
                        message: "internal error while auditing this file; please report it".into(),
                    })
                    .collect(),
                files_scanned: stacks[i].len(),
                files_failed: stacks[i].len(),
                ..Audit::default()
            });
        finish(audit)
    };
    let mut exemptions_used = vec![0; exemptions];
    crate::par::ordered(
        stacks.len(),
        |i| {
            let mut used = vec![0; exemptions];
            (guarded(i, &mut used), used)
        },
        |(t, used)| {
            for (a, b) in exemptions_used.iter_mut().zip(&used) {
                *a += b;
            }
            emit(t);
        },
    );
    exemptions_used
}

/// [`audit_each`], collected: every stack's findings, errors and counts in stack order.
fn audit_stacks(setup: &AuditSetup) -> Audit {
    let mut all = Audit::default();
    all.exemptions_used = audit_each(
        setup,
        |audit| audit,
        |audit| {
            all.findings.extend(audit.findings);
            all.errors.extend(audit.errors);
            all.files_scanned += audit.files_scanned;
            all.files_failed += audit.files_failed;
        },
    );
    all
}

/// The config that applies: `--config FILE`, else `.swarmaudit.yml` found by walking up from
/// the first `-c` file or path (or the current directory).
fn find_config(
    flag: Option<&Path>,
    compose_files: &[PathBuf],
    paths: &[PathBuf],
) -> Result<Config, Vec<FileError>> {
    if let Some(p) = flag {
        return crate::config::load(p);
    }
    let start = compose_files
        .first()
        .or(paths.first())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    match crate::config::discover(&start) {
        Some(p) => crate::config::load(&p),
        None => Ok(Config::default()),
    }
}

/// What `scan` and `fix` share: the config that applies and the rule selection from the flags
/// and the config; `None` after printing why (exit 2).
pub(crate) fn config_and_selection(
    flag: Option<&Path>,
    compose_files: &[PathBuf],
    paths: &[PathBuf],
    select: &[String],
    ignore: &[String],
) -> Option<(Config, Selection)> {
    let config = match find_config(flag, compose_files, paths) {
        Ok(c) => c,
        Err(errors) => {
            for e in errors {
                eprint_error(&e.to_string());
            }
            return None;
        }
    };
    let selection = Selection {
        select: select.to_vec(),
        ignore: ignore.to_vec(),
        disabled: config.disabled.clone(),
        severity: config.severity.clone(),
        settings: config.settings.clone(),
    };
    if let Err(e) = selection.validate() {
        eprint_error(&e);
        return None;
    }
    Some((config, selection))
}

fn scan(args: ScanArgs, baseline_mode: bool) -> ExitStatus {
    let Some((config, selection)) = config_and_selection(
        args.config.as_deref(),
        &args.compose_files,
        &args.paths,
        &args.select,
        &args.ignore,
    ) else {
        return ExitStatus::Error;
    };
    let baseline = match args.baseline.as_deref().map(crate::baseline::load) {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            eprint_error(&e);
            return ExitStatus::Error;
        }
    };
    if !baseline_mode && !args.host_checks && !args.live {
        return stream_scan(&args, &config, &selection, baseline.as_ref());
    }
    let result = if args.host_checks {
        host_scan(&args, &selection, &config)
    } else if args.live {
        if !args.paths.is_empty() {
            eprint_error("--live audits the swarm; give the stack file with -c to compare it with what is deployed");
            return ExitStatus::Error;
        }
        live_scan(&args, &selection, &config)
    } else {
        match args.images.resolver(false, None) {
            Err(e) => Err(e),
            Ok(images) => {
                let outcome = scan_paths_resolving(
                    &args.paths,
                    &args.compose_files,
                    &args.env_file,
                    &selection,
                    &config,
                    images.as_ref(),
                    matches!(args.format, Format::Json | Format::Sarif),
                );
                if let Some(images) = &images {
                    crate::registry::cli::report(images);
                }
                outcome
            }
        }
    };
    // The process ends after this: freeing tens of thousands of findings one by one took
    // longer than rendering them, and the memory goes back to the system at exit anyway.
    let mut outcome = match result {
        Ok(o) => std::mem::ManuallyDrop::new(o),
        Err(e) => {
            eprint_error(&e);
            return ExitStatus::Error;
        }
    };
    if baseline_mode {
        print!("{}", crate::baseline::render(&outcome.findings));
        return if outcome.errors.is_empty() {
            ExitStatus::Pass
        } else {
            for e in &outcome.errors {
                eprint_error(&e.to_string());
            }
            ExitStatus::Error
        };
    }
    let mut in_baseline = 0;
    if let Some(b) = &baseline {
        let before = outcome.findings.len();
        outcome.findings.retain(|r| !b.contains(&r.fingerprint));
        in_baseline = before - outcome.findings.len();
    }
    let report = Report {
        findings: &outcome.findings,
        errors: &outcome.errors,
        files_scanned: outcome.files_scanned,
        files_failed: outcome.files_failed,
        in_baseline,
        category: &args.category,
    };
    let to_tty = args.output.is_none() && std::io::stdout().is_terminal();
    let color = args.format == Format::Table && to_tty && std::env::var_os("NO_COLOR").is_none();
    let text = report::render(args.format, &report, color);
    if args.format != Format::Table {
        for e in &outcome.errors {
            eprint_error(&e.to_string());
        }
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                eprint_error(&format!("cannot write {}: {e}", path.display()));
                return ExitStatus::Error;
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return ExitStatus::Error;
            }
        }
    }
    if !outcome.errors.is_empty() {
        return ExitStatus::Error;
    }
    FailOn::resolve(args.fail_on, &config).gate(&outcome.findings)
}
