//! Structure-aware generator: turns fuzzer bytes into compose-shaped YAML text.
//!
//! The document is built as a small tree following the compose schema (services, networks,
//! volumes, secrets, configs, `x-` extension fields with anchors, aliases and `<<` merge keys),
//! with values drawn from the vocabulary the lowering code and rules look at (ports, durations,
//! sizes, octal modes, `${VAR:-x}` templates, unicode, tabs), then printed in block or flow
//! style, with LF or CRLF line ends, optional BOM, comments and document markers. A small
//! share of the output is deliberately malformed (wrong types, unknown keys, undefined aliases,
//! deep nesting) so the error paths are reached too.

use arbitrary::{Result, Unstructured};

/// A YAML value before printing.
#[derive(Debug, Clone)]
pub enum Y {
    /// A scalar already in YAML syntax (plain, quoted, ...).
    Scalar(String),
    Map(Vec<(String, Y)>),
    Seq(Vec<Y>),
    Alias(String),
    Anchored(String, Box<Y>),
    /// A literal (`|`) or folded (`>`) block scalar.
    Block(char, String),
}

pub struct Gen<'a, 'b> {
    u: &'b mut Unstructured<'a>,
    /// Anchors defined so far: (name, is a mapping).
    anchors: Vec<(String, bool)>,
    budget: usize,
}

const SERVICE_KEYS: &[&str] = &[
    "image", "command", "entrypoint", "environment", "env_file", "ports", "volumes", "deploy",
    "networks", "secrets", "configs", "healthcheck", "user", "privileged", "cap_add", "cap_drop",
    "read_only", "security_opt", "sysctls", "ulimits", "logging", "labels", "network_mode", "pid",
    "ipc", "userns_mode", "devices", "tmpfs", "stop_grace_period", "init", "hostname", "dns",
    "dns_search", "extra_hosts", "working_dir", "restart", "container_name", "build",
    "depends_on", "links", "isolation", "cgroup_parent", "cgroupns_mode", "stop_signal", "tty",
    "stdin_open", "credential_spec", "domainname", "mac_address", "expose", "external_links",
    "extends", "volumes_from", "shm_size", "mem_limit", "memswap_limit", "cpu_shares",
    "cpu_quota", "cpuset", "oom_score_adj", "volume_driver", "platform", "profiles", "x-custom",
];

const IMAGES: &[&str] = &[
    "nginx", "nginx:latest", "nginx:1.25-alpine", "redis:7@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "registry.example.com:5000/team/app:v1", "localhost/app", "ghcr.io/o/r:sha-abc", "postgres:16",
    "docker/socket-proxy", "portainer/agent", "traefik:v3", "library/busybox:", ":tag", "@sha256:",
    "UPPER/Case", "a/b/c/d/e:1", "${IMG}", "${IMG:-nginx}", "app:${TAG}", "${REGISTRY}/app:${TAG:-latest}",
];

const STRINGS: &[&str] = &[
    "", " ", "\t", "x", "0", "-1", "true", "yes", "no", "on", "off", "null", "~", "root", "0:0",
    "1000:1000", "nobody", "host", "bridge", "none", "service:db", "container:x", "default",
    "overlay", "global", "replicated", "replicated-job", "global-job", "vip", "dnsrr", "any",
    "on-failure", "none", "always", "unless-stopped", "ro", "rw", "z", "Z", "rshared", "private",
    "node.role == manager", "node.role==worker", "node.labels.zone != a", "engine.labels.x",
    "spread=node.labels.zone", "seccomp=unconfined", "apparmor:unconfined", "no-new-privileges:true",
    "label=disable", "ALL", "NET_ADMIN", "SYS_ADMIN", "CAP_SYS_PTRACE", "/var/run/docker.sock",
    "/var/run/docker.sock:/var/run/docker.sock", "/:/host", "/etc:/etc:ro", "./data:/data",
    "data:/data:rw", "/run/secrets/db_password", "C:\\ProgramData\\Docker\\secrets\\x",
    "postgres://user:hunter2hunter2@db:5432/app", "https://u:p@example.com", "redis://:pass@r:6379",
    "AKIAIOSFODNN7EXAMPLE", "AKIA0123456789ABCDEF", "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    "xoxb-123456789012-123456789012-abcdefghijklmnopqrstuvwx",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "SWMTKN-1-0123456789abcdefghijklmnopqrstuvwxyz0123456789abcd-0123456789abcdefghijklmno",
    "SWMKEY-1-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
    "changeme", "admin", "s3cr3t", "xxxxxxxx", "********", "<password>", "{{ .Secret }}", "%PASS%",
    "vault:secret/data/x", "op://vault/item/field", "arn:aws:secretsmanager:us-east-1:1:secret:x",
    "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg==", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
    "ü€😀", "é", "\u{200b}", "\u{feff}", "\u{10ffff}", "ﾟ", "Ω≈ç√", "\r", "\r\n", "a\tb", "a b",
    "1m30s", "500ms", "10s", "0s", "-1s", "1h2m3.5s", "1d", "99999999999h", "1.5", "0.000001",
    "512M", "1g", "1.5G", "1GB", "0", "-1", "1e10", "9999999999999999999999T", "0b", "100kb",
    "0440", "0o400", "0x1ff", "0777", "4294967296", "CMD", "CMD-SHELL", "NONE", "SIGTERM", "SA101", "SA1,SA203", "sa4", "SA999",
    "json-file", "syslog", "fluentd", "bind", "volume", "tmpfs", "npipe", "cluster", "tcp", "udp",
    "sctp", "ingress", "host", "start-first", "stop-first", "pause", "continue", "rollback",
    "external", "true", "false", "$$", "$", "${", "${}", "$1", "${ FOO }",
];

