//! Registry benchmark (harness = false): resolve N distinct images (default 100) from the
//! loopback test registry (`scripts/registry-up`), cold (empty cache) and warm (from the disk
//! cache), in-process and through the CLI; prints times, request counts (the client's and the
//! registry's access log) and the most requests in flight. Figures only, plus one check: never
//! more than 8 requests at a time.
//!
//! ```text
//! scripts/bench-registry                         # starts the registry, runs this in release mode
//! cargo bench --bench registry -- --images 100 --cli target/release/swarmaudit
//! ```
//!
//! Run outside `cargo bench` (e.g. `cargo test --benches`), it does a quick smoke run with 5
//! images when the registry is up, and nothing otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};
use swarmaudit::registry::{Options, Resolver};

fn die(msg: &str) -> ! {
    eprintln!("bench registry: {msg}");
    std::process::exit(2)
}

fn digest(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(bytes);
    format!(
        "sha256:{}",
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    )
}

fn put_blob(a: &ureq::Agent, addr: &str, repo: &str, bytes: &[u8]) -> String {
    let d = digest(bytes);
    let resp = a
        .post(&format!("http://{addr}/v2/{repo}/blobs/uploads/"))
        .send_empty()
        .unwrap_or_else(|e| die(&format!("upload: {e}")));
    let location = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_else(|| die("upload without Location"))
        .to_string();
    let url = if location.starts_with("http") {
        location
    } else {
        format!("http://{addr}{location}")
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    let resp = a
        .put(&format!("{url}{sep}digest={d}"))
        .header("Content-Type", "application/octet-stream")
        .send(bytes)
        .unwrap_or_else(|e| die(&format!("upload: {e}")));
    if resp.status().as_u16() != 201 {
        die(&format!("blob upload answered {}", resp.status()));
    }
    d
}

/// Push `n` small distinct images `repo:t<i>` (own config and layer each).
fn push(addr: &str, repo: &str, n: usize, run: &str) {
    let a = agent();
    for i in 0..n {
        let config = serde_json::json!({
            "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
            "config": {"User": format!("{}", 10_000 + i), "Labels": {"bench.run": run}},
            "rootfs": {"type": "layers", "diff_ids": []},
        });
        let config = serde_json::to_vec(&config).unwrap_or_default();
        let cd = put_blob(&a, addr, repo, &config);
        let layer = format!("layer {i} of {run}").into_bytes();
        let ld = put_blob(&a, addr, repo, &layer);
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": layer.len()}],
        });
        let resp = a
            .put(&format!("http://{addr}/v2/{repo}/manifests/t{i}"))
            .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            .send(serde_json::to_vec(&manifest).unwrap_or_default())
            .unwrap_or_else(|e| die(&format!("manifest: {e}")));
        if resp.status().as_u16() != 201 {
            die(&format!("manifest upload answered {}", resp.status()));
        }
    }
}

fn access_log_lines(log: &Path, repo: &str) -> usize {
    let needle = format!(" /v2/{repo}/");
    std::fs::read_to_string(log)
        .map(|t| {
            t.lines()
                .filter(|l| l.contains("HTTP/1.1\"") && l.contains(&needle))
                .count()
        })
        .unwrap_or(0)
}

/// The access log is written asynchronously: wait until it stops growing.
fn settled_log_lines(log: &Path, repo: &str) -> usize {
    let mut last = access_log_lines(log, repo);
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(100));
        let now = access_log_lines(log, repo);
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

