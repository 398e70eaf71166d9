//! Connect like the docker CLI: `-H/--host`, `--context`, `DOCKER_HOST` (+ `DOCKER_TLS_VERIFY`,
//! `DOCKER_CERT_PATH`), `DOCKER_CONTEXT`, the CLI's current context, else the local socket.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};
use sha2::{Digest, Sha256};

use crate::live::LiveError;

pub const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// Where and how to connect, resolved from flags, environment and the CLI's context store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `unix:///var/run/docker.sock`, `tcp://host:2376`.
    pub host: String,
    /// Directory with `ca.pem`, `cert.pem`, `key.pem` when TLS is used.
    pub tls: Option<PathBuf>,
    /// Where the endpoint came from, for error messages (`-H`, `DOCKER_HOST`, `context prod`).
    pub source: String,
}

fn docker_config_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("DOCKER_CONFIG") {
        return PathBuf::from(d);
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
        .join(".docker")
}

fn context_digest(name: &str) -> String {
    let d = Sha256::digest(name.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Read a context from the docker CLI's context store.
pub fn context_endpoint(config_dir: &Path, name: &str) -> Result<Endpoint, LiveError> {
    if name == "default" {
        return Ok(env_endpoint().unwrap_or_else(|| Endpoint {
            host: DEFAULT_SOCKET.into(),
            tls: None,
            source: "context default".into(),
        }));
    }
    let digest = context_digest(name);
    let meta = config_dir
        .join("contexts/meta")
        .join(&digest)
        .join("meta.json");
    let text = std::fs::read_to_string(&meta).map_err(|e| {
        LiveError::Config(format!(
            "docker context `{name}` not found ({}: {e}); `docker context ls` lists them",
            meta.display()
        ))
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        LiveError::Config(format!("{}: invalid context metadata: {e}", meta.display()))
    })?;
    let host = v["Endpoints"]["docker"]["Host"]
        .as_str()
        .ok_or_else(|| {
            LiveError::Config(format!(
                "{}: context `{name}` has no docker endpoint",
                meta.display()
            ))
        })?
        .to_string();
    let tls_dir = config_dir.join("contexts/tls").join(&digest).join("docker");
    let tls = (host.starts_with("tcp://") && tls_dir.join("ca.pem").is_file()).then_some(tls_dir);
    Ok(Endpoint {
        host,
        tls,
        source: format!("context {name}"),
    })
}

fn env_endpoint() -> Option<Endpoint> {
    let host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())?;
    let verify = std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty());
    let tls = verify.then(|| {
        std::env::var_os("DOCKER_CERT_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(docker_config_dir)
    });
    Some(Endpoint {
        host,
        tls,
        source: "DOCKER_HOST".into(),
    })
}

/// Resolve the endpoint the docker CLI would use.
pub fn resolve(host: Option<&str>, context: Option<&str>) -> Result<Endpoint, LiveError> {
    if let Some(h) = host {
        let verify = std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty());
        return Ok(Endpoint {
            host: h.to_string(),
            tls: verify.then(|| {
                std::env::var_os("DOCKER_CERT_PATH")
                    .map(PathBuf::from)
                    .unwrap_or_else(docker_config_dir)
            }),
            source: "-H".into(),
        });
    }
    let config_dir = docker_config_dir();
    if let Some(c) = context {
        return context_endpoint(&config_dir, c);
    }
    if let Some(e) = env_endpoint() {
        return Ok(e);
    }
    let current = std::env::var("DOCKER_CONTEXT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            let text = std::fs::read_to_string(config_dir.join("config.json")).ok()?;
            let v: serde_json::Value = serde_json::from_str(&text).ok()?;
            v["currentContext"].as_str().map(str::to_string)
        });
    match current {
        Some(c) if c != "default" => context_endpoint(&config_dir, &c),
        _ => Ok(Endpoint {
            host: DEFAULT_SOCKET.into(),
            tls: None,
            source: "default socket".into(),
        }),
    }
}

/// Open a client for the endpoint (no request is sent yet).
pub fn client(ep: &Endpoint, timeout: Duration) -> Result<Docker, LiveError> {
    let secs = timeout.as_secs().max(1);
    let unreachable = |e: bollard::errors::Error| LiveError::Unreachable {
        address: ep.host.clone(),
        source: ep.source.clone(),
        reason: e.to_string(),
    };
    if let Some(path) = ep.host.strip_prefix("unix://") {
        if !Path::new(path).exists() {
            return Err(LiveError::Unreachable {
                address: ep.host.clone(),
                source: ep.source.clone(),
                reason: "no such socket (is the Docker daemon running?)".into(),
            });
        }
        return Docker::connect_with_unix(path, secs, API_DEFAULT_VERSION).map_err(unreachable);
    }
    if ep.host.starts_with("tcp://")
        || ep.host.starts_with("http://")
        || ep.host.starts_with("https://")
    {
        return match &ep.tls {
            Some(dir) => Docker::connect_with_ssl(
                &ep.host,
                &dir.join("key.pem"),
                &dir.join("cert.pem"),
                &dir.join("ca.pem"),
                secs,
                API_DEFAULT_VERSION,
            )
            .map_err(unreachable),
            None => {
                Docker::connect_with_http(&ep.host, secs, API_DEFAULT_VERSION).map_err(unreachable)
            }
        };
    }
    Err(LiveError::Config(format!(
        "unsupported Docker host `{}` (from {}): use unix://, tcp:// (with DOCKER_TLS_VERIFY for TLS)",
        ep.host, ep.source
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_store_lookup() {
        let dir = tempfile::tempdir().expect("tmp");
        let digest = context_digest("prod");
        // docker CLI: the metadata directory is the sha256 of the context name
        assert_eq!(digest.len(), 64);
        let meta = dir.path().join("contexts/meta").join(&digest);
        std::fs::create_dir_all(&meta).expect("mkdir");
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"prod","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://127.0.0.1:2376","SkipTLSVerify":false}}}"#,
        )
        .expect("write");
        let tls = dir.path().join("contexts/tls").join(&digest).join("docker");
        std::fs::create_dir_all(&tls).expect("mkdir");
        std::fs::write(tls.join("ca.pem"), "x").expect("write");
        let ep = context_endpoint(dir.path(), "prod").expect("context");
        assert_eq!(ep.host, "tcp://127.0.0.1:2376");
        assert_eq!(ep.tls, Some(tls));
        assert!(context_endpoint(dir.path(), "nope").is_err());
    }
}
