//! SA709: a Docker API socket is not owned by `root:docker` or is more open than 0660: whoever
//! can write to it controls the daemon, which is root on the host.

use crate::model::host::{FileStat, HostFact};
use crate::model::Deployment;
use crate::rules::host::node_object;
use crate::rules::Sink;

/// What is wrong with a socket's ownership and mode, if anything.
pub fn problems(path: &str, st: &FileStat) -> Vec<String> {
    // rootless Docker: the socket under the user's runtime directory belongs to that user
    let rootless_owner = path
        .strip_prefix("/run/user/")
        .and_then(|r| r.split('/').next())
        .and_then(|uid| uid.parse::<u32>().ok());
    let mut out = vec![];
    if st.uid != 0 && rootless_owner != Some(st.uid) {
        out.push(format!("owned by {} instead of root", st.owner()));
    }
    let group_ok = st.gid == 0
        || st.group.as_deref() == Some("docker")
        || rootless_owner == Some(st.uid) && rootless_owner == Some(st.gid);
    if !group_ok && st.mode & 0o060 != 0 {
        out.push(match &st.group {
            Some(g) => format!("group `{g}` (not `docker`) may use it"),
            None => format!(
                "group {} (no name in /etc/group, so not `docker`) may use it",
                st.gid
            ),
        });
    }
    let extra = st.extra_bits(0o660);
    if extra != 0 {
        out.push(format!(
            "mode {:04o} is more open than 0660{}",
            st.mode,
            if st.mode & 0o006 != 0 {
                ": every local user can use it"
            } else {
                ""
            }
        ));
    }
    out
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    for h in &d.hosts {
        for s in &h.sockets {
            match &s.stat {
                HostFact::Known(st) => {
                    let why = problems(&s.path, st);
                    if !why.is_empty() {
                        sink.report(
                            node_object(h),
                            &s.loc,
                            s.path.clone(),
                            format!(
                                "the Docker socket {} on {} is {} ({}): access to it is root on the host (`chown root:docker {p}; chmod 660 {p}`)",
                                s.path,
                                h.hostname,
                                format_args!("{} {:04o}", st.owner(), st.mode),
                                why.join("; "),
                                p = s.path
                            ),
                        );
                    }
                }
                HostFact::Unknown(reason) => {
                    let f = sink.report(
                        node_object(h),
                        &s.loc,
                        s.path.clone(),
                        format!(
                            "the ownership and mode of the Docker socket {} on {} could not be read: {reason}",
                            s.path, h.hostname
                        ),
                    );
                    f.unknown = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(uid: u32, gid: u32, group: Option<&str>, mode: u32) -> FileStat {
        FileStat {
            uid,
            gid,
            user: None,
            group: group.map(str::to_string),
            mode,
            socket: true,
        }
    }

    #[test]
    fn root_docker_0660_and_tighter_pass() {
        let p = "/var/run/docker.sock";
        assert!(problems(p, &st(0, 999, Some("docker"), 0o660)).is_empty());
        assert!(problems(p, &st(0, 0, Some("root"), 0o600)).is_empty());
        assert!(problems(p, &st(0, 0, Some("root"), 0o660)).is_empty());
    }

    #[test]
    fn looser_modes_other_groups_and_owners_fail() {
        let p = "/var/run/docker.sock";
        assert_eq!(problems(p, &st(0, 999, Some("docker"), 0o666)).len(), 1);
        assert_eq!(problems(p, &st(0, 100, Some("users"), 0o660)).len(), 1);
        assert_eq!(problems(p, &st(1000, 999, Some("docker"), 0o660)).len(), 1);
        // a group without a name is not `docker`, but 0600 gives it nothing
        assert!(problems(p, &st(0, 4242, None, 0o600)).is_empty());
        assert_eq!(problems(p, &st(0, 4242, None, 0o660)).len(), 1);
    }

    #[test]
    fn rootless_socket_of_its_user_passes() {
        let p = "/run/user/1000/docker.sock";
        assert!(problems(p, &st(1000, 1000, None, 0o660)).is_empty());
        assert!(!problems(p, &st(1000, 1000, None, 0o666)).is_empty());
        assert!(!problems(p, &st(1001, 1001, None, 0o660)).is_empty());
    }
}
