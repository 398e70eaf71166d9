//! The model: what `docker stack deploy` applies, after interpolation, merge keys, multi-file
//! merge and short-to-long syntax expansion. Rules see only this. Every fact carries its [`Loc`].

pub mod host;
pub mod interpolate;
pub mod lower;
pub mod merge;
pub mod schema_versions;
pub mod value;

use std::path::PathBuf;

use crate::source::FileId;
use crate::yaml::Span;

pub use value::Val;

/// Where a fact comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Loc {
    /// A node in a stack file; `def` is the definition site when reached via an anchor/merge key.
    File { span: Span, def: Option<Span> },
    /// A field of a live API object, e.g. `Spec.TaskTemplate.ContainerSpec.User`.
    Api { object: String, path: String },
}

impl Loc {
    pub fn file(span: Span) -> Self {
        Loc::File { span, def: None }
    }
    pub fn span(&self) -> Option<Span> {
        match self {
            Loc::File { span, .. } => Some(*span),
            Loc::Api { .. } => None,
        }
    }
    pub fn file_id(&self) -> Option<FileId> {
        self.span().map(|s| s.file)
    }
    /// True when the value was reached through an alias or a merge key.
    pub fn via_alias(&self) -> bool {
        matches!(self, Loc::File { def: Some(_), .. })
    }
}

/// Lexically clean a host path the way Go's `path.Clean` does (moby cleans bind sources before
/// mounting): `//etc` → `/etc`, `/srv/../etc` → `/etc`, `/var/run/./docker.sock` →
/// `/var/run/docker.sock`. Relative paths keep their leading `.`/`..` parts.
pub fn clean_path(p: &str) -> String {
    let abs = p.starts_with('/');
    let mut parts: Vec<&str> = vec![];
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// A key as written, with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyUse {
    pub key: String,
    pub loc: Loc,
    /// The value of the key (for rules that judge the ignored key's value, e.g. `privileged: true`).
    pub value: Option<Val>,
}

/// `KEY: value` (map form) or `KEY=value` (list form); `value` is `None` for a bare `KEY`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyVal {
    pub key: String,
    pub key_loc: Loc,
    pub value: Option<Val>,
    /// Location of the whole entry (list item, or key of a map entry).
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
    Npipe,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    pub kind: MountKind,
    pub source: Option<Val>,
    pub target: Option<Val>,
    pub read_only: bool,
    pub propagation: Option<Val>,
    /// Live mode: `VolumeOptions.DriverConfig.Options` (stack files put them on the top-level
    /// volume's `driver_opts`).
    pub driver_opts: Vec<KeyVal>,
    pub loc: Loc,
    pub short: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishMode {
    Ingress,
    Host,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    pub target: Option<(u32, u32)>,
    /// Published port range; `None` means a random port from the swarm's range.
    pub published: Option<(u32, u32)>,
    pub protocol: String,
    pub mode: PublishMode,
    /// Host IP written in short syntax (dropped by swarm).
    pub host_ip: Option<String>,
    pub loc: Loc,
    pub short: bool,
}

impl Port {
    pub fn published_ports(&self) -> impl Iterator<Item = u32> {
        let (a, b) = self.published.unwrap_or((1, 0));
        a..=b
    }
    pub fn target_ports(&self) -> impl Iterator<Item = u32> {
        let (a, b) = self.target.unwrap_or((1, 0));
        a..=b
    }
}

/// A service's reference to a secret or config.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRef {
    pub source: Val,
    pub target: Option<Val>,
    pub uid: Option<Val>,
    pub gid: Option<Val>,
    pub mode: Option<Val>,
    pub loc: Loc,
    pub short: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Healthcheck {
    pub loc: Loc,
    /// Normalised test: `["CMD-SHELL", "..."]` for the string form.
    pub test: Option<Vec<Val>>,
    pub test_loc: Option<Loc>,
    pub disable: Option<Val>,
    pub interval: Option<Val>,
    pub timeout: Option<Val>,
    pub retries: Option<Val>,
    pub start_period: Option<Val>,
}