fn resolve(refs: &[String], cache: &Path) -> (Duration, swarmaudit::registry::Summary) {
    let resolver = Resolver::new(Options {
        resolve: true,
        cache_dir: Some(cache.to_path_buf()),
        ..Options::default()
    });
    let t = Instant::now();
    let lookups = resolver.resolve_all(refs);
    let took = t.elapsed();
    if let Some(bad) = lookups
        .iter()
        .find(|l| l.error.is_some() || l.config.is_none())
    {
        die(&format!("{}: {:?}", bad.reference, bad.error));
    }
    (took, resolver.summary())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut images: Option<usize> = None;
    let mut cli: Option<PathBuf> = None;
    let mut under_cargo_bench = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => under_cargo_bench = true,
            "--images" => {
                images = args.next().and_then(|v| v.parse().ok());
                if images.is_none() {
                    die("--images needs a number");
                }
            }
            "--cli" => cli = args.next().map(PathBuf::from),
            s => die(&format!("unknown argument {s}")),
        }
    }
    let addr =
        std::env::var("SWARMAUDIT_TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5055".into());
    let log = PathBuf::from(
        std::env::var("SWARMAUDIT_TEST_REGISTRY_LOGS").unwrap_or_else(|_| "/var/log".into()),
    )
    .join("swarmaudit-registry-open.log");
    let up = agent()
        .get(&format!("http://{addr}/v2/"))
        .call()
        .is_ok_and(|r| r.status().as_u16() == 200);
    if !up {
        if under_cargo_bench {
            die(&format!("no registry at {addr}: run scripts/registry-up"));
        }
        println!("bench registry: no registry at {addr}, smoke run skipped");
        return;
    }
    let n = images.unwrap_or(if under_cargo_bench { 100 } else { 5 });
    let run = format!(
        "{}-{}",
        std::process::id(),
        swarmaudit::registry::time::now()
    );
    let repo = format!("sa-bench/r{run}");
    let t = Instant::now();
    push(&addr, &repo, n, &run);
    println!(
        "registry benchmark: {n} distinct images pushed to {addr}/{repo} in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let refs: Vec<String> = (0..n).map(|i| format!("{addr}/{repo}:t{i}")).collect();
    let work = tempfile::tempdir().unwrap_or_else(|e| die(&e.to_string()));
    let cache = work.path().join("cache");

    let before = settled_log_lines(&log, &repo);
    let (cold, s) = resolve(&refs, &cache);
    let cold_log = settled_log_lines(&log, &repo) - before;
    println!(
        "  in-process cold: {:>8.1} ms | {} requests (registry access log: {cold_log}) | at most {} in flight | {} cache answers",
        cold.as_secs_f64() * 1e3,
        s.requests,
        s.peak_in_flight,
        s.cache_hits
    );
    if s.peak_in_flight > 8 {
        die(&format!(
            "{} requests were in flight at once (limit 8)",
            s.peak_in_flight
        ));
    }
    let (warm, s) = resolve(&refs, &cache);
    let warm_log = settled_log_lines(&log, &repo) - before - cold_log;
    println!(
        "  in-process warm: {:>8.1} ms | {} requests (registry access log: {warm_log}) | {} cache answers",
        warm.as_secs_f64() * 1e3,
        s.requests,
        s.cache_hits
    );

    if let Some(bin) = cli {
        let mut stack = String::from("services:\n");
        for (i, r) in refs.iter().enumerate() {
            stack.push_str(&format!("  s{i}:\n    image: {r}\n    user: \"10001\"\n"));
        }
        let file = work.path().join("stack.yml");
        std::fs::write(&file, stack).unwrap_or_else(|e| die(&e.to_string()));
        let cli_cache = work.path().join("cli-cache");
        for label in ["cold", "warm"] {
            let t = Instant::now();
            let o = Command::new(&bin)
                .args([
                    "scan",
                    "--resolve-images",
                    "--format",
                    "json",
                    "--fail-on",
                    "never",
                ])
                .arg(&file)
                .env("SWARMAUDIT_CACHE_DIR", &cli_cache)
                .output()
                .unwrap_or_else(|e| die(&format!("{}: {e}", bin.display())));
            let took = t.elapsed();
            let err = String::from_utf8_lossy(&o.stderr);
            let line = err
                .lines()
                .find(|l| l.contains("resolved"))
                .unwrap_or("(no summary)")
                .trim_start_matches("swarmaudit: ");
            println!(
                "  CLI {label}:        {:>8.1} ms | {line}",
                took.as_secs_f64() * 1e3
            );
        }
    }
}
