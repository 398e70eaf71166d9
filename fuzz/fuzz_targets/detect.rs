//! The secret detectors (`find_credentials`, `find_high_entropy`, `find_url_credentials`,
//! `is_secret_name`, `is_non_secret_value`, `shannon_entropy`, `mask`) on arbitrary UTF-8;
//! every returned range must be a valid slice of the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    swarmaudit_fuzz::run_detectors(text);
});