impl Healthcheck {
    /// `disable: true` or `test: ["NONE"]`.
    pub fn is_disabled(&self) -> bool {
        self.disable.as_ref().and_then(Val::as_bool) == Some(true)
            || self
                .test
                .as_ref()
                .and_then(|t| t.first())
                .is_some_and(|t| t.text == "NONE")
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resources {
    pub loc: Option<Loc>,
    pub cpus: Option<Val>,
    pub memory: Option<Val>,
    pub pids: Option<Val>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RestartPolicy {
    pub loc: Loc,
    pub condition: Option<Val>,
    pub delay: Option<Val>,
    pub max_attempts: Option<Val>,
    pub window: Option<Val>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpdatePolicy {
    pub loc: Loc,
    pub parallelism: Option<Val>,
    pub delay: Option<Val>,
    pub failure_action: Option<Val>,
    pub monitor: Option<Val>,
    pub max_failure_ratio: Option<Val>,
    pub order: Option<Val>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Deploy {
    /// The `deploy:` key, when present.
    pub loc: Option<Loc>,
    pub mode: Option<Val>,
    pub replicas: Option<Val>,
    pub labels: Vec<KeyVal>,
    pub limits: Resources,
    pub reservations: Resources,
    pub restart_policy: Option<RestartPolicy>,
    pub update_config: Option<UpdatePolicy>,
    pub rollback_config: Option<UpdatePolicy>,
    pub constraints: Vec<Val>,
    pub endpoint_mode: Option<Val>,
}

/// What the image itself says, when known (live mode or `--resolve-images`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ImageFact<T> {
    /// Not looked up (file mode) or not available; the string says why.
    #[default]
    Unknown,
    Known(T),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageInfo {
    /// The image's `Config.User` (empty = root).
    pub user: ImageFact<String>,
    /// Whether the image declares a HEALTHCHECK.
    pub has_healthcheck: ImageFact<bool>,
    /// The image config's `created` (RFC 3339), from the node's image or the registry.
    pub created: ImageFact<String>,
    /// Config labels, then manifest and index annotations (`org.opencontainers.image.*`).
    pub labels: ImageFact<std::collections::BTreeMap<String, String>>,
    /// What the registry said (`--resolve-images`); `None` when it was not asked.
    pub registry: Option<RegistryFacts>,
    /// Why the image's registry counts as insecure (daemon `insecure-registries`,
    /// `--insecure-registry`); loopback registries are recognised from the reference itself.
    pub insecure_registry: Option<String>,
    /// When these facts were observed (seconds since the epoch; `None`: now). Ages are measured
    /// from here, so a recorded snapshot gives the same answer on any day.
    pub observed_at: Option<i64>,
    /// The image HEALTHCHECK's timing (zero: not set), known when `has_healthcheck` is.
    pub health_timing: ImageFact<HealthTiming>,
}

/// Timing fields of a healthcheck in nanoseconds / count; zero means "not set" (Docker then
/// takes the image's value, else its default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HealthTiming {
    pub interval_ns: u64,
    pub retries: u64,
    pub start_period_ns: u64,
}

/// A registry lookup of a service's image.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegistryFacts {
    /// Canonical reference, e.g. `docker.io/library/nginx:1.27`.
    pub reference: String,
    /// The digest the tag points to now (the index digest for multi-arch images).
    pub tag_digest: Option<String>,
    /// Why the registry could not tell (unreachable, denied, rate-limited, unknown tag, …):
    /// the dependent rules then report unknown with this reason.
    pub error: Option<String>,
}

impl ImageInfo {
    /// Why the image's own facts are unknown, when a lookup was tried and failed.
    pub fn lookup_error(&self) -> Option<&str> {
        self.registry.as_ref().and_then(|r| r.error.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The name as the stack file writes it (live: without the `<stack>_` prefix).
    pub name: String,
    /// Live mode: the service's real name (`mon_prometheus`).
    pub full_name: Option<String>,
    /// Live mode: what the swarm reports about the service's state.
    pub status: Option<ServiceStatus>,
    /// The service's key in `services:`.
    pub loc: Loc,
    pub image: Option<Val>,
    pub user: Option<Val>,
    pub cap_add: Vec<Val>,
    pub cap_drop: Vec<Val>,
    pub read_only: Option<Val>,
    pub mounts: Vec<Mount>,
    pub ports: Vec<Port>,
    /// Networks the service joins; `None` when `networks:` is absent (implicit `default`).
    pub networks: Option<Vec<Val>>,
    pub environment: Vec<KeyVal>,
    pub env_files: Vec<Val>,
    /// What the loader found at each `env_file` path (stack files only).
    pub env_file_contents: Vec<EnvFile>,
    pub labels: Vec<KeyVal>,
    pub command: Vec<Val>,
    pub entrypoint: Vec<Val>,
    pub healthcheck: Option<Healthcheck>,
    pub logging_options: Vec<KeyVal>,
    /// Legacy `restart:`; stack deploy converts it only when `deploy.restart_policy` is absent.
    pub restart: Option<Val>,
    pub deploy: Deploy,
    pub secrets: Vec<FileRef>,
    pub configs: Vec<FileRef>,
    /// Keys stack deploy drops ("Ignoring unsupported options") or silently ignores.
    pub ignored: Vec<KeyUse>,
    /// Keys that make stack deploy fail (forbidden, or rejected by its schema).
    pub rejected: Vec<KeyUse>,
    pub image_info: ImageInfo,
    /// Live mode: why the image's config could not be read (not present on this node, …).
    pub image_unknown_reason: Option<String>,
    /// Stack files: the `security_opt` entries as written. Stack deploy ignores the key (it is
    /// also in `ignored`), so these record intent only.
    pub security_opt: Vec<Val>,
    /// Live mode: `ContainerSpec.Privileges` (NoNewPrivileges, Seccomp and AppArmor need API
    /// 1.44); all `None` for stack files, which cannot set them.
    pub privileges: Privileges,
}

/// Live mode: `Spec.TaskTemplate.ContainerSpec.Privileges`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Privileges {
    pub no_new_privileges: Option<Val>,
    /// `Seccomp.Mode`: default, unconfined or custom.
    pub seccomp_mode: Option<Val>,
    /// `AppArmor.Mode`: default or disabled.
    pub apparmor_mode: Option<Val>,
}

impl Service {
    pub fn new(name: String, loc: Loc) -> Self {
        Service {
            name,
            full_name: None,
            status: None,
            loc,
            image: None,
            user: None,
            cap_add: vec![],
            cap_drop: vec![],
            read_only: None,
            mounts: vec![],
            ports: vec![],
            networks: None,
            environment: vec![],
            env_files: vec![],
            env_file_contents: vec![],
            labels: vec![],
            command: vec![],
            entrypoint: vec![],
            healthcheck: None,
            logging_options: vec![],
            restart: None,
            deploy: Deploy::default(),
            secrets: vec![],
            configs: vec![],
            ignored: vec![],
            rejected: vec![],
            image_info: ImageInfo::default(),
            image_unknown_reason: None,
            security_opt: vec![],
            privileges: Privileges::default(),
        }
    }

    /// `global`, `replicated` (default), `replicated-job`, `global-job`.
    pub fn mode(&self) -> &str {
        self.deploy
            .mode
            .as_ref()
            .map_or("replicated", |m| m.text.as_str())
    }

    pub fn is_job(&self) -> bool {
        self.mode().ends_with("-job")
    }

    /// Effective network names: the explicit list, or the implicit `default`.
    pub fn effective_networks(&self) -> Vec<&str> {
        // file lowering turns `networks: []` into `None` (docker/cli: `len(Networks) == 0` means
        // the default network); a live service with no networks really has none
        match &self.networks {
            Some(n) => n.iter().map(|v| v.text.as_str()).collect(),
            None => vec!["default"],
        }
    }
}

/// Live mode: a service's convergence and update state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceStatus {
    pub running_tasks: Option<u64>,
    pub desired_tasks: Option<u64>,
    /// `UpdateStatus.State`: updating, paused, completed, rollback_started, rollback_paused,
    /// rollback_completed.
    pub update_state: Option<String>,
    pub update_message: Option<String>,
    pub loc: Option<Loc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub name: String,
    /// Live mode: the network's real name.
    pub full_name: Option<String>,
    /// Live mode: the swarm's routing-mesh network.
    pub ingress: bool,
    /// The network's key under `networks:`; for the implicit default network, the first service
    /// that joins it.
    pub loc: Loc,
    pub driver: Option<Val>,
    pub driver_opts: Vec<KeyVal>,
    pub external: bool,
    /// `name:` override (or the external name).
    pub name_override: Option<Val>,
    pub attachable: Option<Val>,
    pub internal: Option<Val>,
    /// Not declared: the `<stack>_default` network stack deploy creates.
    pub implicit: bool,
}

impl Network {
    /// Stack deploy's default driver is overlay (Compose's is bridge).
    pub fn effective_driver(&self) -> &str {
        self.driver.as_ref().map_or("overlay", |d| d.text.as_str())
    }
    /// libnetwork checks the *presence* of the `encrypted` option, not its value.
    pub fn encrypted(&self) -> bool {
        self.driver_opts.iter().any(|o| o.key == "encrypted")
    }
    /// The network's real name: `name:` override, else the key.
    pub fn real_name(&self) -> &str {
        self.name_override
            .as_ref()
            .map_or(self.name.as_str(), |n| n.text.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    pub name: String,
    pub loc: Loc,
    pub driver: Option<Val>,
    pub driver_opts: Vec<KeyVal>,
    pub external: bool,
}

/// A local file a stack file names (`env_file`, `secrets`/`configs` `file:`), as the loader
/// found it. Relative paths resolve against the stack's working directory (the directory of the
/// first `-c` file), as docker/cli resolves them. Secret files are never read, only `stat`ed.
#[derive(Clone, PartialEq, Default)]
pub struct LocalFile {
    /// The resolved path as shown in messages.
    pub shown: String,
    /// The file lies inside the stack's working directory (the project).
    pub in_project: bool,
    /// Unix permission bits, when the file could be `stat`ed.
    pub mode: Option<u32>,
    /// The text (env files and configs only).
    pub text: Option<String>,
    /// Why the file could not be read (missing, unreadable, too large, path unknown).
    pub error: Option<String>,
}

/// Never show the text: it may hold secrets.
impl std::fmt::Debug for LocalFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFile")
            .field("shown", &self.shown)
            .field("in_project", &self.in_project)
            .field("mode", &self.mode)
            .field(
                "text",
                &self.text.as_ref().map(|t| format!("<{} bytes>", t.len())),
            )
            .field("error", &self.error)
            .finish()
    }
}

/// An `env_file` entry of a service and what the loader found there.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile {
    /// The path as written in the stack file.
    pub path: Val,
    pub file: LocalFile,
}

/// A top-level secret or config definition (live mode: a secret or config object).
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub name: String,
    pub loc: Loc,
    pub file: Option<Val>,
    pub external: bool,
    pub name_override: Option<Val>,
    /// What the loader found at `file:` (stack files only).
    pub local: Option<LocalFile>,
    /// Live configs: `Spec.Data`, base64-decoded (lossy UTF-8). Never printed.
    pub data: Option<Data>,
}

impl Object {
    /// The name swarm gives the object: `name:` as written, else the key (stack deploy adds the
    /// `<stack>_` prefix only to the key; live names come without it).
    pub fn real_name(&self) -> &str {
        self.name_override
            .as_ref()
            .map_or(self.name.as_str(), |n| n.text.as_str())
    }
}

/// Object data that may hold secrets: its `Debug` never shows the text.
#[derive(Clone, PartialEq)]
pub struct Data {
    pub text: String,
    pub loc: Loc,
}

impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Data(<{} bytes> at {:?})", self.text.len(), self.loc)
    }
}

