//! SA107: nothing stops a process in the service from gaining privileges through setuid
//! binaries. A stack file cannot set no-new-privileges (`security_opt` is ignored, SA001); a
//! live service can (`ContainerSpec.Privileges.NoNewPrivileges`, API 1.44); otherwise only every
//! node's daemon.json can. What cannot be seen is reported as unknown at info severity, so the
//! rule stays quiet unless the gate asks for everything.

use crate::finding::Severity;
use crate::model::Deployment;
use crate::rules::locate::{missing_at, CS};
use crate::rules::Sink;

/// API 1.44 (Engine 25.0) added `Privileges.NoNewPrivileges` to the service spec.
const NNP_API: (u32, u32) = (1, 44);

pub fn check(d: &Deployment, sink: &mut Sink) {
    if sink.settings.daemon_no_new_privileges {
        return; // the config file says every node's daemon enforces it
    }
    for svc in &d.services {
        let nnp = svc.privileges.no_new_privileges.as_ref();
        if nnp.is_some_and(|v| v.as_bool() == Some(true)) {
            continue;
        }
        let loc = nnp.map_or_else(
            || missing_at(svc, &svc.loc, &format!("{CS}.Privileges.NoNewPrivileges")),
            |v| v.loc.clone(),
        );
        // what cannot be seen is reported as unknown, at info severity
        let mut unknown = |msg: &str| {
            let f = sink.service(svc, &loc, "no_new_privileges", msg);
            f.unknown = true;
            f.severity = Severity::Info;
        };
        let Some(swarm) = d.swarm.as_deref() else {
            // a stack file: the key does not exist for services
            unknown("no-new-privileges cannot be set from a stack file (`security_opt` is ignored): it applies only if every node's daemon.json sets it, which is unknown here (set `settings.daemon_no_new_privileges: true` once it does)");
            continue;
        };
        let api_ok = swarm.api_version.is_some_and(|v| v >= NNP_API);
        match swarm.manager_no_new_privileges {
            // before API 1.44 the engine cannot set it per service at all
            Some(false) => {
                sink.service(
                    svc,
                    &loc,
                    "no_new_privileges",
                    "no-new-privileges is off: the service spec does not set it and the manager's daemon does not enforce it, so setuid binaries in the image can raise a process's privileges",
                );
            }
            Some(true) => unknown("the service spec does not set no-new-privileges; the manager's daemon enforces it by default, but whether every other node's daemon.json does is unknown"),
            None if api_ok => unknown("the service spec does not set no-new-privileges and the daemons' defaults could not be read: whether it is enforced is unknown"),
            None => unknown("whether no-new-privileges is enforced is unknown: the Engine API in use is older than 1.44, which shows it in the service spec"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::config::Settings;
    use crate::finding::Severity;
    use crate::model::{Deployment, Loc, Service, SwarmContext, Val};
    use crate::rules::{catalog, Sink};

    fn run(d: &Deployment, settings: &Settings) -> Vec<crate::finding::Finding> {
        let meta = catalog::find("SA107").expect("SA107 is registered");
        let mut out = vec![];
        check(d, &mut Sink::new(meta, &mut out, settings));
        out
    }

    fn live(nnp: Option<bool>, daemon: Option<bool>, api: (u32, u32)) -> Deployment {
        let loc = Loc::Api {
            object: "service st_api".into(),
            path: "Spec".into(),
        };
        let mut svc = Service::new("api".into(), loc.clone());
        svc.privileges.no_new_privileges = nnp.map(|b| Val::api(b.to_string(), loc.clone()));
        Deployment {
            live: true,
            services: vec![svc],
            swarm: Some(Box::new(SwarmContext {
                api_version: Some(api),
                manager_no_new_privileges: daemon,
                nodes: vec![],
            })),
            ..Deployment::default()
        }
    }

    #[test]
    fn the_config_setting_silences_stack_files() {
        let loc = Loc::Api {
            object: "f".into(),
            path: "p".into(),
        };
        let d = Deployment {
            services: vec![Service::new("api".into(), loc)],
            ..Deployment::default()
        };
        let found = run(&d, &Settings::default());
        assert_eq!(found.len(), 1);
        assert!(found[0].unknown);
        assert_eq!(found[0].severity, Severity::Info);
        let known = Settings {
            daemon_no_new_privileges: true,
            ..Settings::default()
        };
        assert!(run(&d, &known).is_empty());
    }

    #[test]
    fn live_states() {
        let s = Settings::default();
        assert!(run(&live(Some(true), Some(false), (1, 44)), &s).is_empty());
        let off = run(&live(None, Some(false), (1, 41)), &s);
        assert_eq!((off.len(), off[0].unknown), (1, false));
        assert_eq!(off[0].severity, Severity::Medium);
        let unseen = run(&live(Some(false), Some(true), (1, 44)), &s);
        assert_eq!((unseen.len(), unseen[0].unknown), (1, true));
        let no_info = run(&live(None, None, (1, 41)), &s);
        assert_eq!((no_info.len(), no_info[0].unknown), (1, true));
    }
}
