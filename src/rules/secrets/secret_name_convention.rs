//! SA409: a secret's name does not follow the naming convention (`settings.secret_name_pattern`,
//! default `%SERVICE%_%SECRETNAME%` with an optional `_vN` version suffix).

use regex::Regex;

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::Deployment;
use crate::rules::Sink;

/// The compiled pattern, compiled once per thread and pattern (not once per stack).
fn compiled(pattern: &str) -> Option<Regex> {
    thread_local! {
        static CACHE: std::cell::RefCell<Option<(String, Option<Regex>)>> =
            const { std::cell::RefCell::new(None) };
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        match &*c {
            Some((p, r)) if p == pattern => r.clone(),
            _ => {
                let r = Regex::new(pattern).ok();
                *c = Some((pattern.to_string(), r.clone()));
                r
            }
        }
    })
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    if d.secrets.is_empty() {
        return;
    }
    // the config loader validated the pattern; the default is a constant
    let Some(pattern) = compiled(&sink.settings.secret_name_pattern) else {
        return;
    };
    for s in &d.secrets {
        // stack deploy prefixes `<stack>_` to the key, not to `name:`; live names come without
        // the prefix: match the name as the convention writes it
        let (name, loc) = match &s.name_override {
            Some(n) if !n.is_known() => continue,
            Some(n) => (n.text.as_str(), &n.loc),
            None => (s.name.as_str(), &s.loc),
        };
        if pattern.is_match(name) {
            continue;
        }
        let hint = if name
            .rsplit_once("_v")
            .is_some_and(|(_, v)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        {
            ""
        } else {
            ", with a version suffix to rotate by (`_v1`, `_v2`)"
        };
        sink.report(
            ObjectRef::new(ObjectKind::Secret, &s.name),
            loc,
            "name",
            format!(
                "secret name `{name}` does not match the naming convention `{}`: name secrets `<service>_<secret>`{hint}, e.g. `api_db_password_v1`",
                sink.settings.secret_name_pattern
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;
    use crate::model::{Deployment, Loc, Object};
    use crate::rules::{catalog, Sink};

    fn names(pattern: Option<&str>, secrets: &[&str]) -> Vec<String> {
        let d = Deployment {
            secrets: secrets
                .iter()
                .map(|n| Object {
                    name: n.to_string(),
                    loc: Loc::Api {
                        object: format!("secret {n}"),
                        path: "Spec.Name".into(),
                    },
                    file: None,
                    external: true,
                    name_override: None,
                    local: None,
                    data: None,
                })
                .collect(),
            ..Deployment::default()
        };
        let mut settings = Settings::default();
        if let Some(p) = pattern {
            settings.secret_name_pattern = p.into();
        }
        let meta = catalog::find("SA409").expect("SA409");
        let mut out = vec![];
        super::check(&d, &mut Sink::new(meta, &mut out, &settings));
        out.into_iter().map(|f| f.object.name).collect()
    }

    #[test]
    fn default_and_configured_conventions() {
        let all = [
            "api_db_password_v2",
            "api_db_password",
            "DBPassword",
            "api-db-password-v2",
        ];
        assert_eq!(names(None, &all), vec!["DBPassword", "api-db-password-v2"]);
        assert_eq!(
            names(Some("^[a-z]+(-[a-z]+)+-v[0-9]+$"), &all),
            vec!["api_db_password_v2", "api_db_password", "DBPassword"]
        );
    }
}
