//! A content-addressed disk cache: manifests and config blobs by digest (immutable, verified on
//! write and on read), tag → digest answers with the time they were learned (fresh for a short
//! TTL; `--offline` takes them at any age). Location: `$SWARMAUDIT_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/swarmaudit`, else `~/.cache/swarmaudit`. Writes are atomic (temp file +
//! rename), so concurrent runs never see partial entries. Nothing secret is stored.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest as _, Sha256};

/// How long a tag → digest answer is trusted without asking the registry again.
pub const TAG_TTL: Duration = Duration::from_secs(600);

/// Blobs larger than this are neither fetched nor cached (image configs and manifests are
/// kilobytes; this bounds what a hostile registry can make us hold).
pub const MAX_DOCUMENT: u64 = 4 << 20;

/// The default cache directory.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("SWARMAUDIT_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("swarmaudit"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("swarmaudit"))
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(bytes);
    let out = h.finalize();
    let mut s = String::with_capacity(71);
    s.push_str("sha256:");
    for b in out {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Does `bytes` have `digest`? Only sha256 is verified; other algorithms are refused.
pub fn verify(digest: &str, bytes: &[u8]) -> bool {
    digest.starts_with("sha256:") && sha256_digest(bytes) == digest
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct TagEntry {
    reference: String,
    digest: String,
    /// Seconds since the epoch when the registry said so.
    learned: u64,
}

/// A tag answer from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedTag {
    pub digest: String,
    pub age: Duration,
}

#[derive(Debug, Clone)]
pub struct Cache {
    root: Option<PathBuf>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Cache {
    /// `None`: no disk cache (nothing is read or written).
    pub fn new(dir: Option<PathBuf>) -> Cache {
        Cache {
            root: dir.map(|d| d.join("registry").join("v1")),
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    fn blob_path(&self, digest: &str) -> Option<PathBuf> {
        let (alg, hex) = digest.split_once(':')?;
        if alg != "sha256" || hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.as_ref()?.join("blobs").join(alg).join(hex))
    }

    fn tag_path(&self, reference: &str) -> Option<PathBuf> {
        let key = sha256_digest(reference.as_bytes());
        let hex = key.strip_prefix("sha256:")?;
        Some(self.root.as_ref()?.join("tags").join(format!("{hex}.json")))
    }

    /// A manifest or blob by digest, verified (a corrupt entry is removed and missed).
    pub fn get_blob(&self, digest: &str) -> Option<Vec<u8>> {
        let path = self.blob_path(digest)?;
        let bytes = std::fs::read(&path).ok()?;
        if verify(digest, &bytes) {
            Some(bytes)
        } else {
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    /// Store verified content; errors (read-only home, full disk) are ignored: the cache is an
    /// optimisation, never a reason to fail.
    pub fn put_blob(&self, digest: &str, bytes: &[u8]) {
        if !verify(digest, bytes) {
            return;
        }
        if let Some(path) = self.blob_path(digest) {
            write_atomic(&path, bytes);
        }
    }

    /// What `reference` (canonical, with tag) pointed to when last asked; `max_age` `None`
    /// takes any age (offline).
    pub fn get_tag(&self, reference: &str, max_age: Option<Duration>) -> Option<CachedTag> {
        let text = std::fs::read(self.tag_path(reference)?).ok()?;
        let entry: TagEntry = serde_json::from_slice(&text).ok()?;
        if entry.reference != reference
            || crate::registry::reference::validate_digest(&entry.digest).is_err()
        {
            return None;
        }
        let age = Duration::from_secs(now_secs().saturating_sub(entry.learned));
        match max_age {
            Some(m) if age > m => None,
            _ => Some(CachedTag {
                digest: entry.digest,
                age,
            }),
        }
    }

    pub fn put_tag(&self, reference: &str, digest: &str) {
        let Some(path) = self.tag_path(reference) else {
            return;
        };
        let entry = TagEntry {
            reference: reference.to_string(),
            digest: digest.to_string(),
            learned: now_secs(),
        };
        if let Ok(bytes) = serde_json::to_vec(&entry) {
            write_atomic(&path, &bytes);
        }
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) {
    let Some(parent) = path.parent() else { return };
    if std::fs::create_dir_all(parent).is_err() {
        return;
    }
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = parent.join(format!(".tmp-{}-{n}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_and_tags() {
        let dir = std::env::temp_dir().join(format!("sa-cache-{}", std::process::id()));
        let c = Cache::new(Some(dir.clone()));
        let body = br#"{"a":1}"#;
        let d = sha256_digest(body);
        assert_eq!(c.get_blob(&d), None);
        c.put_blob(&d, body);
        assert_eq!(c.get_blob(&d).as_deref(), Some(&body[..]));
        // content that does not match its digest is never stored
        let other = sha256_digest(b"x");
        c.put_blob(&other, body);
        assert_eq!(c.get_blob(&other), None);
        // a corrupted entry is dropped
        if let Some(p) = c.blob_path(&d) {
            std::fs::write(p, b"tampered").expect("write");
        }
        assert_eq!(c.get_blob(&d), None);

        c.put_tag("docker.io/library/nginx:1", &d);
        assert_eq!(
            c.get_tag("docker.io/library/nginx:1", Some(TAG_TTL))
                .map(|t| t.digest),
            Some(d.clone())
        );
        assert_eq!(c.get_tag("docker.io/library/nginx:2", None), None);
        // no directory: a no-op cache
        let none = Cache::new(None);
        none.put_tag("x", &d);
        assert_eq!(none.get_tag("x", None), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
