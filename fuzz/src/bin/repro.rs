//! `repro [--target T] [--stages] FILE...`: run inputs through a target's harness WITHOUT fuzzing
//! instrumentation or sanitizers and print how long each took. Panics propagate (exit 101);
//! a stack overflow aborts. T is one of loader (default), pipeline, compose, interpolate,
//! ports, detect. `--stages` also times each stage of the in-memory loader pipeline. Used by
//! `scripts/fuzz repro` to confirm crashes and slow inputs.

use std::time::Instant;

use arbitrary::Unstructured;
use swarmaudit::model::interpolate::{interpolate, Env};

fn run(target: &str, data: &[u8]) {
    match target {
        "loader" => swarmaudit_fuzz::run_text(&String::from_utf8_lossy(data), &Env::empty()),
        "pipeline" => swarmaudit_fuzz::run_files(&swarmaudit_fuzz::split_files(data, 3), &Env::empty()),
        "compose" => {
            let mut u = Unstructured::new(data);
            let n = u.int_in_range(1..=3u8).unwrap_or(1);
            let mut docs = vec![];
            for _ in 0..n {
                match swarmaudit_fuzz::gen::generate(&mut u) {
                    Ok(d) => docs.push(d),
                    Err(_) => break,
                }
            }
            if let Some(first) = docs.first() {
                if std::env::var_os("REPRO_PRINT").is_some() {
                    for (i, d) in docs.iter().enumerate() {
                        println!("----- generated file {i} -----\n{d}");
                    }
                }
                let env = swarmaudit_fuzz::sample_env();
                swarmaudit_fuzz::run_text(first, &env);
                let files: Vec<&[u8]> = docs.iter().map(|d| d.as_bytes()).collect();
                swarmaudit_fuzz::run_files(&files, &env);
            }
        }
        "interpolate" => {
            if let Ok(t) = std::str::from_utf8(data) {
                let _ = interpolate(t, &Env::empty());
                let _ = interpolate(t, &swarmaudit_fuzz::sample_env());
            }
        }
        "ports" => {
            if let Ok(t) = std::str::from_utf8(data) {
                let _ = swarmaudit::model::lower::parse_short_port(t);
            }
        }
        "detect" => {
            if let Ok(t) = std::str::from_utf8(data) {
                swarmaudit_fuzz::run_detectors(t);
            }
        }
        other => panic!("unknown target {other}"),
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut target = "loader".to_string();
    if args.first().map(String::as_str) == Some("--target") {
        target = args.get(1).cloned().expect("--target T");
        args.drain(..2);
    }
    let stages = args.first().map(String::as_str) == Some("--stages");
    if stages {
        args.remove(0);
    }
    let mut slow = 0;
    for path in &args {
        let data = std::fs::read(path).expect("read input");
        let t = Instant::now();
        run(&target, &data);
        let dt = t.elapsed();
        let flag = if dt.as_secs_f64() > 1.0 && data.len() < 64 * 1024 {
            slow += 1;
            "  SLOW (>1 s for <64 KiB)"
        } else {
            ""
        };
        println!("{path}: {} bytes, {:.3} s{flag}", data.len(), dt.as_secs_f64());
        if stages {
            for (stage, t) in swarmaudit_fuzz::time_stages(&String::from_utf8_lossy(&data), &Env::empty()) {
                println!("    {stage:<22} {:.3} s", t.as_secs_f64());
            }
        }
    }
    if slow > 0 {
        std::process::exit(3);
    }
}