const VAR_NAMES: &[&str] = &[
    "FOO", "EMPTY", "PORT", "TAG", "IMG", "DB_PASSWORD", "URL", "MODE", "UNI", "DOLLAR", "UNSET",
    "_", "a", "A1", "x_y", "REGISTRY", "1BAD", "",
];

const PORTS: &[&str] = &[
    "80", "8080:80", "127.0.0.1:8080:80", "0.0.0.0:80:80", "[::1]:80:80", "::1:80:80",
    "8000-8010:8000-8010", "9090-9091:8080-8081", "53:53/udp", "80/tcp", "5000:5000/sctp",
    "1-65535:1-65535", "65535:65535", "65536:80", "0:0", "-1:80", "80:", ":80", "::", "", "a:b",
    "80:80/TCP", "80:80/quic", "80-79:80-79", "8080:80-81", "1.2.3.4::80", "${PORT}:80",
    "${PORT:-80}:${PORT:-80}", "99999999999999999999:80", "80 : 80", "localhost:80:80",
    "[fe80::1%eth0]:80:80", "10.0.0.1:1-3:1-3/udp", "8080:80:70",
];

const DURATIONS: &[&str] = &[
    "1m30s", "500ms", "10s", "0s", "-1s", "1h2m3.5s", "1d", "99999999999999h", "1.5", "10",
    "", "abc", "1us", "1µs", "1ns", "2562048h", "9223372036854775807ns", "-0s", ".5s", "5m",
];

const SIZES: &[&str] = &[
    "512M", "1g", "1.5G", "1GB", "0", "-1", "1e10", "9999999999999999999999T", "100kb", "1b",
    "50m", "0.5", "2048", "", "abc", "1.5.5G", "18446744073709551616", "1P", "1tb",
];

pub fn generate(u: &mut Unstructured<'_>) -> Result<String> {
    let mut g = Gen {
        u,
        anchors: vec![],
        budget: 400,
    };
    let doc = g.document()?;
    let printer = Printer::new(g.u)?;
    printer.print(g.u, &doc)
}

