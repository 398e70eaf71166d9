//! `scan --live --probe-nodes`: the host checks on every node. This is the only module that
//! changes a cluster, and only when asked: it creates one short-lived `global-job` service from
//! a swarmaudit image that runs the hidden `host-report` command on each node with the host's
//! `/etc`, `/proc`, `/root` and Docker socket mounted read-only (the socket only to read its
//! owner and mode: the probe never connects to it), as root with every capability dropped but
//! `CAP_DAC_READ_SEARCH`, reads each node's report from the task logs, and removes the service
//! again: after success, failure, timeout, Ctrl-C or SIGTERM (the service is also removed when
//! the guard is dropped on any other path).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::{
    Mount, MountType, ServiceSpec, ServiceSpecMode, TaskSpec, TaskSpecContainerSpec,
    TaskSpecResources, TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum, TaskState,
};
use bollard::query_parameters::{ListTasksOptionsBuilder, LogsOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;

use crate::host::HostReport;
use crate::live::collect::Snapshot;
use crate::live::connect::Endpoint;

/// The label every probe service carries (`docker service ls -f label=io.swarmaudit.probe`).
pub const LABEL: &str = "io.swarmaudit.probe";
/// Where the host is mounted in the probe container (`host-report --host-root`).
pub const HOST_ROOT: &str = "/host";
pub const DEFAULT_IMAGE: &str = "swarmaudit:latest";

/// What one node's probe task returned.
#[derive(Debug, Clone)]
pub struct NodeReport {
    pub node_id: String,
    pub hostname: String,
    /// The node's report, or why there is none (task failed, no output, timed out).
    pub report: Result<HostReport, String>,
}

/// The probe service's spec: one task per node, no restarts, read-only mounts.
fn spec(name: &str, image: &str) -> ServiceSpec {
    let bind = |source: &str, target: &str| Mount {
        source: Some(source.into()),
        target: Some(format!("{HOST_ROOT}{target}")),
        typ: Some(MountType::BIND),
        read_only: Some(true),
        ..Mount::default()
    };
    ServiceSpec {
        name: Some(name.into()),
        labels: Some(HashMap::from([(LABEL.to_string(), "1".to_string())])),
        mode: Some(ServiceSpecMode {
            global_job: Some(HashMap::new()),
            ..ServiceSpecMode::default()
        }),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(image.into()),
                args: Some(vec![
                    "host-report".into(),
                    "--json".into(),
                    "--host-root".into(),
                    HOST_ROOT.into(),
                ]),
                // swarm fills these templates in per task
                env: Some(vec![
                    "SWARMAUDIT_NODE_ID={{.Node.ID}}".into(),
                    "SWARMAUDIT_NODE_HOSTNAME={{.Node.Hostname}}".into(),
                ]),
                labels: Some(HashMap::from([(LABEL.to_string(), "1".to_string())])),
                mounts: Some(vec![
                    bind("/etc", "/etc"),
                    bind("/proc", "/proc"),
                    bind("/root", "/root"),
                    bind("/var/run/docker.sock", "/var/run/docker.sock"),
                ]),
                read_only: Some(true),
                // root without capabilities except reading any file: a 0600 daemon.json or
                // /root/.docker is readable, and nothing can be changed (all mounts read-only)
                user: Some("0:0".into()),
                capability_drop: Some(vec!["ALL".into()]),
                capability_add: Some(vec!["CAP_DAC_READ_SEARCH".into()]),
                ..TaskSpecContainerSpec::default()
            }),
            restart_policy: Some(TaskSpecRestartPolicy {
                condition: Some(TaskSpecRestartPolicyConditionEnum::NONE),
                ..TaskSpecRestartPolicy::default()
            }),
            resources: Some(TaskSpecResources {
                limits: Some(bollard::models::Limit {
                    memory_bytes: Some(64 << 20),
                    nano_cpus: Some(500_000_000),
                    pids: Some(64),
                }),
                ..TaskSpecResources::default()
            }),
            ..TaskSpec::default()
        }),
        ..ServiceSpec::default()
    }
}

/// Removes the probe service when dropped, unless it was removed already. Armed before the
/// service is created, so an interrupted create is cleaned up too (by name; 404 is fine).
struct ServiceGuard {
    docker: Docker,
    name: String,
    removed: bool,
}

impl ServiceGuard {
    async fn remove(&mut self) -> Result<(), String> {
        self.removed = true;
        remove(&self.docker, &self.name).await
    }
}

async fn remove(docker: &Docker, name: &str) -> Result<(), String> {
    match docker.delete_service(name).await {
        Ok(()) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(e) => Err(format!(
            "could not remove the probe service {name}: {e}; remove it with `docker service rm {name}`"
        )),
    }
}

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        // a fresh thread with its own runtime: this may run inside the async runtime
        let (docker, name) = (self.docker.clone(), self.name.clone());
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(remove(&docker, &name))
        })
        .join();
        if let Ok(Err(e)) = done {
            eprintln!("swarmaudit: {e}");
        }
    }
}

