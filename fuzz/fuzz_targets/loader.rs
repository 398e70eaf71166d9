//! Byte-level: the in-memory loader pipeline of one file (yaml::load → interpolate_tree →
//! lower → engine::run_one → Reported::new), with an empty environment.
#![no_main]
use libfuzzer_sys::fuzz_target;
use swarmaudit::model::interpolate::Env;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    swarmaudit_fuzz::run_text(&text, &Env::empty());
});
