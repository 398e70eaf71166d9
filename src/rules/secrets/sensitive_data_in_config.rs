//! SA407: sensitive data stored as a swarm config: a config's file (stack) or data (live) holds a
//! secret by SA401's name heuristic or SA402's patterns, or the config's name looks like a
//! secret's. Configs are not encrypted at rest, are readable through the API (`docker config
//! inspect`) and are mounted without tmpfs. The data is never printed.

use crate::detect::is_secret_name;
use crate::finding::{ObjectKind, ObjectRef};
use crate::model::Deployment;
use crate::rules::secrets::scan_text;
use crate::rules::Sink;

const ADVICE: &str = "configs are not encrypted at rest and anyone with API access can read them (`docker config inspect`); store it as a Docker secret instead";

pub fn check(d: &Deployment, sink: &mut Sink) {
    for c in &d.configs {
        let object = ObjectRef::new(ObjectKind::Config, &c.name);
        let real = c.real_name();
        let mut content_hit = false;
        let sources = [
            c.local
                .as_ref()
                .and_then(|l| Some((l.text.as_ref()?, &c.file.as_ref()?.loc, l.shown.as_str()))),
            c.data.as_ref().map(|x| (&x.text, &x.loc, "Spec.Data")),
        ];
        for (text, loc, shown) in sources.into_iter().flatten() {
            if let Some(hit) = scan_text(text).into_iter().next() {
                content_hit = true;
                sink.report(
                    object.clone(),
                    loc,
                    "data",
                    format!(
                        "config `{real}` holds a secret ({shown} line {}: {}, value hidden): {ADVICE}",
                        hit.line, hit.what
                    ),
                );
            }
        }
        if !content_hit && is_secret_name(real) {
            let loc = c.name_override.as_ref().map_or(&c.loc, |n| &n.loc);
            sink.report(
                object,
                loc,
                "name",
                format!("config `{real}` is named like a secret: {ADVICE}"),
            );
        }
    }
}
