//! Registry credentials and challenges: the docker CLI's config file (`auths` with base64
//! `user:password`, `credHelpers`, `credsStore` via `docker-credential-<name> get`), and the
//! `WWW-Authenticate` challenges registries answer with (`Bearer realm=…,service=…,scope=…`
//! or `Basic realm=…`). Secrets never appear in `Debug` output or messages.

use std::collections::HashMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::registry::reference::DOCKER_HUB;

/// A user name and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// Where they came from, for messages (`docker config auths`, `credential helper pass`).
    pub source: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("source", &self.source)
            .finish()
    }
}

impl Credentials {
    /// The `Authorization: Basic …` header value.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// The docker CLI's config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

#[derive(Debug, Default, serde::Deserialize)]
struct DockerConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Default, serde::Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthEntry(<redacted>)")
    }
}

/// What the docker CLI config offers for registries; loaded once per run.
#[derive(Debug, Default)]
pub struct DockerConfig {
    file: DockerConfigFile,
    path: Option<PathBuf>,
    /// Why the config could not be read (it is then treated as empty).
    pub problem: Option<String>,
}

/// The keys the docker CLI stores a registry's credentials under.
fn keys_for(registry: &str) -> Vec<String> {
    if registry == DOCKER_HUB {
        vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
            "registry-1.docker.io".into(),
        ]
    } else {
        vec![
            registry.to_string(),
            format!("https://{registry}"),
            format!("http://{registry}"),
        ]
    }
}

/// `https://host:5000/v1/` → `host:5000` (the CLI accepts URLs as `auths` keys).
fn normalise_key(k: &str) -> &str {
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    k.split('/').next().unwrap_or(k)
}

impl DockerConfig {
    pub fn load(path: Option<&Path>) -> DockerConfig {
        let Some(path) = path else {
            return DockerConfig::default();
        };
        match std::fs::read_to_string(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DockerConfig {
                path: Some(path.to_path_buf()),
                ..DockerConfig::default()
            },
            Err(e) => DockerConfig {
                path: Some(path.to_path_buf()),
                problem: Some(format!("cannot read {}: {e}", path.display())),
                ..DockerConfig::default()
            },
            // serde_json's errors name line and column, never the content
            Ok(text) => match serde_json::from_str(&text) {
                Ok(file) => DockerConfig {
                    file,
                    path: Some(path.to_path_buf()),
                    problem: None,
                },
                Err(e) => DockerConfig {
                    path: Some(path.to_path_buf()),
                    problem: Some(format!("{} is not valid JSON: {e}", path.display())),
                    ..DockerConfig::default()
                },
            },
        }
    }

    /// Credentials for `registry` (canonical name, `docker.io` for Docker Hub): a credential
    /// helper named for it, else the `credsStore`, else `auths`. `Ok(None)`: anonymous.
    pub fn credentials(
        &self,
        registry: &str,
        timeout: Duration,
    ) -> Result<Option<Credentials>, String> {
        let keys = keys_for(registry);
        let helper = self
            .file
            .cred_helpers
            .iter()
            .find(|(k, _)| keys.iter().any(|x| x == *k) || normalise_key(k) == registry)
            .map(|(_, v)| v.clone())
            .or_else(|| self.file.creds_store.clone().filter(|s| !s.is_empty()));
        if let Some(helper) = helper {
            let server = if registry == DOCKER_HUB {
                "https://index.docker.io/v1/".to_string()
            } else {
                registry.to_string()
            };
            // a store without an entry for this registry: fall back to `auths`
            if let Some(c) = run_helper(&helper, &server, timeout)? {
                return Ok(Some(c));
            }
        }
        let entry = self
            .file
            .auths
            .iter()
            .find(|(k, _)| keys.iter().any(|x| x == *k) || normalise_key(k) == registry);
        let Some((_, entry)) = entry else {
            return Ok(None);
        };
        let source = format!(
            "`auths` in {}",
            self.path
                .as_deref()
                .map_or("the docker config".into(), |p| p.display().to_string())
        );
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    format!(
                        "the `auth` value for {registry} in {source} is not base64 `user:password`"
                    )
                })?;
            let (user, pass) = decoded.split_once(':').ok_or_else(|| {
                format!("the `auth` value for {registry} in {source} has no `user:password` form")
            })?;
            return Ok(Some(Credentials {
                username: user.to_string(),
                password: pass.to_string(),
                source,
            }));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Credentials {
                username: u.clone(),
                password: p.clone(),
                source,
            }));
        }
        if entry.identity_token.is_some() {
            return Err(format!(
                "{source} holds an identity token for {registry}, which swarmaudit does not support (use a credential helper or `docker login` with a password or access token)"
            ));
        }
        Ok(None)
    }
}

