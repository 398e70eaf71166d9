//! SA702: the manager count cannot tolerate failures well: one manager with three or more nodes,
//! an even number, or more than seven.

use crate::model::Deployment;
use crate::rules::control_plane::{managers, swarm_loc, swarm_object};
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    let Some(c) = &d.cluster else { return };
    let m = managers(c).count();
    let n = c.nodes.len();
    let why = if m == 1 && n >= 3 {
        format!("a single manager for {n} nodes: losing it loses control of the swarm (run 3 or 5 managers)")
    } else if m > 1 && m % 2 == 0 {
        format!("{m} managers: an even count tolerates no more failures than {} and risks split votes (run an odd number)", m - 1)
    } else if m > 7 {
        format!(
            "{m} managers: more than 7 slows raft consensus without adding useful fault tolerance"
        )
    } else {
        return;
    };
    sink.report(swarm_object(), &swarm_loc(c, "Nodes"), "managers", why);
}
