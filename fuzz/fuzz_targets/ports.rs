//! `parse_short_port` on arbitrary UTF-8: never panics; accepted ports are in range.
#![no_main]
use libfuzzer_sys::fuzz_target;
use swarmaudit::model::lower::parse_short_port;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok((_ip, published, (t0, t1), proto)) = parse_short_port(text) {
        assert!(t0 <= t1 && t1 <= 65535, "target range {t0}-{t1} accepted for {text:?}");
        if let Some((p0, p1)) = published {
            assert!(p0 <= p1 && p1 <= 65535, "published range {p0}-{p1} accepted for {text:?}");
        }
        assert!(matches!(proto.as_str(), "tcp" | "udp" | "sctp"), "protocol {proto:?} for {text:?}");
    }
});
