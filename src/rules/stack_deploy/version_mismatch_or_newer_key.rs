//! SA005: the `-c` files declare different `version:`s (docker/cli: "version mismatched between
//! two composefiles"), or a file uses a key that the schema of its own `version:` does not know
//! yet (e.g. `deploy.resources.limits.pids` under `version: "3.8"`): the deploy fails.

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::schema_versions::{gate_of, parse_version};
use crate::model::Deployment;
use crate::rules::Sink;

fn show(v: (u32, u32)) -> String {
    format!("{}.{}", v.0, v.1)
}

pub fn check(d: &Deployment, sink: &mut Sink) {
    let stack = || ObjectRef::new(ObjectKind::Stack, "stack");
    // every file must normalise to the same version as the first
    let declared = |fv: &crate::model::FileVersion| match &fv.version {
        Some(v) if !v.is_known() => None,
        Some(v) => Some(parse_version(Some(&v.text))),
        None => Some(parse_version(None)),
    };
    if let Some(first) = d.file_versions.first() {
        if let Some(Some(want)) = declared(first) {
            for fv in &d.file_versions[1..] {
                let Some(Some(got)) = declared(fv) else {
                    continue;
                };
                if got == want {
                    continue;
                }
                let written = |f: &crate::model::FileVersion| {
                    f.version.as_ref().map_or_else(
                        || {
                            format!(
                                "no `version:` (read as {})",
                                show(parse_version(None).unwrap_or(want))
                            )
                        },
                        |v| format!("`version: \"{}\"`", v.text),
                    )
                };
                let loc = fv.version.as_ref().map_or(&fv.loc, |v| &v.loc);
                sink.report(
                    stack(),
                    loc,
                    "version",
                    format!(
                        "this file has {} but the first file has {}: docker stack deploy refuses files whose versions differ (\"version mismatched between two composefiles\"); use the same `version:` in every file, or none",
                        written(fv),
                        written(first)
                    ),
                );
            }
        }
    }
    // each file is validated against the schema of its own version
    for k in &d.versioned_keys {
        let parts: Vec<&str> = k.key.split('.').collect();
        let Some(gate) = gate_of(&parts) else {
            continue;
        };
        let Some(fv) = d
            .file_versions
            .iter()
            .find(|f| Some(f.file) == k.loc.file_id())
        else {
            continue;
        };
        let Some(Some(version)) = declared(fv) else {
            continue;
        };
        if version > gate.absent_up_to {
            continue;
        }
        let object = match parts.as_slice() {
            ["services", name, ..] => ObjectRef::new(ObjectKind::Service, *name),
            [section @ ("networks" | "volumes" | "secrets" | "configs"), name, ..] => {
                let kind = match *section {
                    "networks" => ObjectKind::Network,
                    "volumes" => ObjectKind::Volume,
                    "secrets" => ObjectKind::Secret,
                    _ => ObjectKind::Config,
                };
                ObjectRef::new(kind, *name)
            }
            _ => stack(),
        };
        sink.report(
            object,
            &k.loc,
            k.key.clone(),
            format!(
                "`{}` needs file format {} or newer, but this file declares `version: \"{}\"`: docker stack deploy validates it against the {} schema and fails (\"Additional property {} is not allowed\"); raise `version:` or remove it",
                k.key,
                show(gate.since),
                fv.version.as_ref().map_or(String::new(), |v| v.text.clone()),
                show(version),
                parts.last().copied().unwrap_or_default()
            ),
        );
    }
}
