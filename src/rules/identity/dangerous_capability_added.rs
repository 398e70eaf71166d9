//! SA102: `cap_add` grants a capability that breaks container isolation.

use crate::finding::Severity;
use crate::model::{Deployment, Service, Val};
use crate::rules::Sink;

/// Capabilities that amount to host root (rated high); the rest of the list is medium.
const CRITICAL_CAPS: &[&str] = &["ALL", "SYS_ADMIN", "SYS_MODULE", "DAC_READ_SEARCH"];
const DANGEROUS_CAPS: &[&str] = &[
    "SYS_PTRACE",
    "SYS_RAWIO",
    "NET_ADMIN",
    "BPF",
    "PERFMON",
    "SYS_BOOT",
    "SYS_TIME",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
];

/// `cap_sys_admin` → `SYS_ADMIN`.
pub fn normalize(cap: &str) -> String {
    let up = cap.trim().to_ascii_uppercase();
    up.strip_prefix("CAP_").map(str::to_string).unwrap_or(up)
}

/// The service's dangerous added capabilities with their normalised names.
pub fn dangerous_caps(svc: &Service) -> Vec<(&Val, String)> {
    svc.cap_add
        .iter()
        .filter(|c| c.is_known())
        .map(|c| (c, normalize(&c.text)))
        .filter(|(_, n)| {
            CRITICAL_CAPS.contains(&n.as_str()) || DANGEROUS_CAPS.contains(&n.as_str())
        })
        .collect()
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for (val, cap) in dangerous_caps(svc) {
            let critical = CRITICAL_CAPS.contains(&cap.as_str());
            let what = if cap == "ALL" {
                "every capability".to_string()
            } else {
                format!("CAP_{cap}")
            };
            let f = sink.service(
                svc,
                &val.loc,
                &cap,
                format!(
                    "`cap_add: {}` grants {what}, which lets a compromised container {}",
                    val.text,
                    if critical {
                        "take over the host"
                    } else {
                        "weaken host or network isolation"
                    }
                ),
            );
            f.severity = if critical {
                Severity::High
            } else {
                Severity::Medium
            };
        }
    }
}
