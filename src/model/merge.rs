//! `docker stack deploy -c base.yml -c override.yml`: later files override earlier ones, merged
//! as docker/cli `cli/compose/loader/merge.go` does: services by name, scalars override, maps
//! (environment, labels) merged by key, most lists appended, except ports (keyed by published
//! port), secrets/configs (by source), volumes (by target); command/entrypoint replaced;
//! top-level networks/volumes/secrets/configs replaced per key. Every value keeps the
//! location of the file it came from.

use crate::model::*;

fn over<T>(base: &mut Option<T>, o: Option<T>) {
    if o.is_some() {
        *base = o;
    }
}

fn merge_keyvals(base: &mut Vec<KeyVal>, o: Vec<KeyVal>) {
    for kv in o {
        match base.iter_mut().find(|b| b.key == kv.key) {
            Some(b) => *b = kv,
            None => base.push(kv),
        }
    }
}

/// Replace entries with the same key, append the rest.
fn merge_keyed<T, K: PartialEq>(base: &mut Vec<T>, o: Vec<T>, key: impl Fn(&T) -> K) {
    for item in o {
        let k = key(&item);
        match base.iter_mut().find(|b| key(b) == k) {
            Some(b) => *b = item,
            None => base.push(item),
        }
    }
}

fn merge_resources(b: &mut Resources, o: Resources) {
    over(&mut b.loc, o.loc);
    over(&mut b.cpus, o.cpus);
    over(&mut b.memory, o.memory);
    over(&mut b.pids, o.pids);
}

fn merge_update(b: &mut Option<UpdatePolicy>, o: Option<UpdatePolicy>) {
    let Some(o) = o else { return };
    match b {
        None => *b = Some(o),
        Some(b) => {
            b.loc = o.loc;
            over(&mut b.parallelism, o.parallelism);
            over(&mut b.delay, o.delay);
            over(&mut b.failure_action, o.failure_action);
            over(&mut b.monitor, o.monitor);
            over(&mut b.max_failure_ratio, o.max_failure_ratio);
            over(&mut b.order, o.order);
        }
    }
}

fn merge_service(b: &mut Service, o: Service) {
    over(&mut b.image, o.image);
    over(&mut b.user, o.user);
    over(&mut b.read_only, o.read_only);
    over(&mut b.restart, o.restart);
    b.cap_add.extend(o.cap_add);
    b.cap_drop.extend(o.cap_drop);
    b.security_opt.extend(o.security_opt);
    b.env_files.extend(o.env_files);
    if !o.command.is_empty() {
        b.command = o.command;
    }
    if !o.entrypoint.is_empty() {
        b.entrypoint = o.entrypoint;
    }
    merge_keyvals(&mut b.environment, o.environment);
    merge_keyvals(&mut b.labels, o.labels);
    merge_keyvals(&mut b.logging_options, o.logging_options);
    merge_keyed(&mut b.ports, o.ports, |p| p.published);
    merge_keyed(&mut b.mounts, o.mounts, |m| {
        m.target.as_ref().map(|t| t.text.clone())
    });
    merge_keyed(&mut b.secrets, o.secrets, |s| s.source.text.clone());
    merge_keyed(&mut b.configs, o.configs, |s| s.source.text.clone());
    if let Some(on) = o.networks {
        let bn = b.networks.get_or_insert_with(Vec::new);
        merge_keyed(bn, on, |n| n.text.clone());
    }
    match (&mut b.healthcheck, o.healthcheck) {
        (_, None) => {}
        (None, Some(h)) => b.healthcheck = Some(h),
        (Some(bh), Some(h)) => {
            bh.loc = h.loc;
            over(&mut bh.test, h.test);
            over(&mut bh.test_loc, h.test_loc);
            over(&mut bh.disable, h.disable);
            over(&mut bh.interval, h.interval);
            over(&mut bh.timeout, h.timeout);
            over(&mut bh.retries, h.retries);
            over(&mut bh.start_period, h.start_period);
        }
    }
    let (bd, od) = (&mut b.deploy, o.deploy);
    over(&mut bd.loc, od.loc);
    over(&mut bd.mode, od.mode);
    over(&mut bd.replicas, od.replicas);
    over(&mut bd.endpoint_mode, od.endpoint_mode);
    merge_keyvals(&mut bd.labels, od.labels);
    merge_resources(&mut bd.limits, od.limits);
    merge_resources(&mut bd.reservations, od.reservations);
    match (&mut bd.restart_policy, od.restart_policy) {
        (_, None) => {}
        (None, Some(r)) => bd.restart_policy = Some(r),
        (Some(br), Some(r)) => {
            br.loc = r.loc;
            over(&mut br.condition, r.condition);
            over(&mut br.delay, r.delay);
            over(&mut br.max_attempts, r.max_attempts);
            over(&mut br.window, r.window);
        }
    }
    merge_update(&mut bd.update_config, od.update_config);
    merge_update(&mut bd.rollback_config, od.rollback_config);
    bd.constraints.extend(od.constraints);
    b.ignored.extend(o.ignored);
    b.rejected.extend(o.rejected);
}

/// Merge `o` (a later `-c` file) into `base`.
pub fn merge(base: &mut Deployment, o: Deployment) {
    base.files.extend(o.files);
    over(&mut base.version, o.version);
    for s in o.services {
        match base.services.iter_mut().find(|b| b.name == s.name) {
            Some(b) => merge_service(b, s),
            None => base.services.push(s),
        }
    }
    merge_keyed(&mut base.networks, o.networks, |n| n.name.clone());
    merge_keyed(&mut base.volumes, o.volumes, |n| n.name.clone());
    merge_keyed(&mut base.secrets, o.secrets, |n| n.name.clone());
    merge_keyed(&mut base.configs, o.configs, |n| n.name.clone());
    base.unresolved.extend(o.unresolved);
    base.rejected.extend(o.rejected);
    base.file_versions.extend(o.file_versions);
    base.versioned_keys.extend(o.versioned_keys);
}
