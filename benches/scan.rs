//! Scan benchmark (harness = false): in-process parse-only vs full scan, figures printed.
//!
//! ```text
//! cargo bench --bench scan                      # ../shared/corpus (when present) + 10,000 generated files
//! cargo bench --bench scan -- DIR [DIR...]      # these directories
//! cargo bench --bench scan -- --runs 9 DIR      # best/median of 9 (default 5)
//! cargo bench --bench scan -- --cli target/release/swarmaudit DIR   # also the CLI, end to end
//! cargo bench --bench scan -- --generate DIR [--count N] [--seed S]
//! SWARMAUDIT_BENCH_DIRS=a:b cargo bench --bench scan
//! ```
//!
//! For every corpus it times, over the same files (those `swarmaudit scan DIR` reads):
//! reading only; parse-only with serde-saphyr into `IgnoredAny`; parse-only with serde-saphyr's
//! event parser (granit-parser: events, no tree — the floor of any loader on this library);
//! parse-only with `swarmaudit::yaml::load` (the spanned tree built from those events, what the
//! tool does); the full
//! `cli::scan_paths` (load, interpolate, lower, audit, resolve, sort); JSON rendering alone; and
//! the scan plus JSON rendering. The parse-only phases are spread over the same number of threads
//! as the scan, so the ratio compares like with like. Each phase reports best and median wall
//! time, CPU time per run (steadier than wall time on a busy machine), files/s, MB/s and the
//! process's peak RSS during that phase. With `--cli PATH` it also runs that `swarmaudit`
//! binary end to end (`scan DIR --format table|json --fail-on never`, output to /dev/null) and
//! prints its wall time against the parse-only phases: the throughput a user gets, next to the
//! time to merely parse the same bytes. Figures only; nothing here asserts a timing.
//!
//! Run outside `cargo bench` without arguments (e.g. `cargo test --benches`), it does a quick
//! smoke run over 200 generated files instead.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use swarmaudit::cli::scan_paths;
use swarmaudit::engine::Selection;
use swarmaudit::report::{self, Format};
use swarmaudit::source::{FileId, SourceFile};

const DEFAULT_RUNS: usize = 5;
const DEFAULT_COUNT: usize = 10_000;
const DEFAULT_SEED: u64 = 0x5eed_5a11_ad17_2025;
/// Generated files per sub-directory (`s00/`, `s01/`, ...): the first directory is a
/// 1,000-file corpus of its own.
const PER_DIR: usize = 1_000;

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let mut runs = DEFAULT_RUNS;
    let mut count = DEFAULT_COUNT;
    let mut seed = DEFAULT_SEED;
    let mut generate: Option<PathBuf> = None;
    let mut dirs: Vec<PathBuf> = vec![];
    let mut cli: Option<PathBuf> = None;
    let mut under_cargo_bench = false;
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| die(&format!("{name} needs a value")))
        };
        match a.as_str() {
            // cargo bench passes --bench to harness = false targets
            "--bench" => under_cargo_bench = true,
            "--runs" => runs = parse_num(&value("--runs")).max(1) as usize,
            "--count" => count = parse_num(&value("--count")) as usize,
            "--seed" => seed = parse_num(&value("--seed")),
            "--generate" => generate = Some(PathBuf::from(value("--generate"))),
            "--cli" => cli = Some(PathBuf::from(value("--cli"))),
            "-h" | "--help" => {
                println!(
                    "usage: scan [--runs N] [--cli PATH] [DIR...] | --generate DIR [--count N] [--seed S]"
                );
                return;
            }
            s if s.starts_with('-') => die(&format!("unknown option {s}")),
            _ => dirs.push(PathBuf::from(a)),
        }
    }

    if let Some(dir) = generate {
        let (files, bytes) = generate_corpus(&dir, count, seed)
            .unwrap_or_else(|e| die(&format!("cannot write {}: {e}", dir.display())));
        println!(
            "generated {files} files, {:.2} MB in {}",
            mb(bytes),
            dir.display()
        );
        return;
    }

    if dirs.is_empty() {
        if let Some(v) = std::env::var_os("SWARMAUDIT_BENCH_DIRS") {
            dirs = std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
        }
    }
    if !dirs.is_empty() {
        for d in &dirs {
            if !d.is_dir() {
                die(&format!("{} is not a directory", d.display()));
            }
            bench_dir(d, &d.display().to_string(), runs, cli.as_deref());
        }
        return;
    }

    // Defaults: the shared real-world corpus, then a generated one in a temporary directory.
    let (count, runs) = if under_cargo_bench {
        (count, runs)
    } else {
        println!("(smoke run: not under `cargo bench`, 200 generated files, 1 run)");
        (200, 1)
    };
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if under_cargo_bench {
        if shared.is_dir() {
            bench_dir(&shared, "../shared/corpus", runs, cli.as_deref());
        } else {
            println!("../shared/corpus: absent, skipped");
        }
    }
    let tmp = tempfile::Builder::new()
        .prefix("swarmaudit-bench-")
        .tempdir()
        .unwrap_or_else(|e| die(&format!("cannot create a temporary directory: {e}")));
    generate_corpus(tmp.path(), count, seed)
        .unwrap_or_else(|e| die(&format!("cannot generate the corpus: {e}")));
    bench_dir(
        tmp.path(),
        &format!("generated ({count} files)"),
        runs,
        cli.as_deref(),
    );
}

