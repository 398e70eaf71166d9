//! Byte-level, end to end: the input is split on NUL into up to three files that are written
//! to disk and audited as one stack (`load_all` → `engine::run` → `Reported::new` → every
//! reporter). Non-UTF-8 input is passed through as the file bytes (a load error).
#![no_main]
use libfuzzer_sys::fuzz_target;
use swarmaudit::model::interpolate::Env;

fuzz_target!(|data: &[u8]| {
    let files = swarmaudit_fuzz::split_files(data, 3);
    swarmaudit_fuzz::run_files(&files, &Env::empty());
});