/// A use of a variable without a value.
#[derive(Debug, Clone, PartialEq)]
pub struct UnresolvedVar {
    pub name: String,
    pub loc: Loc,
    /// Plain `${VAR}`/`$VAR`: stack deploy substitutes an empty string without a word.
    pub silently_empty: bool,
}

/// One stack: what `docker stack deploy -c … <stack>` would create.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Deployment {
    pub stack: String,
    pub files: Vec<FileId>,
    pub version: Option<Val>,
    pub services: Vec<Service>,
    pub networks: Vec<Network>,
    pub volumes: Vec<Volume>,
    pub secrets: Vec<Object>,
    pub configs: Vec<Object>,
    pub unresolved: Vec<UnresolvedVar>,
    /// A `.env` beside the first file: stack deploy does not read it.
    pub dotenv: Option<PathBuf>,
    /// Top-level keys that make deploy fail.
    pub rejected: Vec<KeyUse>,
    /// Built from a live swarm rather than from files.
    pub live: bool,
    /// Live mode: swarm-wide facts (carried by one deployment per run, so cluster rules report
    /// once).
    pub cluster: Option<Box<Cluster>>,
    /// Stack files: every file's `version:` in `-c` order (stack deploy validates each file
    /// against the schema of its own version and requires them to agree).
    pub file_versions: Vec<FileVersion>,
    /// Stack files: keys that not every v3 schema accepts (see [`schema_versions`]), with the
    /// path as written (`services.web.deploy.resources.limits.pids`).
    pub versioned_keys: Vec<KeyUse>,
    /// Live mode: facts about the swarm that service rules need (each stack deployment carries
    /// them; cluster rules use `cluster`).
    pub swarm: Option<Box<SwarmContext>>,
    /// Facts read on nodes' hosts (`scan --host-checks`, the local node in live mode, every
    /// node with `--probe-nodes`); the host rules SA708–SA714 judge these.
    pub hosts: Vec<host::HostFacts>,
    /// Built only from host facts (`scan --host-checks`): only the host rules run.
    pub host_only: bool,
}