fn die(msg: &str) -> ! {
    eprintln!("scan bench: {msg}");
    std::process::exit(2)
}

fn parse_num(s: &str) -> u64 {
    let r = match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.replace('_', "").parse(),
    };
    r.unwrap_or_else(|_| die(&format!("not a number: {s}")))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// Best and median wall time of the timed runs, and the peak RSS of the process over them.
struct Stats {
    best: Duration,
    median: Duration,
    /// CPU time (user + system, all threads) per run: less sensitive than wall time to other
    /// work on a busy machine.
    cpu_per_run: Option<Duration>,
    peak_rss_kb: Option<u64>,
}

/// Best and median of `runs` timed runs; `warm_up` adds an untimed run first (the first phase
/// over a corpus warms the page cache for the others).
fn measure<R>(runs: usize, warm_up: bool, mut f: impl FnMut() -> R) -> (Stats, R) {
    if warm_up {
        drop(f());
    }
    reset_peak_rss();
    let cpu_before = cpu_time();
    let mut times = Vec::with_capacity(runs);
    let mut result = None;
    for _ in 0..runs {
        drop(result.take()); // keep at most one result alive, as a single scan would
        let t = Instant::now();
        let r = f();
        times.push(t.elapsed());
        result = Some(r);
    }
    let cpu_per_run = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before) / runs as u32);
    times.sort();
    let stats = Stats {
        best: times[0],
        median: times[times.len() / 2],
        cpu_per_run,
        peak_rss_kb: peak_rss_kb(),
    };
    (stats, result.expect("at least one run"))
}

/// Linux: reset the process's peak RSS (VmHWM) so each phase reports its own peak.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Linux: user + system CPU time of the process, joined threads included (clock ticks of
/// 10 ms, the usual USER_HZ).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11); // state is field 3; utime is 14
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Linux: user + system CPU time of the process's waited-for children (fields 16 and 17 of
/// /proc/self/stat, clock ticks of 10 ms).
fn children_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(13);
    let cutime: u64 = fields.next()?.parse().ok()?;
    let cstime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((cutime + cstime) * 10))
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn threads_for(n: usize) -> usize {
    // the same split as the scan (cli::audit_stacks)
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(n.max(1))
}

/// Run `work` over contiguous chunks of `files` on `threads` threads and sum the results.
fn par_sum(files: &[PathBuf], threads: usize, work: impl Fn(&Path) -> u64 + Sync) -> u64 {
    if threads <= 1 {
        return files.iter().map(|p| work(p)).sum();
    }
    let chunk = files.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|c| {
                let work = &work;
                std::thread::Builder::new()
                    .stack_size(8 << 20)
                    .spawn_scoped(s, move || c.iter().map(|p| work(p)).sum::<u64>())
                    .expect("spawn")
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("join")).sum()
    })
}

fn saphyr_options() -> serde_saphyr::Options {
    // the options the loader used when it went through serde-saphyr's serde layer (kept as the
    // oracle in tests/yaml_oracle.rs): the same budgets and policies as `yaml::load`
    serde_saphyr::options! {
        legacy_octal_numbers: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        budget: serde_saphyr::budget! { max_depth: 32, max_nodes: 250_000, enforce_alias_anchor_ratio: false },
    }
}

