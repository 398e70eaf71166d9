//! The rule registry: one table, one line per rule. A rule is a quartet: its documentation in
//! `rules/<ID>-<name>.md` (embedded here, rendered everywhere), its logic in
//! `src/rules/<family>/<name>.rs`, fail/pass fixtures in `fixtures/<ID>/`, and the driver test.

pub mod catalog;
pub mod control_plane;
pub mod health;
pub mod host;
pub mod identity;
pub mod image;
pub mod locate;
pub mod network;
pub mod resources;
pub mod secrets;
pub mod stack_deploy;

use crate::finding::{Finding, ObjectKind, ObjectRef, Severity};
use crate::model::{Deployment, Loc, Service};

pub use catalog::RuleMeta;

/// A rule: its documentation (with TOML front matter) and its check.
pub struct Rule {
    pub doc: &'static str,
    pub check: fn(&Deployment, &mut Sink),
}

macro_rules! rule {
    ($file:literal, $check:path) => {
        Rule {
            doc: include_str!(concat!("../../rules/", $file, ".md")),
            check: $check,
        }
    };
}

/// Every rule, in id order: one line each.
#[rustfmt::skip]
pub static RULES: &[Rule] = &[
    rule!("SA001-hardening-key-ignored-by-stack-deploy", stack_deploy::hardening_key_ignored::check),
    rule!("SA002-dangerous-key-ignored-by-stack-deploy", stack_deploy::dangerous_key_ignored::check),
    rule!("SA003-key-makes-deploy-fail", stack_deploy::key_makes_deploy_fail::check),
    rule!("SA004-unresolved-variable", stack_deploy::unresolved_variable::check),
    rule!("SA005-version-mismatch-or-key-newer-than-version", stack_deploy::version_mismatch_or_newer_key::check),
    rule!("SA006-deployed-stack-drifts-from-file", stack_deploy::drift::check),
    rule!("SA007-suppression-problem", stack_deploy::suppression_problem::check),
    rule!("SA101-service-runs-as-root", identity::service_runs_as_root::check),
    rule!("SA102-dangerous-capability-added", identity::dangerous_capability_added::check),
    rule!("SA103-capabilities-not-dropped", identity::capabilities_not_dropped::check),
    rule!("SA104-runtime-socket-mounted", identity::runtime_socket_mounted::check),
    rule!("SA105-sensitive-host-path-mounted", identity::sensitive_host_path_mounted::check),
    rule!("SA106-host-network", identity::host_network::check),
    rule!("SA107-no-new-privileges-not-enforced", identity::no_new_privileges_not_enforced::check),
    rule!("SA108-seccomp-or-apparmor-disabled", identity::seccomp_or_apparmor_disabled::check),
    rule!("SA109-root-filesystem-writable", identity::root_filesystem_writable::check),
    rule!("SA201-overlay-network-not-encrypted", network::overlay_network_not_encrypted::check),
    rule!("SA202-ingress-network-not-encrypted", network::ingress_network_not_encrypted::check),
    rule!("SA203-port-published-on-routing-mesh", network::port_published_on_routing_mesh::check),
    rule!("SA204-host-ip-binding-dropped", network::host_ip_binding_dropped::check),
    rule!("SA205-sensitive-port-published", network::sensitive_port_published::check),
    rule!("SA206-privileged-port-published", network::privileged_port_published::check),
    rule!("SA207-attachable-overlay-network", network::attachable_overlay::check),
    rule!("SA301-no-memory-limit", resources::no_memory_limit::check),
    rule!("SA302-no-cpu-limit", resources::no_cpu_limit::check),
    rule!("SA303-no-pids-limit", resources::no_pids_limit::check),
    rule!("SA304-no-reservations", resources::no_reservations::check),
    rule!("SA305-single-replica", resources::single_replica::check),
    rule!("SA306-stateful-service-on-node-local-volume", resources::stateful_service_on_local_volume::check),
    rule!("SA307-workloads-may-run-on-managers", resources::workloads_may_run_on_managers::check),
    rule!("SA401-plaintext-secret-in-environment", secrets::plaintext_secret_in_environment::check),
    rule!("SA402-credential-pattern-in-value", secrets::credential_pattern_in_value::check),
    rule!("SA403-secrets-in-env-file", secrets::secrets_in_env_file::check),
    rule!("SA404-secret-passed-from-deploy-shell", secrets::secret_passed_from_deploy_shell::check),
    rule!("SA405-credentials-in-url", secrets::credentials_in_url::check),
    rule!("SA406-secret-file-next-to-stack", secrets::secret_file_next_to_stack::check),
    rule!("SA407-sensitive-data-in-config", secrets::sensitive_data_in_config::check),
    rule!("SA408-secret-mounted-world-readable", secrets::secret_mounted_world_readable::check),
    rule!("SA409-secret-name-convention", secrets::secret_name_convention::check),
    rule!("SA410-credentials-in-options-or-labels", secrets::credentials_in_options_or_labels::check),
    rule!("SA411-swarm-token-exposed", secrets::swarm_token_exposed::check),
    rule!("SA412-database-auth-disabled", secrets::database_auth_disabled::check),
    rule!("SA501-latest-or-implicit-tag", image::latest_or_implicit_tag::check),
    rule!("SA502-image-not-digest-pinned", image::image_not_digest_pinned::check),
    rule!("SA503-running-image-stale", image::running_image_stale::check),
    rule!("SA504-image-build-old", image::image_build_old::check),
    rule!("SA505-end-of-life-base", image::end_of_life_base::check),
    rule!("SA506-live-image-not-digest-pinned", image::live_image_not_digest_pinned::check),
    rule!("SA507-untrusted-or-insecure-registry", image::untrusted_or_insecure_registry::check),
    rule!("SA601-no-healthcheck", health::no_healthcheck::check),
    rule!("SA602-healthcheck-disabled", health::healthcheck_disabled::check),
    rule!("SA603-update-failure-action-not-rollback", health::update_failure_action_not_rollback::check),
    rule!("SA604-risky-update-pacing", health::risky_update_pacing::check),
    rule!("SA605-no-rollback-config", health::no_rollback_config::check),
    rule!("SA606-restart-policy-unbounded", health::restart_policy_unbounded::check),
    rule!("SA607-legacy-restart-key", health::legacy_restart_key::check),
    rule!("SA608-update-monitor-shorter-than-health-detection", health::update_monitor_shorter_than_health_detection::check),
    rule!("SA609-update-paused-or-not-converged", health::update_paused_or_not_converged::check),
    rule!("SA701-autolock-disabled", control_plane::autolock_disabled::check),
    rule!("SA702-manager-count-not-fault-tolerant", control_plane::manager_count_not_fault_tolerant::check),
    rule!("SA703-manager-unreachable-or-node-down", control_plane::manager_unreachable_or_node_down::check),
    rule!("SA704-managers-accept-workloads", control_plane::managers_accept_workloads::check),
    rule!("SA705-long-node-certificate-lifetime", control_plane::long_node_certificate_lifetime::check),
    rule!("SA706-ca-rotation-hygiene", control_plane::ca_rotation_hygiene::check),
    rule!("SA707-engine-versions-outdated-or-mixed", control_plane::engine_versions_outdated_or_mixed::check),
    rule!("SA708-control-port-on-all-interfaces", host::control_port_on_all_interfaces::check),
    rule!("SA709-docker-socket-permissions", host::docker_socket_permissions::check),
    rule!("SA710-daemon-api-on-tcp-without-tls", host::daemon_api_on_tcp_without_tls::check),
    rule!("SA711-insecure-registries-configured", host::insecure_registries_configured::check),
    rule!("SA712-no-new-privileges-off", host::no_new_privileges_off::check),
    rule!("SA713-daemon-hardening-defaults", host::daemon_hardening_defaults::check),
    rule!("SA714-daemon-json-permissions", host::daemon_json_permissions::check),
    rule!("SA715-placement-relies-on-engine-labels", control_plane::placement_relies_on_engine_labels::check),
];

