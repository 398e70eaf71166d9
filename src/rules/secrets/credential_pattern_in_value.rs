//! SA402: a provider token, private key, JWT or high-entropy string in a value that lands in the
//! service spec (environment, labels, command, healthcheck, logging options).

use crate::detect::{find_credentials, find_high_entropy, SecretKind};
use crate::finding::Severity;
use crate::model::Deployment;
use crate::rules::secrets::{fields, is_swarm_token};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for field in fields(svc) {
            if field.val.text.is_empty() {
                continue; // unset variables are empty at deploy; literal parts are still scanned
            }
            let mut hits = find_credentials(&field.val.text);
            // entropy only outside the environment (secret-named env values are SA401's; other
            // env values would be too noisy): labels, logging options, command, healthcheck
            if hits.is_empty() && !field.place.starts_with("environment") {
                hits = find_high_entropy(&field.val.text);
            }
            // swarm join tokens and unlock keys: SA411 names them
            let mut kinds: Vec<SecretKind> = hits
                .iter()
                .map(|h| h.kind)
                .filter(|k| !is_swarm_token(*k))
                .collect();
            kinds.dedup();
            for kind in kinds {
                let f = sink.service(
                    svc,
                    &field.val.loc,
                    format!("{}#{}", field.place, kind.label()),
                    format!(
                        "{} contains what looks like a {} (value hidden): revoke and rotate it, then deliver it as a Docker secret",
                        field.place,
                        kind.label()
                    ),
                );
                if !kind.is_high_confidence() {
                    f.severity = Severity::High.min(f.severity);
                }
            }
        }
    }
}