fn bench_dir(dir: &Path, label: &str, runs: usize, cli: Option<&Path>) {
    // The files the scan reads: discovery as `swarmaudit scan DIR` does it.
    let files: Vec<PathBuf> = swarmaudit::load::discover(&[dir.to_path_buf()])
        .stacks
        .into_iter()
        .flatten()
        .collect();
    let bytes: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let n = files.len();
    let threads = threads_for(n);
    println!(
        "\n{label}: {n} files, {:.2} MB, {threads} threads, best/median of {runs} runs",
        mb(bytes)
    );
    if n == 0 {
        println!("  no .yml/.yaml files");
        return;
    }

    let (read, _) = measure(runs, true, || {
        par_sum(&files, threads, |p| {
            std::fs::read(p).map_or(0, |b| std::hint::black_box(b).len() as u64)
        })
    });
    let (ignored, ignored_failed) = measure(runs, false, || {
        par_sum(&files, threads, |p| {
            let Ok(text) = std::fs::read_to_string(p) else {
                return 1;
            };
            let r = serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(
                &text,
                saphyr_options(),
            );
            u64::from(std::hint::black_box(r).is_err())
        })
    });
    // the YAML library's own floor: serde-saphyr's event parser (granit-parser), events only
    let (events, events_failed) = measure(runs, false, || {
        par_sum(&files, threads, |p| {
            let Ok(text) = std::fs::read_to_string(p) else {
                return 1;
            };
            let mut parser = serde_saphyr::granit_parser::Parser::new_from_str(&text);
            let mut failed = 0;
            for ev in parser.by_ref() {
                if std::hint::black_box(ev).is_err() {
                    failed = 1;
                    break;
                }
            }
            failed
        })
    });
    let (spanned, spanned_failed) = measure(runs, false, || {
        par_sum(&files, threads, |p| {
            let Ok(text) = std::fs::read_to_string(p) else {
                return 1;
            };
            let src = SourceFile::new(p.to_path_buf(), text);
            let r = swarmaudit::yaml::load(FileId(0), &src);
            u64::from(std::hint::black_box(r).is_err())
        })
    });
    let selection = Selection::default();
    let paths = [dir.to_path_buf()];
    let scan = || scan_paths(&paths, &[], &[], &selection).expect("scan");
    let (scanned, outcome) = measure(runs, false, scan);
    let (render_only, _) = measure(runs, false, || {
        report::render(Format::Json, &outcome.report("swarmaudit"), false).len()
    });
    let (rendered, json_len) = measure(runs, false, || {
        let o = scan();
        report::render(Format::Json, &o.report("swarmaudit"), false).len()
    });

    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {:<38} {:>9} {:>9} {:>10} {:>9} {:>8} {:>9}",
        "in-process phase", "best ms", "median ms", "CPU ms/run", "files/s", "MB/s", "peak RSS"
    );
    for (name, s) in [
        ("read only", &read),
        ("parse-only serde-saphyr -> IgnoredAny", &ignored),
        ("parse-only YAML events (granit-parser)", &events),
        ("parse-only yaml::load (tree with spans)", &spanned),
        ("scan (cli::scan_paths)", &scanned),
        ("JSON render only (of that outcome)", &render_only),
        ("scan + JSON render", &rendered),
    ] {
        let r = Rates::of(s, n, bytes);
        let _ = writeln!(
            out,
            "  {name:<38} {:>9.1} {:>9.1} {:>10} {:>9.0} {:>8.1} {:>9}",
            r.best_ms,
            r.median_ms,
            r.cpu_ms,
            r.files_per_s,
            r.mb_per_s,
            s.peak_rss_kb
                .map_or("n/a".into(), |k| format!("{:.1} MB", k as f64 / 1024.0)),
        );
    }
    let ratio = |a: &Stats, b: &Stats| a.best.as_secs_f64() / b.best.as_secs_f64();
    let _ = writeln!(
        out,
        "  scan outcome: {} stack files audited, {} failed, {} not stacks (skipped), {} findings, JSON {:.2} MB",
        outcome.files_scanned,
        outcome.files_failed,
        n.saturating_sub(outcome.files_scanned),
        outcome.findings.len(),
        mb(json_len as u64),
    );
    let _ = writeln!(
        out,
        "  parse errors: {spanned_failed} with yaml::load, {ignored_failed} with IgnoredAny, {events_failed} with events only"
    );
    let _ = writeln!(
        out,
        "  ratio (best): scan / yaml::load = {:.2}x, / IgnoredAny = {:.2}x, / events only = {:.2}x; scan+JSON / yaml::load = {:.2}x, / IgnoredAny = {:.2}x",
        ratio(&scanned, &spanned),
        ratio(&scanned, &ignored),
        ratio(&scanned, &events),
        ratio(&rendered, &spanned),
        ratio(&rendered, &ignored),
    );
    if let Some(exe) = cli {
        for format in ["table", "json"] {
            let s = measure_cli(exe, dir, format, runs);
            let r = Rates::of(&s, n, bytes);
            let _ = writeln!(
                out,
                "  CLI `swarmaudit scan DIR --format {format}`: best {:.1} ms, median {:.1} ms, CPU {} ms/run | {:.0} files/s | {:.1} MB/s | {:.2}x parse-only IgnoredAny, {:.2}x yaml::load",
                r.best_ms,
                r.median_ms,
                r.cpu_ms,
                r.files_per_s,
                r.mb_per_s,
                ratio(&s, &ignored),
                ratio(&s, &spanned),
            );
        }
    }
    print!("{out}");
}

