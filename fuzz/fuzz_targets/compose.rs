//! Structure-aware: the fuzzer's bytes drive a generator of compose-shaped YAML (see
//! `src/gen.rs`); one to three generated files are audited as one stack end to end, with an
//! environment that resolves some variables, and the first file also goes through the
//! in-memory pipeline.
#![no_main]
use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let n = u.int_in_range(1..=3u8).unwrap_or(1);
    let mut docs = vec![];
    for _ in 0..n {
        match swarmaudit_fuzz::gen::generate(&mut u) {
            Ok(d) => docs.push(d),
            Err(_) => break,
        }
    }
    if docs.is_empty() {
        return;
    }
    let env = swarmaudit_fuzz::sample_env();
    swarmaudit_fuzz::run_text(&docs[0], &env);
    let files: Vec<&[u8]> = docs.iter().map(|d| d.as_bytes()).collect();
    swarmaudit_fuzz::run_files(&files, &env);
});
