//! SA701: manager autolock is off: a stolen manager disk yields the raft keys (and every secret).

use crate::model::Deployment;
use crate::rules::control_plane::{swarm_loc, swarm_object};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    let Some(c) = &d.cluster else { return };
    if c.autolock != Some(true) {
        sink.report(
            swarm_object(),
            &swarm_loc(c, "Spec.EncryptionConfig.AutoLockManagers"),
            "autolock",
            "manager autolock is off: the raft log with all secrets is decryptable by anyone who copies a manager's disk (`docker swarm update --autolock=true`, keep the unlock key offline)",
        );
    }
}
