//! `.swarmaudit.yml`: parsed with the spanned loader, then validated into [`Config`]. Unknown
//! keys and bad values are errors with `file:line:col` and a suggestion.

use std::path::{Path, PathBuf};

use crate::finding::Severity;
use crate::load::FileError;
use crate::source::{FileId, SourceFile};
use crate::yaml::{Kind, Node};

pub const FILE_NAME: &str = ".swarmaudit.yml";

/// Values rules and fixes use; every field has a default.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Extra ports SA205 treats as sensitive (added to the built-in list).
    pub sensitive_ports: Vec<u32>,
    /// Ports SA205 does not report even though they are on the built-in list, and published
    /// ports below 1024 SA206 accepts (besides 80 and 443).
    pub allowed_ports: Vec<u32>,
    /// Every node's daemon.json sets `"no-new-privileges": true` (a fact swarmaudit cannot see
    /// from a stack file or through the API of one manager); SA107 then stays quiet.
    pub daemon_no_new_privileges: bool,
    /// Registries images may come from (empty: any). Used by registry rules.
    pub allowed_registries: Vec<String>,
    /// Image age thresholds in days (medium, high). Used by image-age rules.
    pub image_max_age_days: (u32, u32),
    /// Secret naming pattern (seed convention `%SERVICE%_%SECRETNAME%`).
    pub secret_name_pattern: String,
    pub fix_user: String,
    pub fix_memory: String,
    pub fix_cpus: String,
    pub fix_pids: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sensitive_ports: vec![],
            allowed_ports: vec![],
            daemon_no_new_privileges: false,
            allowed_registries: vec![],
            image_max_age_days: (90, 365),
            secret_name_pattern: "^[a-z0-9-]+_[a-z0-9_]+(_v\\d+)?$".into(),
            fix_user: "10001:10001".into(),
            fix_memory: "512M".into(),
            fix_cpus: "0.50".into(),
            fix_pids: 200,
        }
    }
}

/// A config exemption: findings matching every given scope are accepted, with a reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemption {
    /// Rule ids or prefixes.
    pub rules: Vec<String>,
    /// Globs over the finding's file path (as displayed).
    pub paths: Vec<String>,
    pub stack: Option<String>,
    pub service: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`; after that day the exemption no longer applies and is reported.
    pub expires: Option<(i32, u32, u32)>,
    /// `file:line` of the exemption in the config file.
    pub location: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// Where it was read from (None: defaults).
    pub path: Option<PathBuf>,
    pub display: String,
    pub fail_on: Option<String>,
    /// Rules switched off.
    pub disabled: Vec<String>,
    pub severity: Vec<(String, Severity)>,
    pub settings: Settings,
    pub exemptions: Vec<Exemption>,
}

/// Find `.swarmaudit.yml` in `start` or the nearest parent directory.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let abs = if start.is_absolute() {
        start.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(start)
    };
    let mut dir = if abs.is_dir() {
        abs
    } else {
        abs.parent()?.to_path_buf()
    };
    loop {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// Levenshtein distance for "did you mean" suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

fn suggest(key: &str, allowed: &[&str]) -> String {
    match allowed.iter().min_by_key(|a| distance(key, a)) {
        Some(best) if distance(key, best) <= 3 => format!(" (did you mean `{best}`?)"),
        _ => format!(" (allowed: {})", allowed.join(", ")),
    }
}

struct Parser<'a> {
    src: &'a SourceFile,
    errors: Vec<FileError>,
}

impl Parser<'_> {
    fn err(&mut self, n: &Node, message: impl Into<String>) {
        let (l, c) = self.src.line_col(n.span.start as usize);
        self.errors.push(FileError {
            file: self.src.display.clone(),
            line: Some(l),
            column: Some(c),
            message: message.into(),
        });
    }

    fn line_of(&self, n: &Node) -> usize {
        self.src.line_col(n.span.start as usize).0
    }

    fn map<'n>(
        &mut self,
        n: &'n Node,
        what: &str,
        allowed: &[&str],
    ) -> Vec<(&'n str, &'n Node, &'n Node)> {
        let Some(m) = n.as_map() else {
            if !n.is_null() {
                self.err(
                    n,
                    format!("`{what}` must be a mapping, found a {}", n.kind_name()),
                );
            }
            return vec![];
        };
        let mut out = vec![];
        for (k, v) in m {
            let Some(key) = k.as_str() else {
                self.err(k, format!("keys of `{what}` must be strings"));
                continue;
            };
            if !allowed.is_empty() && !allowed.contains(&key) {
                self.err(
                    k,
                    format!("unknown key `{key}` in `{what}`{}", suggest(key, allowed)),
                );
                continue;
            }
            out.push((key, k, v));
        }
        out
    }

    fn string(&mut self, n: &Node, what: &str) -> Option<String> {
        match &n.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Int(_) | Kind::Float(_) => n.scalar_text(),
            _ => {
                self.err(
                    n,
                    format!("`{what}` must be a string, found a {}", n.kind_name()),
                );
                None
            }
        }
    }

    fn strings(&mut self, n: &Node, what: &str) -> Vec<String> {
        match &n.kind {
            Kind::Seq(items) => items.iter().filter_map(|i| self.string(i, what)).collect(),
            _ => self.string(n, what).into_iter().collect(),
        }
    }

    fn ports(&mut self, n: &Node, what: &str) -> Vec<u32> {
        let Some(items) = n.as_seq() else {
            self.err(n, format!("`{what}` must be a list of port numbers"));
            return vec![];
        };
        items
            .iter()
            .filter_map(|i| match i.kind {
                Kind::Int(p) if (1..=65535).contains(&p) => Some(p as u32),
                _ => {
                    self.err(
                        i,
                        format!("`{what}` entries must be port numbers from 1 to 65535"),
                    );
                    None
                }
            })
            .collect()
    }

    fn rule_id(&mut self, n: &Node, id: &str) -> bool {
        let up = id.to_ascii_uppercase();
        if crate::rules::catalog::all()
            .iter()
            .any(|m| m.id.starts_with(&up))
        {
            true
        } else {
            self.err(
                n,
                format!("`{id}` matches no rule id (see `swarmaudit rules`)"),
            );
            false
        }
    }
}

/// Parse a date `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d) && s.trim().len() == 10).then_some((y, m, d))
}