#[derive(serde::Deserialize)]
struct HelperOutput {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// `docker-credential-<name> get` with the server URL on stdin. A missing helper or "not found"
/// answer means no credentials; a helper that hangs is killed after `timeout`.
fn run_helper(name: &str, server: &str, timeout: Duration) -> Result<Option<Credentials>, String> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(format!("credential helper name `{name}` is not valid"));
    }
    let program = format!("docker-credential-{name}");
    let child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot run {program}: {e}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(1 << 20).read_to_end(&mut out);
        }
        out
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{program} did not answer within {}s",
                    timeout.as_secs()
                ));
            }
            Err(e) => return Err(format!("{program}: {e}")),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        // "credentials not found in native keychain" and the like
        return Ok(None);
    }
    let parsed: HelperOutput = serde_json::from_slice(&out)
        .map_err(|_| format!("{program} printed something that is not its JSON answer"))?;
    if parsed.username == "<token>" {
        return Err(format!(
            "{program} returned an identity token, which swarmaudit does not support"
        ));
    }
    if parsed.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials {
        username: parsed.username,
        password: parsed.secret,
        source: format!("credential helper {program}"),
    }))
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    Basic,
    Other(String),
}

/// Parse `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="…"`.
pub fn parse_challenge(header: &str) -> Challenge {
    let header = header.trim();
    let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
    let mut map: HashMap<String, String> = HashMap::new();
    let mut rest = params.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remainder) = if let Some(q) = after.strip_prefix('"') {
            // quoted string with backslash escapes
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = q.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            (v, &q[end.min(q.len())..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        map.insert(key, value);
        rest = remainder.trim_start().trim_start_matches(',').trim_start();
    }
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" => match map.remove("realm") {
            Some(realm) => Challenge::Bearer {
                realm,
                service: map.remove("service"),
                scope: map.remove("scope"),
            },
            None => Challenge::Other("Bearer without realm".into()),
        },
        "basic" => Challenge::Basic,
        other => Challenge::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#
            ),
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/nginx:pull".into()),
            }
        );
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://ghcr.io/token", service="ghcr.io",scope="repository:a/b:pull,push""#
            ),
            Challenge::Bearer {
                realm: "https://ghcr.io/token".into(),
                service: Some("ghcr.io".into()),
                scope: Some("repository:a/b:pull,push".into()),
            }
        );
        assert_eq!(parse_challenge(r#"Basic realm="x""#), Challenge::Basic);
        assert!(matches!(parse_challenge("Bearer"), Challenge::Other(_)));
        assert!(matches!(
            parse_challenge("Negotiate abc"),
            Challenge::Other(_)
        ));
    }

    #[test]
    fn config_auths_and_redaction() {
        let dir = std::env::temp_dir().join(format!("sa-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let p = dir.join("config.json");
        // "user:s3cret"
        std::fs::write(
            &p,
            r#"{"auths": {"https://reg.example:5000": {"auth": "dXNlcjpzM2NyZXQ="},
                          "https://index.docker.io/v1/": {"username": "hub", "password": "pw"},
                          "bad.example": {"auth": "!!"}}}"#,
        )
        .expect("write");
        let cfg = DockerConfig::load(Some(&p));
        let t = Duration::from_secs(1);
        let c = cfg
            .credentials("reg.example:5000", t)
            .expect("ok")
            .expect("found");
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("user", "s3cret")
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        assert!(!format!("{cfg:?}").contains("dXNlcjpzM2NyZXQ="));
        let hub = cfg.credentials("docker.io", t).expect("ok").expect("found");
        assert_eq!(hub.username, "hub");
        assert_eq!(cfg.credentials("other.example", t), Ok(None));
        let err = cfg.credentials("bad.example", t).expect_err("bad base64");
        assert!(!err.contains("!!"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
