//! `${VAR}` interpolation exactly as `docker stack deploy` does it (docker/cli
//! `cli/compose/template`): `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`,
//! `$$` escapes; no nesting; values only, never keys. A variable without a value makes the
//! result *unknown* rather than a literal.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::yaml::{Kind, Node};

/// The environment stack deploy would interpolate with: process environment plus `--env-file`s.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    pub fn from_process() -> Self {
        Env {
            vars: std::env::vars().collect(),
        }
    }
    pub fn empty() -> Self {
        Env::default()
    }
    pub fn set(&mut self, k: impl Into<String>, v: impl Into<String>) {
        self.vars.insert(k.into(), v.into());
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.vars.get(k).map(String::as_str)
    }

    /// Read a `KEY=VALUE` file (see [`parse_env_file`]); a bare `KEY` takes the process value.
    pub fn load_env_file(&mut self, text: &str) -> Result<(), (usize, String)> {
        for entry in parse_env_file(text)? {
            match entry.value {
                Some(v) => self.set(entry.key, v),
                None => {
                    if let Ok(v) = std::env::var(&entry.key) {
                        self.set(entry.key, v);
                    }
                }
            }
        }
        Ok(())
    }
}

/// One `KEY=VALUE` (or bare `KEY`) line of an env file.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvFileEntry {
    /// 1-based line number.
    pub line: usize,
    pub key: String,
    /// `None` for a bare `KEY` (docker looks it up in the deployer's environment).
    pub value: Option<String>,
}

/// Never show the value: it may be a secret.
impl std::fmt::Debug for EnvFileEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EnvFileEntry(line {}, {})", self.line, self.key)
    }
}

/// Parse an env file the way docker's kvfile does (`--env-file`, and `env_file:` of stack
/// files): a leading BOM dropped, leading whitespace trimmed, `#` comments only at line start,
/// no quote stripping. A line whose name is empty or contains whitespace is an error (docker
/// refuses the file); the error never echoes the line, whose value may be a secret.
pub fn parse_env_file(text: &str) -> Result<Vec<EnvFileEntry>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) => {
                if k.is_empty() || k.contains(char::is_whitespace) {
                    return Err((
                        i + 1,
                        "not a KEY=VALUE line: the name before `=` is empty or contains whitespace"
                            .into(),
                    ));
                }
                out.push(EnvFileEntry {
                    line: i + 1,
                    key: k.to_string(),
                    value: Some(v.to_string()),
                });
            }
            None => out.push(EnvFileEntry {
                line: i + 1,
                key: line.trim_end().to_string(),
                value: None,
            }),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpolated {
    pub value: String,
    /// Variables that had no value and no default: the value is unknown.
    pub unresolved: Vec<String>,
    /// Subset of `unresolved` that were plain `${VAR}` (silently empty at deploy: SA004).
    pub silently_empty: Vec<String>,
}

static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    let subst = "[_a-z][_a-z0-9]*(?::?[-?][^}]*)?";
    Regex::new(&format!(
        r"\$(?i:(?P<escaped>\$)|(?P<named>{subst})|\{{(?P<braced>{subst})\}}|(?P<invalid>))"
    ))
    .expect("constant regex")
});

/// Substitute variables in one string. Errors are docker's "Invalid template".
pub fn interpolate(template: &str, env: &Env) -> Result<Interpolated, String> {
    if !template.contains('$') {
        return Ok(Interpolated {
            value: template.to_string(),
            unresolved: vec![],
            silently_empty: vec![],
        });
    }
    let mut out = Interpolated {
        value: String::with_capacity(template.len()),
        unresolved: vec![],
        silently_empty: vec![],
    };
    let mut last = 0;
    for caps in PATTERN.captures_iter(template) {
        let Some(m) = caps.get(0) else { continue };
        out.value.push_str(&template[last..m.start()]);
        last = m.end();
        if caps.name("escaped").is_some() {
            out.value.push('$');
            continue;
        }
        let subst = caps
            .name("named")
            .or_else(|| caps.name("braced"))
            .map(|g| g.as_str())
            .unwrap_or("");
        if subst.is_empty() {
            // never echo the value: it may be a secret
            let at = template[..m.start()].chars().count() + 1;
            return Err(format!(
                "invalid `$` at character {at} of this value: docker stack deploy fails with \"Invalid template\"; write `$$` for a literal `$`, or `${{NAME}}` for a variable"
            ));
        }
        let v = substitute(subst, env, &mut out)?;
        out.value.push_str(&v);
    }
    out.value.push_str(&template[last..]);
    Ok(out)
}

/// docker/cli's substitution functions, applied in its order: soft default, hard default,
/// required-non-empty, required; a plain name last.
fn substitute(subst: &str, env: &Env, out: &mut Interpolated) -> Result<String, String> {
    if let Some((name, default)) = subst.split_once(":-") {
        return Ok(match env.get(name) {
            Some(v) if !v.is_empty() => v.to_string(),
            _ => default.to_string(),
        });
    }
    if let Some((name, default)) = subst.split_once('-') {
        return Ok(env.get(name).unwrap_or(default).to_string());
    }
    for sep in [":?", "?"] {
        if let Some((name, _message)) = subst.split_once(sep) {
            return Ok(match env.get(name) {
                Some(v) if sep == "?" || !v.is_empty() => v.to_string(),
                // stack deploy would stop with "required variable … is missing a value";
                // the deploy environment supplies it, so the value is unknown here.
                _ => {
                    out.unresolved.push(name.to_string());
                    String::new()
                }
            });
        }
    }
    Ok(match env.get(subst) {
        Some(v) => v.to_string(),
        None => {
            out.unresolved.push(subst.to_string());
            out.silently_empty.push(subst.to_string());
            String::new()
        }
    })
}