/// Collects one rule's findings, with the rule's id and default severity filled in.
pub struct Sink<'a> {
    meta: &'static RuleMeta,
    out: &'a mut Vec<Finding>,
    /// Thresholds and lists from the config file (defaults without one).
    pub settings: &'a crate::config::Settings,
}

impl<'a> Sink<'a> {
    pub fn new(
        meta: &'static RuleMeta,
        out: &'a mut Vec<Finding>,
        settings: &'a crate::config::Settings,
    ) -> Self {
        Sink {
            meta,
            out,
            settings,
        }
    }

    /// Report a finding; the returned reference lets the rule raise or lower the severity or
    /// mark the finding as unknown.
    pub fn report(
        &mut self,
        object: ObjectRef,
        loc: &Loc,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.out.push(Finding {
            rule: self.meta.id_static(),
            severity: self.meta.severity,
            message: message.into(),
            loc: loc.clone(),
            object,
            unknown: false,
            key: key.into(),
            fix_available: false,
        });
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// Report on a service.
    pub fn service(
        &mut self,
        svc: &Service,
        loc: &Loc,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Finding {
        let mut object = ObjectRef::new(ObjectKind::Service, &svc.name);
        object.full_name = svc.full_name.clone();
        self.report(object, loc, key, message)
    }

    pub fn default_severity(&self) -> Severity {
        self.meta.severity
    }
}

/// Run `check` of one rule over a deployment (used by tests of single rules).
pub fn run_rule(id: &str, d: &Deployment) -> Vec<Finding> {
    let mut out = vec![];
    for (rule, meta) in RULES.iter().zip(catalog::all()) {
        if meta.id == id {
            let settings = crate::config::Settings::default();
            let mut sink = Sink::new(meta, &mut out, &settings);
            (rule.check)(d, &mut sink);
        }
    }
    out
}
