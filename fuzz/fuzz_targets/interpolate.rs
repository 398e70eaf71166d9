//! `interpolate` on arbitrary UTF-8, with an empty and with a populated environment, and
//! `Env::load_env_file` on the same text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use swarmaudit::model::interpolate::{interpolate, Env};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = interpolate(text, &Env::empty());
    let env = swarmaudit_fuzz::sample_env();
    if let Ok(r) = interpolate(text, &env) {
        for name in &r.silently_empty {
            assert!(r.unresolved.contains(name), "silently_empty {name:?} not in unresolved for {text:?}");
        }
        if !text.contains('$') {
            assert_eq!(r.value, text);
        }
    }
    let mut e = Env::empty();
    let _ = e.load_env_file(text);
});