/// A variable that had no value, with where it was used.
#[derive(Debug, Clone)]
pub struct UnresolvedUse {
    pub name: String,
    pub node_span: crate::yaml::Span,
    /// Plain `${VAR}`: stack deploy silently substitutes an empty string.
    pub silently_empty: bool,
}

/// Interpolate every string value of a tree in place (keys are never interpolated).
/// Returns the uses of unresolved variables, or the first invalid template.
pub fn interpolate_tree(
    node: &mut Node,
    env: &Env,
    uses: &mut Vec<UnresolvedUse>,
) -> Result<(), (crate::yaml::Span, String)> {
    match &mut node.kind {
        Kind::Str(s) if !s.contains('$') => {} // nothing to do, nothing to copy
        Kind::Str(s) => {
            let r = interpolate(s, env).map_err(|e| (node.span, e))?;
            for name in &r.unresolved {
                uses.push(UnresolvedUse {
                    name: name.clone(),
                    node_span: node.span,
                    silently_empty: r.silently_empty.contains(name),
                });
            }
            *s = r.value;
            node.unresolved = r.unresolved;
        }
        Kind::Seq(items) => {
            for x in items {
                interpolate_tree(x, env, uses)?;
            }
        }
        Kind::Map(entries) => {
            for (k, v) in entries {
                // x- extension blocks are dropped by stack deploy; templates in them still must parse
                let is_ext = k.as_str().is_some_and(|k| k.starts_with("x-"));
                if is_ext {
                    let mut ignored = Vec::new();
                    interpolate_tree(v, env, &mut ignored)?;
                } else {
                    interpolate_tree(v, env, uses)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        let mut e = Env::empty();
        e.set("SET", "v");
        e.set("EMPTY", "");
        e
    }

    fn ok(t: &str) -> (String, Vec<String>) {
        let r = interpolate(t, &env()).unwrap();
        (r.value, r.unresolved)
    }

    #[test]
    fn all_forms() {
        assert_eq!(ok("a${SET}b"), ("avb".into(), vec![]));
        assert_eq!(ok("$SET/x"), ("v/x".into(), vec![]));
        assert_eq!(ok("${UNSET}"), ("".into(), vec!["UNSET".into()]));
        assert_eq!(ok("${UNSET:-d}"), ("d".into(), vec![]));
        assert_eq!(ok("${EMPTY:-d}"), ("d".into(), vec![]));
        assert_eq!(ok("${EMPTY-d}"), ("".into(), vec![]));
        assert_eq!(ok("${UNSET-d}"), ("d".into(), vec![]));
        assert_eq!(ok("${UNSET:?need it}"), ("".into(), vec!["UNSET".into()]));
        assert_eq!(ok("${EMPTY?need}"), ("".into(), vec![]));
        assert_eq!(ok("${EMPTY:?need}"), ("".into(), vec!["EMPTY".into()]));
        assert_eq!(ok("$$SET and $${X}"), ("$SET and ${X}".into(), vec![]));
    }

    #[test]
    fn invalid_templates_are_errors() {
        assert!(interpolate("echo $1", &env()).is_err());
        assert!(interpolate("${UNCLOSED", &env()).is_err());
        assert!(interpolate("trailing $", &env()).is_err());
    }

    #[test]
    fn nested_defaults_are_not_supported_like_stack_deploy() {
        // `[^}]*` stops at the first `}`: the default is `${B` and a literal `}` follows.
        assert_eq!(ok("${A:-${B}}"), ("${B}".into(), vec![]));
    }

    #[test]
    fn env_file_entries_keep_lines_and_bare_keys() {
        let e = parse_env_file("\u{feff}# c\n\n  A=1\nB=\"q\"\nC\n").unwrap();
        let got: Vec<(usize, &str, Option<&str>)> = e
            .iter()
            .map(|x| (x.line, x.key.as_str(), x.value.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![(3, "A", Some("1")), (4, "B", Some("\"q\"")), (5, "C", None)]
        );
        assert_eq!(parse_env_file("A=1\nB C=x\n").unwrap_err().0, 2);
        let secret = parse_env_file("DB_PASSWORD=s3cr3tval\n").unwrap();
        assert!(
            !format!("{secret:?}").contains("s3cr3t"),
            "Debug hides values"
        );
    }

    #[test]
    fn env_file_format() {
        let mut e = Env::empty();
        e.load_env_file("# c\n  A=1\nB=\"q\"\n\n").unwrap();
        assert_eq!(e.get("A"), Some("1"));
        assert_eq!(e.get("B"), Some("\"q\""));
        assert!(e.load_env_file("bad key=1").is_err());
    }
}