impl<'a, 'b> Gen<'a, 'b> {
    fn pick<T: Copy>(&mut self, xs: &[T]) -> Result<T> {
        Ok(*self.u.choose(xs)?)
    }
    fn chance(&mut self, in_256: u8) -> Result<bool> {
        Ok(self.u.arbitrary::<u8>()? < in_256)
    }
    fn small(&mut self, max: usize) -> Result<usize> {
        self.u.int_in_range(0..=max)
    }
    fn spend(&mut self) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        true
    }

    fn document(&mut self) -> Result<Y> {
        let mut top = vec![];
        if self.chance(100)? {
            let v = self.pick(&["3", "3.8", "3.9", "2.4", "1", "4"])?;
            let v = if self.chance(128)? { plain(v) } else { dq(v) };
            top.push(("version".to_string(), Y::Scalar(v)));
        }
        // extension fields first, so their anchors can be used below
        for i in 0..self.small(3)? {
            let anchor = format!("a{i}");
            let body = if self.chance(180)? {
                self.service_body()?
            } else {
                self.any(3)?
            };
            let is_map = matches!(body, Y::Map(_));
            self.anchors.push((anchor.clone(), is_map));
            let name = self.pick(&["x-common", "x-defaults", "x-logging", "x-deploy", "x-env", "x-", "x-ü"])?;
            top.push((format!("{name}{i}"), Y::Anchored(anchor, Box::new(body))));
        }
        let mut services = vec![];
        for i in 0..self.small(4)? {
            let name = self.pick(&["web", "db", "proxy", "worker", "app", "s", "ü", "a b", "-x", "1"])?;
            services.push((format!("{name}{i}"), self.service()?));
        }
        if services.is_empty() && self.chance(200)? {
            services.push(("web".into(), self.service()?));
        }
        top.push(("services".into(), Y::Map(services)));
        if self.chance(140)? {
            top.push(("networks".into(), self.top_objects(Obj::Network)?));
        }
        if self.chance(100)? {
            top.push(("volumes".into(), self.top_objects(Obj::Volume)?));
        }
        if self.chance(100)? {
            top.push(("secrets".into(), self.top_objects(Obj::Secret)?));
        }
        if self.chance(70)? {
            top.push(("configs".into(), self.top_objects(Obj::Config)?));
        }
        if self.chance(20)? {
            let k = self.key()?;
            let v = self.any(3)?;
            top.push((k, v));
        }
        if self.chance(8)? {
            // a deep structure to probe the nesting budget
            let depth = self.u.int_in_range(10..=80)?;
            let mut v = Y::Scalar("x".into());
            for _ in 0..depth {
                v = if self.chance(128)? {
                    Y::Map(vec![("k".into(), v)])
                } else {
                    Y::Seq(vec![v])
                };
            }
            top.push(("x-deep".into(), v));
        }
        if self.chance(8)? {
            // anchors used before they are defined
            top.reverse();
        }
        Ok(Y::Map(top))
    }

    fn service(&mut self) -> Result<Y> {
        if self.chance(6)? {
            return self.any(2);
        }
        let mut body = self.service_body()?;
        if let Y::Map(entries) = &mut body {
            let maps: Vec<String> = self.anchors.iter().filter(|(_, m)| *m).map(|(a, _)| a.clone()).collect();
            if !maps.is_empty() && self.chance(90)? {
                let a = self.u.choose(&maps)?.clone();
                let merge = if self.chance(60)? && self.anchors.len() > 1 {
                    let b = maps[0].clone();
                    Y::Seq(vec![Y::Alias(a), Y::Alias(b)])
                } else if self.chance(3)? {
                    Y::Alias("undefined".into())
                } else {
                    Y::Alias(a)
                };
                let at = self.small(entries.len())?;
                entries.insert(at, ("<<".into(), merge));
            }
        }
        Ok(body)
    }

    fn service_body(&mut self) -> Result<Y> {
        let mut entries = vec![];
        if self.chance(220)? {
            entries.push(("image".into(), self.image()?));
        }
        for _ in 0..self.small(7)? {
            if !self.spend() {
                break;
            }
            let k = self.pick(SERVICE_KEYS)?;
            if entries.iter().any(|(e, _)| e == k) {
                continue;
            }
            let v = self.service_value(k)?;
            entries.push((k.to_string(), v));
        }
        if self.chance(3)? && !entries.is_empty() {
            // duplicate key
            let (k, _) = entries[0].clone();
            entries.push((k, Y::Scalar("dup".into())));
        }
        Ok(Y::Map(entries))
    }

    fn image(&mut self) -> Result<Y> {
        let s = self.pick(IMAGES)?;
        self.scalar_from(s)
    }

    fn service_value(&mut self, key: &str) -> Result<Y> {
        if self.chance(12)? {
            return self.any(2);
        }
        if !self.anchors.is_empty() && self.chance(10)? {
            let (a, _) = self.u.choose(&self.anchors)?.clone();
            return Ok(Y::Alias(a));
        }
        Ok(match key {
            "image" => self.image()?,
            "command" | "entrypoint" | "dns" | "dns_search" | "env_file" | "tmpfs" => {
                if self.chance(128)? {
                    self.text()?
                } else {
                    self.seq_of(4, |g| g.text())?
                }
            }
            "environment" | "labels" | "sysctls" | "extra_hosts" => {
                if self.chance(128)? {
                    self.map_of(5, |g| g.env_name(), |g| g.env_value())?
                } else {
                    self.seq_of(5, |g| {
                        let k = g.env_name()?;
                        let v = g.raw_text()?;
                        let s = if g.chance(200)? { format!("{k}={v}") } else { k };
                        g.scalar_from(&s)
                    })?
                }
            }
            "ports" | "expose" => self.seq_of(4, |g| g.port())?,
            "volumes" | "devices" | "volumes_from" => self.seq_of(4, |g| g.volume())?,
            "deploy" => self.deploy()?,
            "networks" | "links" | "external_links" | "depends_on" | "profiles" => {
                if self.chance(100)? {
                    self.map_of(3, |g| g.obj_name(), |g| {
                        if g.chance(128)? {
                            Ok(Y::Scalar(g.pick(&["", "null", "~", "{}"])?.to_string()))
                        } else {
                            g.map_of(2, |g| Ok(g.pick(&["aliases", "ipv4_address", "ipv6_address", "priority", "condition"])?.to_string()), |g| g.text())
                        }
                    })?
                } else {
                    self.seq_of(3, |g| {
                        let n = g.obj_name()?;
                        g.scalar_from(&n)
                    })?
                }
            }
            "secrets" | "configs" => self.seq_of(3, |g| {
                if g.chance(128)? {
                    let n = g.obj_name()?;
                    g.scalar_from(&n)
                } else {
                    g.map_of(5, |g| Ok(g.pick(&["source", "target", "uid", "gid", "mode"])?.to_string()), |g| {
                        if g.chance(80)? {
                            g.octal()
                        } else {
                            g.text()
                        }
                    })
                }
            })?,
            "healthcheck" => self.map_of(6, |g| Ok(g.pick(&["test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"])?.to_string()), |g| {
                match g.small(3)? {
                    0 => g.seq_of(3, |g| g.text()),
                    1 => g.duration(),
                    2 => g.number(),
                    _ => g.boolean(),
                }
            })?,
            "ulimits" => self.map_of(3, |g| Ok(g.pick(&["nofile", "nproc", "core", "memlock"])?.to_string()), |g| {
                if g.chance(128)? {
                    g.number()
                } else {
                    g.map_of(2, |g| Ok(g.pick(&["soft", "hard"])?.to_string()), |g| g.number())
                }
            })?,
            "logging" => self.map_of(2, |g| Ok(g.pick(&["driver", "options"])?.to_string()), |g| {
                if g.chance(128)? {
                    g.text()
                } else {
                    g.map_of(3, |g| Ok(g.pick(&["max-size", "max-file", "tag"])?.to_string()), |g| g.text())
                }
            })?,
            "privileged" | "read_only" | "init" | "tty" | "stdin_open" => self.boolean()?,
            "stop_grace_period" => self.duration()?,
            "shm_size" | "mem_limit" | "memswap_limit" => self.size()?,
            "cpu_shares" | "cpu_quota" | "oom_score_adj" => self.number()?,
            "cap_add" | "cap_drop" | "security_opt" => self.seq_of(3, |g| g.text())?,
            "build" | "extends" | "credential_spec" => {
                self.map_of(3, |g| Ok(g.pick(&["context", "dockerfile", "file", "service", "config", "args"])?.to_string()), |g| g.text())?
            }
            _ => self.text()?,
        })
    }

    fn deploy(&mut self) -> Result<Y> {
        let mut e = vec![];
        for _ in 0..self.small(6)? {
            if !self.spend() {
                break;
            }
            let k = self.pick(&[
                "mode", "replicas", "resources", "restart_policy", "placement", "update_config",
                "rollback_config", "labels", "endpoint_mode", "x-foo",
            ])?;
            if e.iter().any(|(x, _)| x == k) {
                continue;
            }
            let v = match k {
                "mode" | "endpoint_mode" => self.text()?,
                "replicas" => self.number()?,
                "resources" => self.map_of(2, |g| Ok(g.pick(&["limits", "reservations"])?.to_string()), |g| {
                    g.map_of(4, |g| Ok(g.pick(&["cpus", "memory", "pids", "generic_resources", "devices"])?.to_string()), |g| {
                        match g.small(2)? {
                            0 => g.size(),
                            1 => g.number(),
                            _ => g.text(),
                        }
                    })
                })?,
                "restart_policy" => self.map_of(4, |g| Ok(g.pick(&["condition", "delay", "max_attempts", "window"])?.to_string()), |g| {
                    match g.small(2)? {
                        0 => g.duration(),
                        1 => g.number(),
                        _ => g.text(),
                    }
                })?,
                "placement" => self.map_of(3, |g| Ok(g.pick(&["constraints", "preferences", "max_replicas_per_node"])?.to_string()), |g| {
                    match g.small(2)? {
                        0 => g.seq_of(3, |g| g.text()),
                        1 => g.seq_of(2, |g| g.map_of(1, |_| Ok("spread".to_string()), |g| g.text())),
                        _ => g.number(),
                    }
                })?,
                "update_config" | "rollback_config" => self.map_of(6, |g| Ok(g.pick(&["parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"])?.to_string()), |g| {
                    match g.small(2)? {
                        0 => g.duration(),
                        1 => g.number(),
                        _ => g.text(),
                    }
                })?,
                "labels" => self.map_of(3, |g| g.env_name(), |g| g.env_value())?,
                _ => self.any(2)?,
            };
            e.push((k.to_string(), v));
        }
        Ok(Y::Map(e))
    }

    fn top_objects(&mut self, kind: Obj) -> Result<Y> {
        self.map_of(3, |g| g.obj_name(), |g| {
            if g.chance(40)? {
                return Ok(Y::Scalar(g.pick(&["", "null", "{}", "~"])?.to_string()));
            }
            let keys: &[&str] = match kind {
                Obj::Network => &["driver", "driver_opts", "external", "name", "attachable", "internal", "ipam", "labels", "encrypted"],
                Obj::Volume => &["driver", "driver_opts", "external", "name", "labels"],
                Obj::Secret | Obj::Config => &["file", "external", "name", "labels", "driver", "template_driver", "environment", "content"],
            };
            g.map_of(4, |g| Ok(g.pick(keys)?.to_string()), |g| match g.small(4)? {
                0 => g.boolean(),
                1 => g.map_of(3, |g| g.env_name(), |g| g.env_value()),
                2 => g.map_of(1, |_| Ok("name".into()), |g| g.text()),
                _ => g.text(),
            })
        })
    }

    fn port(&mut self) -> Result<Y> {
        match self.small(5)? {
            0 => self.number(),
            1 => self.map_of(5, |g| Ok(g.pick(&["target", "published", "protocol", "mode", "host_ip", "name", "app_protocol"])?.to_string()), |g| {
                if g.chance(128)? {
                    g.number()
                } else {
                    g.text()
                }
            }),
            2 => {
                // assemble [IP:][PUB[-PUB]:]TGT[-TGT][/proto] from parts
                let mut s = String::new();
                if self.chance(60)? {
                    s.push_str(self.pick(&["127.0.0.1:", "0.0.0.0:", "[::]:", "::1:", ":", "1.2.3.4:", "ü:"])?);
                }
                if self.chance(150)? {
                    s.push_str(&self.port_num()?);
                    if self.chance(60)? {
                        s.push('-');
                        s.push_str(&self.port_num()?);
                    }
                    s.push(':');
                }
                s.push_str(&self.port_num()?);
                if self.chance(60)? {
                    s.push('-');
                    s.push_str(&self.port_num()?);
                }
                if self.chance(80)? {
                    s.push_str(self.pick(&["/tcp", "/udp", "/sctp", "/", "/UDP", "/x"])?);
                }
                self.scalar_from(&s)
            }
            _ => {
                let s = self.pick(PORTS)?;
                self.scalar_from(s)
            }
        }
    }

    fn port_num(&mut self) -> Result<String> {
        Ok(match self.small(4)? {
            0 => self.pick(&["0", "1", "80", "443", "65535", "65536", "-1", "4294967296", "", "08", "1e3", "${PORT}"])?.to_string(),
            _ => self.u.int_in_range(0u32..=70000)?.to_string(),
        })
    }

    fn volume(&mut self) -> Result<Y> {
        if self.chance(90)? {
            return self.map_of(6, |g| Ok(g.pick(&["type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency"])?.to_string()), |g| {
                match g.small(3)? {
                    0 => g.boolean(),
                    1 => g.map_of(2, |g| Ok(g.pick(&["propagation", "nocopy", "size", "mode", "create_host_path", "subpath"])?.to_string()), |g| g.text()),
                    _ => g.text(),
                }
            });
        }
        let mut s = String::new();
        s.push_str(self.pick(&["/var/run/docker.sock", "/", "/etc", "./data", "data", "~/x", "C:\\x", "\\\\.\\pipe\\docker_engine", "${FOO}", "", "a:b"])?);
        if self.chance(200)? {
            s.push(':');
            s.push_str(self.pick(&["/data", "/var/run/docker.sock", "/host", "", "c:\\data"])?);
            if self.chance(100)? {
                s.push(':');
                s.push_str(self.pick(&["ro", "rw", "z", "ro,z", "rshared", "nocopy", "", "bogus", "ro:ro"])?);
            }
        }
        self.scalar_from(&s)
    }

    fn obj_name(&mut self) -> Result<String> {
        Ok(self
            .pick(&["default", "frontend", "backend", "host", "ingress", "bridge", "none", "db_password", "data", "cfg", "ü", "a b", "${FOO}"])?
            .to_string())
    }

    fn env_name(&mut self) -> Result<String> {
        Ok(self
            .pick(&["DB_PASSWORD", "POSTGRES_PASSWORD_FILE", "API_KEY", "TOKEN", "SECRET_KEY_BASE", "PATH", "HOME", "dbPassword", "db.password", "AWS_SECRET_ACCESS_KEY", "DATABASE_URL", "X", "", "com.docker.stack.namespace", "traefik.http.routers.x.rule", "swarmaudit.ignore", "swarmaudit.ignore.reason"])?
            .to_string())
    }

    fn env_value(&mut self) -> Result<Y> {
        match self.small(3)? {
            0 => Ok(Y::Scalar(self.pick(&["", "null", "~"])?.to_string())),
            1 => self.number(),
            _ => self.text(),
        }
    }

    /// Raw text (not yet YAML syntax): vocabulary, templates, or fuzzer-chosen strings.
    fn raw_text(&mut self) -> Result<String> {
        Ok(match self.small(9)? {
            0..=3 => {
                let s = self.pick(STRINGS)?;
                if s.starts_with('$') && self.chance(200)? {
                    "x".to_string()
                } else {
                    s.to_string()
                }
            }
            4 | 5 => self.template()?,
            6 => {
                let a = self.pick(STRINGS)?;
                let b = self.template()?;
                let c = self.pick(STRINGS)?;
                format!("{a}{b}{c}")
            }
            7 => self.pick(DURATIONS)?.to_string(),
            8 => self.pick(SIZES)?.to_string(),
            _ if self.chance(128)? => {
                // short ASCII-ish text with the odd special character
                let n = self.small(24)?;
                let mut s = String::new();
                for _ in 0..n {
                    s.push(self.pick(&['a', 'Z', '0', '9', '_', '-', '.', ':', '/', '@', '$', '{', '}', ' ', '\t', '=', '#', 'ü', '€', '\u{1F600}', '\\', '"', '\''])?);
                }
                s
            }
            _ => {
                let n = self.small(40)?;
                let mut s = String::new();
                for _ in 0..n {
                    s.push(self.u.arbitrary::<char>()?);
                }
                s
            }
        })
    }

    fn template(&mut self) -> Result<String> {
        let name = self.pick(VAR_NAMES)?;
        if self.chance(220)? {
            // a template docker accepts
            let name = self.pick(&VAR_NAMES[..VAR_NAMES.len() - 2])?;
            let inner = self.pick(&["", "x", "nginx:1", "a b", "ü", "8080", "/run/secrets/x"])?;
            return Ok(match self.small(6)? {
                0 => format!("${{{name}}}"),
                1 => format!("${{{name}:-{inner}}}"),
                2 => format!("${{{name}-{inner}}}"),
                3 => format!("${{{name}:?{inner}}}"),
                4 => format!("${name}"),
                5 => "$$".to_string(),
                _ => format!("$${{{name}}}"),
            });
        }
        let inner = self.pick(&["", "x", "nginx:1", "${FOO}", "}", "$", "a b", "ü", "${A:-${B}}"])?;
        Ok(match self.small(11)? {
            0 => format!("${{{name}}}"),
            1 => format!("${{{name}:-{inner}}}"),
            2 => format!("${{{name}-{inner}}}"),
            3 => format!("${{{name}:?{inner}}}"),
            4 => format!("${{{name}?{inner}}}"),
            5 => format!("${name}"),
            6 => "$$".to_string(),
            7 => format!("${{{name}:+{inner}}}"),
            8 => format!("${{{name}"),
            9 => format!("$${{{name}}}"),
            10 => format!("${{{name}:-${{{name}:-{inner}}}}}"),
            _ => "$".to_string(),
        })
    }

    fn text(&mut self) -> Result<Y> {
        let s = self.raw_text()?;
        self.scalar_from(&s)
    }

    fn scalar_from(&mut self, s: &str) -> Result<Y> {
        Ok(match self.small(7)? {
            0..=2 if plain_ok(s) => Y::Scalar(plain(s)),
            3 => Y::Scalar(sq(s)),
            4 if !s.contains(['\r', '\n']) && self.chance(60)? => Y::Block(if self.chance(128)? { '|' } else { '>' }, s.to_string()),
            _ => Y::Scalar(dq(s)),
        })
    }

    fn number(&mut self) -> Result<Y> {
        Ok(Y::Scalar(match self.small(6)? {
            0 => self.u.arbitrary::<i64>()?.to_string(),
            1 => self.u.int_in_range(0i64..=100)?.to_string(),
            2 => format!("{:?}", self.u.arbitrary::<f64>()?).replace("inf", ".inf").replace("NaN", ".nan"),
            3 if self.chance(60)? => self.pick(&["0", "-0", "1e400", "-1e400", ".inf", "-.inf", ".nan", "0x10", "0o17", "017", "1_000", "18446744073709551616", "-9223372036854775808", "99999999999999999999999999999999"])?.to_string(),
            4 => dq(&self.u.int_in_range(-5i64..=100)?.to_string()),
            _ => self.u.int_in_range(0i64..=5)?.to_string(),
        }))
    }

    fn octal(&mut self) -> Result<Y> {
        Ok(Y::Scalar(self.pick(&["0440", "0400", "0777", "0o644", "0x1ff", "292", "-1", "4294967296", "\"0440\"", "08", "0999"])?.to_string()))
    }

    fn duration(&mut self) -> Result<Y> {
        let s = self.pick(DURATIONS)?;
        if self.chance(40)? {
            return self.number();
        }
        self.scalar_from(s)
    }

    fn size(&mut self) -> Result<Y> {
        let s = self.pick(SIZES)?;
        if self.chance(40)? {
            return self.number();
        }
        self.scalar_from(s)
    }

    fn boolean(&mut self) -> Result<Y> {
        Ok(Y::Scalar(self.pick(&["true", "false", "True", "FALSE", "yes", "no", "on", "off", "\"true\"", "1", "0", "y", "~"])?.to_string()))
    }

    fn key(&mut self) -> Result<String> {
        Ok(match self.small(4)? {
            0 => self.pick(SERVICE_KEYS)?.to_string(),
            1 => "<<".to_string(),
            2 => format!("x-{}", self.small(9)?),
            _ => {
                let s = self.raw_text()?;
                dq(&s)
            }
        })
    }

    /// Any value, following no schema.
    fn any(&mut self, depth: usize) -> Result<Y> {
        if depth == 0 || !self.spend() {
            return self.text();
        }
        Ok(match self.small(6)? {
            0 => self.map_of(3, |g| g.key(), |g| g.any(depth - 1))?,
            1 => self.seq_of(3, |g| g.any(depth - 1))?,
            2 if !self.anchors.is_empty() => {
                let (a, _) = self.u.choose(&self.anchors)?.clone();
                Y::Alias(a)
            }
            3 => self.number()?,
            4 => self.boolean()?,
            _ => self.text()?,
        })
    }

    fn seq_of(&mut self, max: usize, mut f: impl FnMut(&mut Self) -> Result<Y>) -> Result<Y> {
        let mut v = vec![];
        for _ in 0..self.small(max)? {
            if !self.spend() {
                break;
            }
            v.push(f(self)?);
        }
        Ok(Y::Seq(v))
    }

    fn map_of(
        &mut self,
        max: usize,
        mut k: impl FnMut(&mut Self) -> Result<String>,
        mut v: impl FnMut(&mut Self) -> Result<Y>,
    ) -> Result<Y> {
        let mut e = vec![];
        for _ in 0..self.small(max)? {
            if !self.spend() {
                break;
            }
            let key = k(self)?;
            let key = if plain_ok(&key) || key.starts_with('"') || key == "<<" {
                key
            } else {
                dq(&key)
            };
            // duplicate keys make the whole file fail to load: keep them rare
            if e.iter().any(|(x, _)| *x == key) && !self.chance(4)? {
                continue;
            }
            e.push((key, v(self)?));
        }
        Ok(Y::Map(e))
    }
}