/// The figures printed for one measurement of `n` files of `bytes` bytes.
struct Rates {
    best_ms: f64,
    median_ms: f64,
    /// CPU ms per run, or `n/a`.
    cpu_ms: String,
    files_per_s: f64,
    mb_per_s: f64,
}

impl Rates {
    fn of(s: &Stats, n: usize, bytes: u64) -> Rates {
        let secs = s.best.as_secs_f64();
        Rates {
            best_ms: secs * 1e3,
            median_ms: s.median.as_secs_f64() * 1e3,
            cpu_ms: s
                .cpu_per_run
                .map_or("n/a".into(), |c| format!("{:.0}", c.as_secs_f64() * 1e3)),
            files_per_s: n as f64 / secs,
            mb_per_s: mb(bytes) / secs,
        }
    }
}

/// The `swarmaudit` binary `exe` run `runs` times (after one untimed run) on `dir`, its output
/// thrown away: wall time, and CPU time from the children's clock ticks.
fn measure_cli(exe: &Path, dir: &Path, format: &str, runs: usize) -> Stats {
    let run = || {
        let status = std::process::Command::new(exe)
            .args(["scan", "--format", format, "--fail-on", "never"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap_or_else(|e| die(&format!("cannot run {}: {e}", exe.display())));
        // 0, or 2 when some files are invalid: both are complete runs
        if !matches!(status.code(), Some(0 | 2)) {
            die(&format!("{} scan failed: {status}", exe.display()));
        }
    };
    run();
    let cpu_before = children_cpu_time();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed()
        })
        .collect();
    times.sort();
    Stats {
        best: times[0],
        median: times[times.len() / 2],
        cpu_per_run: children_cpu_time()
            .zip(cpu_before)
            .map(|(after, before)| after.saturating_sub(before) / runs as u32),
        peak_rss_kb: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Generating a corpus

/// xorshift64* — deterministic, no dependencies.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // splitmix64 so neighbouring seeds give unrelated streams
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// 0..n
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
    /// lo..=hi
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    /// true with probability pct/100
    fn pct(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(len);
        s
    }
}

/// Write `count` stack files under `dir` (`sNN/stack-NNNNN.yml`, 1,000 per directory). File `i`
/// depends only on `seed` and `i`, so a smaller count gives a prefix of a larger one.
fn generate_corpus(dir: &Path, count: usize, seed: u64) -> std::io::Result<(usize, u64)> {
    let mut bytes = 0u64;
    for i in 0..count {
        let sub = dir.join(format!("s{:02}", i / PER_DIR));
        if i % PER_DIR == 0 {
            std::fs::create_dir_all(&sub)?;
        }
        let mut rng = Rng::new(seed ^ (i as u64).wrapping_mul(0x9e37_79b9));
        let ext = if rng.pct(20) { "yaml" } else { "yml" };
        let text = gen_stack(&mut rng, i);
        bytes += text.len() as u64;
        std::fs::write(sub.join(format!("stack-{i:05}.{ext}")), text)?;
    }
    Ok((count, bytes))
}

struct Kind {
    name: &'static str,
    image: &'static str,
    tags: &'static [&'static str],
    port: u16,
    data: &'static str,
    env: &'static [(&'static str, &'static str)],
    health: &'static str,
}