fn terminal(state: Option<&TaskState>) -> bool {
    matches!(
        state,
        Some(
            TaskState::COMPLETE
                | TaskState::FAILED
                | TaskState::REJECTED
                | TaskState::SHUTDOWN
                | TaskState::ORPHANED
                | TaskState::REMOVE
        )
    )
}

/// The nodes that get a task: ready and active.
fn expected_nodes(snapshot: &Snapshot) -> Vec<(String, String)> {
    snapshot
        .nodes
        .iter()
        .filter(|n| {
            let ready = n
                .status
                .as_ref()
                .and_then(|s| s.state.as_ref())
                .is_some_and(|s| s.to_string() == "ready");
            let active = n
                .spec
                .as_ref()
                .and_then(|s| s.availability.as_ref())
                .is_some_and(|a| a.to_string() == "active");
            ready && active
        })
        .filter_map(|n| {
            let hostname = n
                .description
                .as_ref()
                .and_then(|d| d.hostname.clone())
                .unwrap_or_default();
            Some((n.id.clone()?, hostname))
        })
        .collect()
}

/// Wait for every expected node's task to end; returns each node's task outcome (state and
/// error), missing for nodes whose task did not end in time.
async fn wait_for_tasks(
    docker: &Docker,
    name: &str,
    nodes: &[(String, String)],
    deadline: Instant,
) -> Result<HashMap<String, String>, String> {
    let mut filters: HashMap<String, Vec<String>> = HashMap::new();
    filters.insert("service".into(), vec![name.to_string()]);
    let opts = ListTasksOptionsBuilder::new().filters(&filters).build();
    loop {
        let tasks = docker
            .list_tasks(Some(opts.clone()))
            .await
            .map_err(|e| format!("listing the probe's tasks failed: {e}"))?;
        let mut ended = HashMap::new();
        for t in &tasks {
            let status = t.status.as_ref();
            let state = status.and_then(|s| s.state.as_ref());
            if let (Some(node), true) = (t.node_id.clone(), terminal(state)) {
                let mut outcome = state.map(|s| s.to_string()).unwrap_or_default();
                if let Some(err) = status.and_then(|s| s.err.clone()).filter(|e| !e.is_empty()) {
                    outcome = format!("{outcome}: {err}");
                }
                ended.insert(node, outcome);
            }
        }
        if nodes.iter().all(|(id, _)| ended.contains_key(id)) || Instant::now() >= deadline {
            return Ok(ended);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn read_reports(docker: &Docker, name: &str) -> Result<Vec<HostReport>, String> {
    let opts = LogsOptionsBuilder::new().stdout(true).build();
    let mut out = Vec::new();
    let mut stream = docker.service_logs(name, Some(opts));
    while let Some(item) = stream.next().await {
        match item {
            Ok(bollard::container::LogOutput::StdOut { message }) => {
                out.extend_from_slice(&message)
            }
            Ok(_) => {}
            Err(e) => return Err(format!("reading the probe's logs failed: {e}")),
        }
    }
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<HostReport>(l.trim()).ok())
        .collect())
}

async fn probe(
    docker: Docker,
    snapshot: &Snapshot,
    image: &str,
    timeout: Duration,
) -> Result<Vec<NodeReport>, String> {
    let nodes = expected_nodes(snapshot);
    let name = format!(
        "swarmaudit-probe-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let mut guard = ServiceGuard {
        docker: docker.clone(),
        name: name.clone(),
        removed: false,
    };
    let work = async {
        docker
            .create_service(spec(&name, image), None)
            .await
            .map_err(|e| format!("creating the probe service failed: {e}"))?;
        let ended = wait_for_tasks(&docker, &name, &nodes, Instant::now() + timeout).await?;
        let reports = read_reports(&docker, &name).await?;
        Ok::<_, String>((ended, reports))
    };
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot watch for SIGTERM: {e}"))?;
    let outcome = tokio::select! {
        r = work => r,
        _ = tokio::signal::ctrl_c() => Err("interrupted; the probe service was removed".to_string()),
        _ = term.recv() => Err("terminated; the probe service was removed".to_string()),
    };
    let removed = guard.remove().await;
    let (ended, reports) = outcome?;
    removed?;
    Ok(nodes
        .into_iter()
        .map(|(id, hostname)| {
            let report = match reports.iter().find(|r| r.node_id.as_deref() == Some(&id)) {
                Some(r) => Ok(r.clone()),
                None => Err(match ended.get(&id) {
                    Some(state) => format!(
                        "the probe task on {hostname} ended `{state}` without a report (is `{image}` a swarmaudit image present on the node?)"
                    ),
                    None => format!(
                        "the probe task on {hostname} did not finish within {}s",
                        timeout.as_secs()
                    ),
                }),
            };
            NodeReport {
                node_id: id,
                hostname,
                report,
            }
        })
        .collect())
}

/// Run the probe (blocking; the async runtime lives only here).
pub fn run(
    ep: &Endpoint,
    snapshot: &Snapshot,
    image: &str,
    timeout: Duration,
) -> Result<Vec<NodeReport>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        let docker = crate::live::connect::client(ep, timeout).map_err(|e| e.to_string())?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| format!("the version negotiation failed: {e}"))?;
        probe(docker, snapshot, image, timeout).await
    })
}