#[derive(Clone, Copy)]
enum Obj {
    Network,
    Volume,
    Secret,
    Config,
}

/// Can `s` be written as a plain scalar and read back as the same string (roughly)?
fn plain_ok(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with([' ', '\t', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`'])
        && !s.ends_with([' ', '\t', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains(['\n', '\r', '\u{feff}', ',', '[', ']', '{', '}'])
        && !s.chars().any(|c| c.is_control() && c != '\t')
}

fn plain(s: &str) -> String {
    s.to_string()
}

fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn dq(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if c.is_control() => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Layout choices for one document.
struct Printer {
    indent: usize,
    nl: &'static str,
    flow_bias: u8,
    comments: bool,
    bom: bool,
    markers: bool,
    tab_after_colon: bool,
    corrupt: Option<(u16, u8)>,
}

impl Printer {
    fn new(u: &mut Unstructured<'_>) -> Result<Self> {
        let style: u8 = u.arbitrary().unwrap_or(0);
        Ok(Printer {
            indent: [2, 4, 1, 3][(style & 3) as usize],
            nl: if style & 4 != 0 { "\r\n" } else { "\n" },
            flow_bias: [0, 0, 30, 255][((style >> 3) & 3) as usize],
            comments: style & 32 != 0,
            bom: style & 64 != 0 && style & 128 != 0,
            markers: style & 128 != 0,
            tab_after_colon: u.arbitrary::<u8>().unwrap_or(0) < 20,
            corrupt: if u.arbitrary::<u8>().unwrap_or(0) < 20 {
                Some((u.arbitrary().unwrap_or(0), u.arbitrary().unwrap_or(0)))
            } else {
                None
            },
        })
    }

    fn print(&self, u: &mut Unstructured<'_>, doc: &Y) -> Result<String> {
        let mut out = String::new();
        if self.bom {
            out.push('\u{feff}');
        }
        if self.markers {
            out.push_str("---");
            out.push_str(self.nl);
        }
        if self.comments {
            out.push_str("# swarmaudit:ignore SA001 -- file-level");
            out.push_str(self.nl);
        }
        self.block(u, doc, 0, &mut out)?;
        if self.markers {
            out.push_str("...");
            out.push_str(self.nl);
        }
        if let Some((at, byte)) = self.corrupt {
            // one deliberate corruption: insert a syntax-relevant character somewhere
            let chars = [':', '-', ' ', '\t', '"', '\'', '[', '{', '&', '*', '#', '\n', '|', '>', '%', '!', '?', '@'];
            let c = chars[byte as usize % chars.len()];
            let mut at = at as usize % (out.len() + 1);
            while !out.is_char_boundary(at) {
                at -= 1;
            }
            out.insert(at, c);
        }
        Ok(out)
    }

    fn pad(&self, level: usize, out: &mut String) {
        for _ in 0..level * self.indent {
            out.push(' ');
        }
    }

    fn use_flow(&self, u: &mut Unstructured<'_>) -> bool {
        self.flow_bias == 255 || u.arbitrary::<u8>().unwrap_or(255) < self.flow_bias
    }

    /// Print `y` as the value after `key:` (or at top level), starting at the current column.
    fn block(&self, u: &mut Unstructured<'_>, y: &Y, level: usize, out: &mut String) -> Result<()> {
        match y {
            Y::Map(entries) if !entries.is_empty() && !self.use_flow(u) => {
                for (k, v) in entries {
                    self.pad(level, out);
                    out.push_str(k);
                    out.push(':');
                    self.after_key(u, v, level, out)?;
                }
            }
            Y::Seq(items) if !items.is_empty() && !self.use_flow(u) => {
                for v in items {
                    self.pad(level, out);
                    out.push('-');
                    self.after_key(u, v, level, out)?;
                }
            }
            _ => {
                self.pad(level, out);
                self.flow(y, out);
                out.push_str(self.nl);
            }
        }
        Ok(())
    }

    fn after_key(&self, u: &mut Unstructured<'_>, v: &Y, level: usize, out: &mut String) -> Result<()> {
        match v {
            Y::Map(e) if !e.is_empty() => {
                out.push_str(self.nl);
                self.block(u, v, level + 1, out)
            }
            Y::Seq(s) if !s.is_empty() => {
                out.push_str(self.nl);
                self.block(u, v, level + 1, out)
            }
            Y::Anchored(a, inner) if matches!(**inner, Y::Map(_) | Y::Seq(_)) => {
                out.push_str(" &");
                out.push_str(a);
                if self.use_flow(u) {
                    out.push(' ');
                    self.flow(inner, out);
                    out.push_str(self.nl);
                    Ok(())
                } else {
                    out.push_str(self.nl);
                    self.block(u, inner, level + 1, out)
                }
            }
            Y::Block(style, text) => {
                out.push(' ');
                out.push(*style);
                out.push_str(self.nl);
                self.pad(level + 1, out);
                out.push_str(if text.is_empty() { "x" } else { text });
                out.push_str(self.nl);
                Ok(())
            }
            _ => {
                out.push(if self.tab_after_colon { '\t' } else { ' ' });
                self.flow(v, out);
                if self.comments {
                    out.push_str(match out.len() % 5 {
                        0 => " # swarmaudit:ignore SA101 -- accepted",
                        1 => " # swarmaudit:ignore",
                        2 => " #swarmaudit:ignore SA1,SA2 # no reason",
                        _ => " # c",
                    });
                }
                out.push_str(self.nl);
                Ok(())
            }
        }
    }

    fn flow(&self, y: &Y, out: &mut String) {
        match y {
            Y::Scalar(s) => out.push_str(s),
            Y::Block(_, s) => out.push_str(&dq(s)),
            Y::Alias(a) => {
                out.push('*');
                out.push_str(a);
            }
            Y::Anchored(a, inner) => {
                out.push('&');
                out.push_str(a);
                out.push(' ');
                self.flow(inner, out);
            }
            Y::Seq(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.flow(v, out);
                }
                out.push(']');
            }
            Y::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push_str(": ");
                    self.flow(v, out);
                }
                out.push('}');
            }
        }
    }
}