/// One file's `version:`.
#[derive(Debug, Clone, PartialEq)]
pub struct FileVersion {
    pub file: FileId,
    /// `None`: the file has no `version:`.
    pub version: Option<Val>,
    /// The file's top-level mapping (where a missing `version:` belongs).
    pub loc: Loc,
}

/// Live mode: swarm facts for service rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SwarmContext {
    /// The negotiated Engine API version (`1.44`).
    pub api_version: Option<(u32, u32)>,
    /// Whether the daemon of the manager that answered enforces no-new-privileges by default
    /// (`name=no-new-privileges` in `/info` SecurityOptions); other nodes' daemons are unseen.
    pub manager_no_new_privileges: Option<bool>,
    pub nodes: Vec<NodeInfo>,
}

/// Swarm-wide facts from the Engine API.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cluster {
    pub loc: Option<Loc>,
    pub autolock: Option<bool>,
    pub node_cert_expiry_ns: Option<i64>,
    pub nodes: Vec<NodeInfo>,
    /// The ingress (routing-mesh) network and whether any service publishes in ingress mode.
    pub ingress: Option<Network>,
    pub ingress_ports_in_use: bool,
    /// An overlay network with the `encrypted` option exists.
    pub encrypted_overlays_in_use: bool,
    /// `RootRotationInProgress`: a root CA rotation has not finished.
    pub root_rotation_in_progress: Option<bool>,
    /// `TLSInfo.CertIssuerSubject` of the swarm's root CA (base64 DER, as the API gives it).
    pub cert_issuer_subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeInfo {
    pub id: String,
    pub hostname: String,
    pub loc: Option<Loc>,
    pub role: String,
    pub availability: String,
    pub state: String,
    pub leader: bool,
    pub reachability: Option<String>,
    pub engine_version: Option<String>,
    /// `Description.TLSInfo.CertIssuerSubject`: who issued the node's certificate.
    pub cert_issuer_subject: Option<String>,
}

impl Deployment {
    pub fn network(&self, name: &str) -> Option<&Network> {
        self.networks.iter().find(|n| n.name == name)
    }
    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.volumes.iter().find(|v| v.name == name)
    }
}