const KINDS: &[Kind] = &[
    Kind {
        name: "web",
        image: "nginx",
        tags: &["1.27-alpine", "1.25.4", "latest", "", "stable-alpine"],
        port: 80,
        data: "/usr/share/nginx/html",
        env: &[("NGINX_HOST", "example.org"), ("NGINX_PORT", "80")],
        health: "[\"CMD\", \"wget\", \"-qO-\", \"http://localhost/\"]",
    },
    Kind {
        name: "db",
        image: "postgres",
        tags: &["16.4", "15-alpine", "latest", "16"],
        port: 5432,
        data: "/var/lib/postgresql/data",
        env: &[
            ("POSTGRES_DB", "app"),
            ("POSTGRES_USER", "app"),
            ("POSTGRES_PASSWORD", "s3cr3t-Passw0rd"),
            ("POSTGRES_PASSWORD_FILE", "/run/secrets/db_password"),
        ],
        health: "[\"CMD-SHELL\", \"pg_isready -U app\"]",
    },
    Kind {
        name: "cache",
        image: "redis",
        tags: &["7.2-alpine", "7", "", "latest"],
        port: 6379,
        data: "/data",
        env: &[("REDIS_ARGS", "--appendonly yes")],
        health: "[\"CMD\", \"redis-cli\", \"ping\"]",
    },
    Kind {
        name: "mysql",
        image: "mysql",
        tags: &["8.4", "8.0.39", "latest"],
        port: 3306,
        data: "/var/lib/mysql",
        env: &[
            ("MYSQL_ROOT_PASSWORD", "rootpass123"),
            ("MYSQL_DATABASE", "wordpress"),
            ("MYSQL_PASSWORD_FILE", "/run/secrets/mysql_password"),
        ],
        health: "[\"CMD\", \"mysqladmin\", \"ping\", \"-h\", \"localhost\"]",
    },
    Kind {
        name: "api",
        image: "registry.example.com/team/api",
        tags: &["2.14.1", "v3", "latest", "main-4f2a9c1"],
        port: 8080,
        data: "/srv/uploads",
        env: &[
            ("LOG_LEVEL", "info"),
            ("DATABASE_URL", "postgres://app:hunter2@db:5432/app"),
            ("API_KEY", "${API_KEY}"),
            ("JWT_SECRET", "${JWT_SECRET:-changeme}"),
            ("REDIS_URL", "redis://cache:6379/0"),
        ],
        health: "[\"CMD\", \"curl\", \"-f\", \"http://localhost:8080/healthz\"]",
    },
    Kind {
        name: "grafana",
        image: "grafana/grafana",
        tags: &["11.2.0", "latest", "10.4.8"],
        port: 3000,
        data: "/var/lib/grafana",
        env: &[
            ("GF_SECURITY_ADMIN_PASSWORD", "admin"),
            ("GF_SERVER_ROOT_URL", "https://grafana.${DOMAIN}"),
        ],
        health: "[\"CMD-SHELL\", \"wget -q --spider http://localhost:3000/api/health\"]",
    },
    Kind {
        name: "prometheus",
        image: "prom/prometheus",
        tags: &["v2.54.1", "latest"],
        port: 9090,
        data: "/prometheus",
        env: &[],
        health: "[\"CMD\", \"wget\", \"-q\", \"--spider\", \"http://localhost:9090/-/healthy\"]",
    },
    Kind {
        name: "traefik",
        image: "traefik",
        tags: &["v3.1", "v2.11", "latest"],
        port: 443,
        data: "/letsencrypt",
        env: &[
            ("CF_API_EMAIL", "ops@example.org"),
            ("CF_DNS_API_TOKEN", "${CF_TOKEN}"),
        ],
        health: "[\"CMD\", \"traefik\", \"healthcheck\", \"--ping\"]",
    },
    Kind {
        name: "worker",
        image: "ghcr.io/example/worker",
        tags: &["1.8.0", "latest", "sha-91bd2e7"],
        port: 0,
        data: "/work",
        env: &[
            ("QUEUE", "default"),
            ("CONCURRENCY", "4"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
        ],
        health: "",
    },
    Kind {
        name: "rabbitmq",
        image: "rabbitmq",
        tags: &["3.13-management", "3-management-alpine", "latest"],
        port: 5672,
        data: "/var/lib/rabbitmq",
        env: &[
            ("RABBITMQ_DEFAULT_USER", "guest"),
            ("RABBITMQ_DEFAULT_PASS", "guest"),
        ],
        health: "[\"CMD\", \"rabbitmq-diagnostics\", \"-q\", \"ping\"]",
    },
    Kind {
        name: "agent",
        image: "portainer/agent",
        tags: &["2.21.0", "latest"],
        port: 9001,
        data: "/var/lib/docker/volumes",
        env: &[("AGENT_CLUSTER_ADDR", "tasks.agent")],
        health: "",
    },
    Kind {
        name: "elasticsearch",
        image: "docker.elastic.co/elasticsearch/elasticsearch",
        tags: &["8.15.0", "7.17.24"],
        port: 9200,
        data: "/usr/share/elasticsearch/data",
        env: &[
            ("discovery.type", "single-node"),
            ("ES_JAVA_OPTS", "-Xms512m -Xmx512m"),
            ("ELASTIC_PASSWORD", "changeme"),
        ],
        health: "[\"CMD-SHELL\", \"curl -fs http://localhost:9200/_cluster/health\"]",
    },
];

const NETWORKS: &[&str] = &[
    "frontend",
    "backend",
    "monitoring",
    "proxy",
    "internal",
    "data",
];

fn gen_stack(rng: &mut Rng, index: usize) -> String {
    let mut s = String::with_capacity(8 * 1024);
    let o = &mut s;
    if rng.pct(30) {
        let _ = writeln!(o, "# stack {index}: generated for the swarmaudit benchmark");
    }
    match rng.below(5) {
        0 => o.push_str("version: \"3.8\"\n"),
        1 => o.push_str("version: '3.9'\n"),
        2 => o.push_str("version: \"3\"\n"),
        _ => {}
    }
    o.push('\n');

    // Extension fields with anchors, merged into services below.
    let deploy_anchor = rng.pct(35);
    let env_anchor = rng.pct(25);
    let log_anchor = rng.pct(30);
    if deploy_anchor {
        let _ = write!(
            o,
            "x-deploy: &default-deploy\n  replicas: {}\n  restart_policy:\n    condition: on-failure\n    max_attempts: 3\n  update_config:\n    parallelism: 1\n    delay: 10s\n    failure_action: {}\n",
            rng.range(1, 3),
            rng.pick(&["rollback", "pause", "continue"])
        );
        if rng.pct(50) {
            o.push_str("  rollback_config:\n    parallelism: 1\n    order: stop-first\n");
        }
        o.push('\n');
    }
    if env_anchor {
        o.push_str("x-env: &common-env\n  TZ: Europe/Berlin\n  LOG_FORMAT: json\n");
        if rng.pct(40) {
            o.push_str("  SENTRY_DSN: https://0123456789abcdef:deadbeef@sentry.example.org/4\n");
        }
        o.push('\n');
    }
    if log_anchor {
        let _ = write!(
            o,
            "x-logging: &logging\n  driver: json-file\n  options:\n    max-size: \"{}m\"\n    max-file: \"3\"\n\n",
            rng.pick(&["10", "50", "100"])
        );
    }

    // Networks and secrets this stack declares.
    let nets: Vec<&str> = (0..rng.range(0, 3)).map(|_| rng.pick(NETWORKS)).collect();
    let mut nets = nets;
    nets.sort();
    nets.dedup();
    let n_secrets = if rng.pct(45) { rng.range(1, 3) } else { 0 };
    let secrets: Vec<String> = (0..n_secrets).map(|k| format!("app_secret_{k}")).collect();
    let mut volumes: Vec<String> = vec![];

    o.push_str("services:\n");
    let n_services = rng.range(1, 12);
    for k in 0..n_services {
        let kind = &KINDS[rng.below(KINDS.len())];
        let name = if k == 0 {
            kind.name.to_string()
        } else {
            format!("{}{}", kind.name, k)
        };
        let _ = writeln!(o, "  {name}:");
        // image
        let tag = rng.pick(kind.tags);
        if rng.pct(12) {
            let _ = writeln!(o, "    image: {}@sha256:{}", kind.image, rng.hex(64));
        } else if rng.pct(10) {
            let default = if tag.is_empty() { "1" } else { tag };
            let _ = writeln!(o, "    image: \"{}:${{TAG:-{default}}}\"", kind.image);
        } else if tag.is_empty() {
            let _ = writeln!(o, "    image: {}", kind.image);
        } else {
            let _ = writeln!(o, "    image: {}:{tag}", kind.image);
        }
        if rng.pct(15) {
            o.push_str("    build: .\n"); // ignored by stack deploy
        }
        if rng.pct(8) {
            let _ = writeln!(o, "    container_name: {name}");
        }
        if rng.pct(30) {
            if rng.pct(50) {
                let _ = writeln!(
                    o,
                    "    command: [\"--config\", \"/etc/{name}/config.yml\", \"--verbose\"]"
                );
            } else {
                let _ = writeln!(
                    o,
                    "    command: >\n      sh -c \"sleep 2 && exec /entrypoint.sh {name}\""
                );
            }
        }
        match rng.below(6) {
            0 => o.push_str("    user: \"1000:1000\"\n"),
            1 => o.push_str("    user: root\n"),
            2 => o.push_str("    user: nobody\n"),
            _ => {}
        }
        if rng.pct(6) {
            o.push_str("    privileged: true\n");
        }
        if rng.pct(10) {
            let caps = rng.pick(&["NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE", "NET_BIND_SERVICE"]);
            let _ = writeln!(o, "    cap_add:\n      - {caps}");
            if rng.pct(50) {
                o.push_str("    cap_drop:\n      - ALL\n");
            }
        }
        if rng.pct(3) {
            o.push_str("    network_mode: host\n");
        }
        // ports
        if kind.port != 0 && rng.pct(55) {
            o.push_str("    ports:\n");
            let published = kind.port as usize + rng.below(3) * 1000;
            match rng.below(5) {
                0 => {
                    let _ = writeln!(o, "      - \"{published}:{}\"", kind.port);
                }
                1 => {
                    let _ = writeln!(o, "      - \"127.0.0.1:{published}:{}\"", kind.port);
                }
                2 => {
                    let _ = writeln!(o, "      - {}", kind.port);
                }
                _ => {
                    let _ = writeln!(
                        o,
                        "      - target: {}\n        published: {published}\n        protocol: tcp\n        mode: {}",
                        kind.port,
                        rng.pick(&["host", "ingress"])
                    );
                }
            }
            if rng.pct(20) {
                let _ = writeln!(o, "      - \"{}:{}/udp\"", published + 1, kind.port + 1);
            }
        }
        if k > 0 && rng.pct(30) {
            o.push_str("    depends_on:\n      - ");
            o.push_str(KINDS[rng.below(KINDS.len())].name);
            o.push('\n');
        }
        // environment
        if !kind.env.is_empty() || env_anchor {
            let as_list = !env_anchor && rng.pct(45);
            o.push_str("    environment:\n");
            if env_anchor && rng.pct(70) {
                o.push_str("      <<: *common-env\n");
            }
            for (key, val) in kind.env {
                if rng.pct(80) {
                    if as_list {
                        let _ = writeln!(o, "      - {key}={val}");
                    } else if val.contains(['{', ':', '#', '-']) || val.is_empty() {
                        let _ = writeln!(o, "      {key}: \"{val}\"");
                    } else {
                        let _ = writeln!(o, "      {key}: {val}");
                    }
                }
            }
            if rng.pct(20) {
                if as_list {
                    o.push_str("      - DEBUG\n");
                } else {
                    o.push_str("      DEBUG: \"false\"\n      WORKERS: 4\n");
                }
            }
        }
        if rng.pct(12) {
            let _ = writeln!(o, "    env_file:\n      - ./{name}.env");
        }
        // volumes
        if rng.pct(65) {
            o.push_str("    volumes:\n");
            let vol = format!("{name}_data");
            match rng.below(4) {
                0 => {
                    let _ = writeln!(o, "      - ./{name}/config:/etc/{name}:ro");
                }
                1 => {
                    let _ = writeln!(
                        o,
                        "      - type: volume\n        source: {vol}\n        target: {}",
                        kind.data
                    );
                    volumes.push(vol);
                }
                _ => {
                    let _ = writeln!(o, "      - {vol}:{}", kind.data);
                    volumes.push(vol);
                }
            }
            if rng.pct(7) {
                o.push_str("      - /var/run/docker.sock:/var/run/docker.sock\n");
            }
            if rng.pct(5) {
                o.push_str("      - type: bind\n        source: /etc\n        target: /host/etc\n        read_only: true\n");
            }
            if rng.pct(15) {
                o.push_str("      - /etc/localtime:/etc/localtime:ro\n");
            }
        }
        // networks
        if !nets.is_empty() {
            if rng.pct(70) {
                o.push_str("    networks:\n");
                for (j, n) in nets.iter().enumerate() {
                    if j == 0 || rng.pct(80) {
                        let _ = writeln!(o, "      - {n}");
                    }
                }
                if rng.pct(10) {
                    o.push_str("      - default\n");
                }
            } else {
                o.push_str("    networks:\n");
                for n in &nets {
                    let _ = writeln!(o, "      {n}:\n        aliases:\n          - {name}.{n}");
                }
            }
        }
        // secrets
        if !secrets.is_empty() && rng.pct(60) {
            o.push_str("    secrets:\n");
            for sname in &secrets {
                if rng.pct(50) {
                    let _ = writeln!(o, "      - {sname}");
                } else {
                    let _ = writeln!(
                        o,
                        "      - source: {sname}\n        target: /run/secrets/{sname}\n        uid: \"1000\"\n        mode: 0400"
                    );
                }
            }
        }
        // healthcheck
        if !kind.health.is_empty() {
            match rng.below(10) {
                0..=5 => {
                    let _ = writeln!(
                        o,
                        "    healthcheck:\n      test: {}\n      interval: {}s\n      timeout: 5s\n      retries: 3\n      start_period: 20s",
                        kind.health,
                        rng.pick(&["10", "15", "30"])
                    );
                }
                6 => o.push_str("    healthcheck:\n      disable: true\n"),
                _ => {}
            }
        }
        if log_anchor && rng.pct(80) {
            o.push_str("    logging: *logging\n");
        }
        if rng.pct(20) {
            let _ = writeln!(
                o,
                "    labels:\n      com.example.team: platform\n      com.example.service: {name}"
            );
        }
        // deploy
        if deploy_anchor && rng.pct(75) {
            o.push_str("    deploy:\n      <<: *default-deploy\n");
            if rng.pct(50) {
                write_resources(o, rng);
            }
        } else if rng.pct(70) {
            o.push_str("    deploy:\n");
            if rng.pct(15) {
                o.push_str("      mode: global\n");
            } else {
                let _ = writeln!(o, "      replicas: {}", rng.range(1, 4));
            }
            if rng.pct(60) {
                write_resources(o, rng);
            }
            if rng.pct(55) {
                let _ = writeln!(
                    o,
                    "      restart_policy:\n        condition: {}",
                    rng.pick(&["on-failure", "any", "none"])
                );
                if rng.pct(50) {
                    o.push_str(
                        "        delay: 5s\n        max_attempts: 5\n        window: 120s\n",
                    );
                }
            }
            if rng.pct(40) {
                let _ = writeln!(
                    o,
                    "      update_config:\n        parallelism: {}\n        delay: 10s\n        order: {}\n        failure_action: {}",
                    rng.range(1, 2),
                    rng.pick(&["start-first", "stop-first"]),
                    rng.pick(&["rollback", "pause"])
                );
            }
            if rng.pct(25) {
                o.push_str(
                    "      rollback_config:\n        parallelism: 0\n        order: stop-first\n",
                );
            }
            if rng.pct(35) {
                let _ = writeln!(
                    o,
                    "      placement:\n        constraints:\n          - node.role == {}",
                    rng.pick(&["manager", "worker"])
                );
                if rng.pct(40) {
                    o.push_str("          - node.labels.storage == ssd\n");
                }
            }
            if rng.pct(25) {
                let _ = writeln!(
                    o,
                    "      labels:\n        - traefik.enable=true\n        - traefik.http.routers.{name}.rule=Host(`{name}.${{DOMAIN}}`)\n        - traefik.http.services.{name}.loadbalancer.server.port={}",
                    kind.port.max(80)
                );
            }
        }
        if rng.pct(5) {
            o.push_str("    ulimits:\n      nofile:\n        soft: 65536\n        hard: 65536\n");
        }
        if rng.below(200) == 0 {
            o.push_str("    pids_limit: 200\n"); // compose-only key: stack deploy rejects it
        }
    }

    // top-level sections
    if !nets.is_empty() {
        o.push_str("\nnetworks:\n");
        for n in &nets {
            match rng.below(5) {
                0 => {
                    let _ = writeln!(o, "  {n}:\n    external: true");
                }
                1 => {
                    let _ = writeln!(o, "  {n}:");
                }
                2 => {
                    let _ = writeln!(o, "  {n}:\n    driver: overlay\n    attachable: true");
                }
                _ => {
                    let _ = writeln!(
                        o,
                        "  {n}:\n    driver: overlay\n    driver_opts:\n      encrypted: \"true\""
                    );
                }
            }
        }
    }
    volumes.sort();
    volumes.dedup();
    if !volumes.is_empty() {
        o.push_str("\nvolumes:\n");
        for v in &volumes {
            if rng.pct(20) {
                let _ = writeln!(
                    o,
                    "  {v}:\n    driver: local\n    driver_opts:\n      type: nfs\n      o: addr=10.0.0.5,rw\n      device: \":/exports/{v}\""
                );
            } else {
                let _ = writeln!(o, "  {v}:");
            }
        }
    }
    if !secrets.is_empty() {
        o.push_str("\nsecrets:\n");
        for sname in &secrets {
            if rng.pct(50) {
                let _ = writeln!(o, "  {sname}:\n    external: true");
            } else {
                let _ = writeln!(o, "  {sname}:\n    file: ./secrets/{sname}.txt");
            }
        }
    }

    // A few broken files, as any real corpus has: a duplicate key or a tab-indented line.
    if rng.below(1000) < 2 {
        o.push_str("\nservices:\n  dup:\n    image: busybox\n");
    } else if rng.below(1000) < 2 {
        o.push_str("\nx-broken:\n\t- tab: indented\n");
    }
    s
}

fn write_resources(o: &mut String, rng: &mut Rng) {
    o.push_str("      resources:\n        limits:\n");
    if rng.pct(75) {
        let _ = writeln!(
            o,
            "          cpus: \"{}\"",
            rng.pick(&["0.25", "0.5", "1", "2.0"])
        );
    }
    if rng.pct(85) {
        let _ = writeln!(
            o,
            "          memory: {}",
            rng.pick(&["128M", "256M", "512M", "1G", "2g"])
        );
    }
    if rng.pct(20) {
        o.push_str("          pids: 256\n");
    }
    if rng.pct(40) {
        let _ = writeln!(
            o,
            "        reservations:\n          memory: {}",
            rng.pick(&["64M", "128M", "256M"])
        );
    }
}
