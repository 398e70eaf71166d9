//! The image-check flags of `scan` (flattened into `ScanArgs`) and the resolver they build.

use std::io::Write;
use std::time::Duration;

use crate::registry::image::Platform;
use crate::registry::{Options, Resolver};

#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Image checks (registries)")]
pub struct ImageArgs {
    /// Ask the images' registries what tags point to and read image configs (USER, HEALTHCHECK,
    /// created, labels): SA101/SA601 become exact in file mode, SA501/SA502 suggest digests,
    /// SA503/SA504/SA505 get their facts. Sends the image names to their registries.
    #[arg(long)]
    pub resolve_images: bool,
    /// Resolve images from the disk cache only, without network (implies --resolve-images).
    #[arg(long)]
    pub offline: bool,
    /// Platform whose image is read from multi-arch images [default: linux/amd64; live: the
    /// nodes' platform when they agree].
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// A registry host (host or host:port) to reach over plain HTTP; reported by SA507
    /// (repeatable). Loopback registries are always plain HTTP, as in docker.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Seconds each registry request may take.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub registry_timeout: u64,
}

impl ImageArgs {
    pub fn resolving(&self) -> bool {
        self.resolve_images || self.offline
    }

    /// The resolver these flags ask for: `None` when neither resolving nor naming insecure
    /// registries. `live_platform` is the swarm's platform (used without `--platform`).
    pub fn resolver(
        &self,
        live: bool,
        live_platform: Option<Platform>,
    ) -> Result<Option<Resolver>, String> {
        if !self.resolving() && self.insecure_registry.is_empty() {
            return Ok(None);
        }
        let platform = match &self.platform {
            Some(p) => Platform::parse(p).map_err(|e| format!("--platform: {e}"))?,
            None => live_platform.unwrap_or_default(),
        };
        for h in &self.insecure_registry {
            if h.trim().is_empty() || h.contains(char::is_whitespace) {
                return Err(format!(
                    "--insecure-registry `{h}` is not a host or host:port"
                ));
            }
        }
        Ok(Some(Resolver::new(Options {
            resolve: self.resolving(),
            offline: self.offline,
            platform,
            insecure: self.insecure_registry.clone(),
            timeout: Duration::from_secs(self.registry_timeout.max(1)),
            check_pinned_tags: live,
            ..Options::default()
        })))
    }
}

/// Tell stderr what resolving did: images, requests, cache answers and what could not be
/// checked (so an unknown is never silent).
pub fn report(resolver: &Resolver) {
    if !resolver.options().resolve {
        return;
    }
    let _ = writeln!(std::io::stderr(), "{}", resolver.summary().line());
}