/// Today's date (UTC) from the system clock, as (year, month, day).
pub fn today() -> (i32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    civil_from_days(secs.div_euclid(86_400))
}

/// Howard Hinnant's civil-from-days algorithm.
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((y + i64::from(m <= 2)) as i32, m, d)
}

const TOP: &[&str] = &["fail_on", "rules", "settings", "exemptions"];
const SETTINGS: &[&str] = &[
    "sensitive_ports",
    "allowed_ports",
    "daemon_no_new_privileges",
    "allowed_registries",
    "image_max_age_days",
    "secret_name_pattern",
    "fix",
];
const FIX: &[&str] = &["user", "memory", "cpus", "pids"];
const AGE: &[&str] = &["medium", "high"];
const RULE: &[&str] = &["enabled", "severity"];
const EXEMPTION: &[&str] = &[
    "rules", "rule", "paths", "path", "stack", "service", "reason", "expires",
];
const FAIL_ON: &[&str] = &["critical", "high", "medium", "low", "info", "never"];

/// Read and validate a config file.
pub fn load(path: &Path) -> Result<Config, Vec<FileError>> {
    let display = crate::source::display_path(path);
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![FileError {
            file: display.clone(),
            line: None,
            column: None,
            message: format!("cannot read config: {e}"),
        }]
    })?;
    parse(path, &text)
}

pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<FileError>> {
    let src = SourceFile::new(path.to_path_buf(), text.to_string());
    let root = crate::yaml::load(FileId(0), &src).map_err(|e| {
        let (line, column) = e.offset.map(|o| src.line_col(o)).unzip();
        vec![FileError {
            file: src.display.clone(),
            line,
            column,
            message: e.message,
        }]
    })?;
    let mut p = Parser {
        src: &src,
        errors: vec![],
    };
    let mut cfg = Config {
        path: Some(path.to_path_buf()),
        display: src.display.clone(),
        ..Config::default()
    };
    for (key, _k, v) in p.map(&root, "the config file", TOP) {
        match key {
            "fail_on" => {
                if let Some(s) = p.string(v, "fail_on") {
                    if FAIL_ON.contains(&s.as_str()) {
                        cfg.fail_on = Some(s);
                    } else {
                        p.err(
                            v,
                            format!("`fail_on: {s}` is not a severity{}", suggest(&s, FAIL_ON)),
                        );
                    }
                }
            }
            "rules" => {
                for (id, k, rv) in p.map(v, "rules", &[]) {
                    if !p.rule_id(k, id) {
                        continue;
                    }
                    let id = id.to_ascii_uppercase();
                    match &rv.kind {
                        Kind::Bool(false) => cfg.disabled.push(id),
                        Kind::Str(s) if s == "off" => cfg.disabled.push(id),
                        Kind::Bool(true) => {}
                        Kind::Str(s) if s == "on" => {}
                        Kind::Map(_) => {
                            for (rk, _, x) in p.map(rv, &format!("rules.{id}"), RULE) {
                                match rk {
                                    "enabled" => {
                                        if x.kind == Kind::Bool(false) {
                                            cfg.disabled.push(id.clone());
                                        } else if x.kind != Kind::Bool(true) {
                                            p.err(x, "`enabled` must be true or false");
                                        }
                                    }
                                    _ => {
                                        let s = p.string(x, "severity").unwrap_or_default();
                                        match Severity::parse(&s) {
                                            Some(sev) => cfg.severity.push((id.clone(), sev)),
                                            None => p.err(
                                                x,
                                                format!(
                                                    "`{s}` is not a severity{}",
                                                    suggest(&s, &["critical", "high", "medium", "low", "info"])
                                                ),
                                            ),
                                        }
                                    }
                                }
                            }
                        }
                        _ => p.err(rv, format!("`rules.{id}` must be `off`, `on`, or a mapping with `enabled`/`severity`")),
                    }
                }
            }
            "settings" => {
                for (sk, _, x) in p.map(v, "settings", SETTINGS) {
                    let s = &mut cfg.settings;
                    match sk {
                        "sensitive_ports" => s.sensitive_ports = p.ports(x, sk),
                        "allowed_ports" => s.allowed_ports = p.ports(x, sk),
                        "daemon_no_new_privileges" => match x.kind {
                            Kind::Bool(b) => s.daemon_no_new_privileges = b,
                            _ => p.err(x, "`daemon_no_new_privileges` must be true or false"),
                        },
                        "allowed_registries" => s.allowed_registries = p.strings(x, sk),
                        "secret_name_pattern" => {
                            if let Some(pat) = p.string(x, sk) {
                                match regex::Regex::new(&pat) {
                                    Ok(_) => s.secret_name_pattern = pat,
                                    Err(e) => p.err(x, format!("invalid regular expression: {e}")),
                                }
                            }
                        }
                        "image_max_age_days" => {
                            for (ak, _, a) in p.map(x, "settings.image_max_age_days", AGE) {
                                match (a.kind.clone(), ak) {
                                    (Kind::Int(d), "medium") if d > 0 => {
                                        s.image_max_age_days.0 = d as u32
                                    }
                                    (Kind::Int(d), _) if d > 0 => s.image_max_age_days.1 = d as u32,
                                    _ => p.err(a, "image ages are positive numbers of days"),
                                }
                            }
                        }
                        _ => {
                            for (fk, _, f) in p.map(x, "settings.fix", FIX) {
                                match fk {
                                    "pids" => match f.kind {
                                        Kind::Int(n) if n > 0 => s.fix_pids = n as u32,
                                        _ => p.err(f, "`pids` must be a positive number"),
                                    },
                                    "memory" => {
                                        let m = p.string(f, fk).unwrap_or_default();
                                        if crate::model::value::parse_bytes(&m)
                                            .is_some_and(|b| b > 0)
                                        {
                                            s.fix_memory = m;
                                        } else {
                                            p.err(
                                                f,
                                                format!("`{m}` is not a memory size such as 512M"),
                                            );
                                        }
                                    }
                                    "cpus" => {
                                        let c = p.string(f, fk).unwrap_or_default();
                                        if c.parse::<f64>().is_ok_and(|x| x > 0.0) {
                                            s.fix_cpus = c;
                                        } else {
                                            p.err(
                                                f,
                                                format!(
                                                    "`{c}` is not a CPU count such as \"0.50\""
                                                ),
                                            );
                                        }
                                    }
                                    _ => {
                                        if let Some(u) = p.string(f, fk) {
                                            s.fix_user = u;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            _ => {
                let Some(items) = v.as_seq() else {
                    if !v.is_null() {
                        p.err(v, "`exemptions` must be a list");
                    }
                    continue;
                };
                for item in items {
                    let mut e = Exemption {
                        rules: vec![],
                        paths: vec![],
                        stack: None,
                        service: None,
                        reason: String::new(),
                        expires: None,
                        location: format!("{}:{}", src.display, p.line_of(item)),
                        line: p.line_of(item),
                    };
                    for (ek, k, x) in p.map(item, "exemptions[]", EXEMPTION) {
                        match ek {
                            "rule" | "rules" => {
                                for r in p.strings(x, ek) {
                                    if p.rule_id(k, &r) {
                                        e.rules.push(r.to_ascii_uppercase());
                                    }
                                }
                            }
                            "path" | "paths" => {
                                for g in p.strings(x, ek) {
                                    match globset::Glob::new(&g) {
                                        Ok(_) => e.paths.push(g),
                                        Err(err) => p.err(x, format!("invalid glob `{g}`: {err}")),
                                    }
                                }
                            }
                            "stack" => e.stack = p.string(x, ek),
                            "service" => e.service = p.string(x, ek),
                            "reason" => {
                                e.reason = p.string(x, ek).unwrap_or_default().trim().to_string()
                            }
                            _ => {
                                let d = x.scalar_text().unwrap_or_default();
                                match parse_date(&d) {
                                    Some(date) => e.expires = Some(date),
                                    None => p.err(
                                        x,
                                        format!("`expires: {d}` is not a date such as 2027-06-30"),
                                    ),
                                }
                            }
                        }
                    }
                    if e.reason.is_empty() {
                        p.err(item, "every exemption needs a `reason` someone can audit");
                    }
                    if e.rules.is_empty() {
                        p.err(item, "every exemption names the `rules` it covers (ids or prefixes such as SA2)");
                    }
                    cfg.exemptions.push(e);
                }
            }
        }
    }
    if p.errors.is_empty() {
        Ok(cfg)
    } else {
        Err(p.errors)
    }
}

/// The commented starter file `swarmaudit init` writes.
pub const STARTER: &str = r#"# swarmaudit configuration (https://github.com/swarmaudit/swarmaudit)
# Found by walking up from the scanned path; `--config FILE` names one explicitly.

# Lowest severity that fails the gate (exit 1): critical, high, medium, low, info, never.
fail_on: high

# Switch rules off or change their severity.
rules:
  # SA305: off                  # single replicas are fine in this repository
  # SA203: {severity: info}     # we publish through an edge proxy on purpose

settings:
  # Extra ports SA205 treats as sensitive, and listed ports it should accept.
  sensitive_ports: []
  allowed_ports: []
  # Naming convention SA409 checks secret names against (`%SERVICE%_%SECRETNAME%`, optional _vN).
  secret_name_pattern: '^[a-z0-9-]+_[a-z0-9_]+(_v\d+)?$'
  # Set to true when every node's daemon.json has "no-new-privileges": true (SA107).
  daemon_no_new_privileges: false
  # Values `swarmaudit fix` inserts for unsafe fixes.
  fix:
    user: "10001:10001"
    memory: 512M
    cpus: "0.50"
    pids: 200

# Accepted findings. Every exemption needs a reason; `expires` makes it temporary.
exemptions:
  # - rules: [SA104]
  #   paths: ["stacks/traefik.yml"]
  #   service: traefik
  #   reason: "Traefik reads the Docker API for service discovery (socket proxy planned)"
  #   expires: 2027-06-30
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(text: &str) -> Vec<String> {
        match parse(Path::new("c.yml"), text) {
            Ok(_) => vec![],
            Err(e) => e.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn starter_is_valid() {
        let c = parse(Path::new("c.yml"), STARTER).expect("starter parses");
        assert_eq!(c.fail_on.as_deref(), Some("high"));
    }

    #[test]
    fn strict_validation_with_suggestions() {
        let e = errs("fail_onn: high\n");
        assert!(
            e[0].contains("c.yml:1:1") && e[0].contains("did you mean `fail_on`"),
            "{e:?}"
        );
        let e = errs("rules:\n  SA999: off\n");
        assert!(e[0].contains("SA999"), "{e:?}");
        let e = errs("exemptions:\n  - rules: [SA104]\n");
        assert!(e[0].contains("reason"), "{e:?}");
        let e = errs("exemptions:\n  - rules: [SA104]\n    reason: x\n    expires: tomorrow\n");
        assert!(e[0].contains("c.yml:4:14"), "{e:?}");
        let e = errs("settings:\n  sensitive_ports: [99999]\n");
        assert!(!e.is_empty());
    }

    #[test]
    fn rules_and_exemptions() {
        let c = parse(
            Path::new("c.yml"),
            "rules:\n  SA305: off\n  SA203: {severity: info}\nexemptions:\n  - rules: SA104\n    paths: 'stacks/*.yml'\n    reason: needs the socket\n    expires: 2027-01-31\n",
        )
        .expect("valid");
        assert_eq!(c.disabled, vec!["SA305"]);
        assert_eq!(c.severity, vec![("SA203".to_string(), Severity::Info)]);
        assert_eq!(c.exemptions[0].expires, Some((2027, 1, 31)));
        assert_eq!(c.exemptions[0].line, 5);
    }

    #[test]
    fn secret_name_pattern_is_a_checked_regex() {
        let c = parse(Path::new("c.yml"), STARTER).expect("starter parses");
        assert_eq!(
            c.settings.secret_name_pattern,
            Settings::default().secret_name_pattern
        );
        let c = parse(
            Path::new("c.yml"),
            "settings:\n  secret_name_pattern: '^[a-z]+-v[0-9]+$'\n",
        )
        .expect("valid");
        assert_eq!(c.settings.secret_name_pattern, "^[a-z]+-v[0-9]+$");
        let e = errs("settings:\n  secret_name_pattern: '^[a-z'\n");
        assert!(
            e[0].contains("c.yml:2:24") && e[0].contains("invalid regular expression"),
            "{e:?}"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_819), (2027, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
