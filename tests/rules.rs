//! Fixture-driven rule tests. Every file `fixtures/<ID>/fail.*.yml` must produce exactly the
//! findings of rule <ID> marked by `# expect: <ID>` comments (on the reported line), and every
//! `fixtures/<ID>/pass.*.yml` none of that rule. Adding a case means adding a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use swarmaudit::engine::{self, Selection};
use swarmaudit::load;
use swarmaudit::model::interpolate::Env;
use swarmaudit::report::{resolve, Reported};
use swarmaudit::rules::catalog;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Lines (1-based) that carry `# expect: ID` for this rule, with multiplicity (`ID x2`).
fn expected_lines(text: &str, id: &str) -> Vec<usize> {
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        let Some(pos) = line.find("# expect:") else {
            continue;
        };
        for item in line[pos + 9..].split(',') {
            let mut parts = item.split_whitespace();
            if parts.next() == Some(id) {
                let n = parts
                    .next()
                    .and_then(|m| m.strip_prefix('x'))
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(1);
                out.extend(std::iter::repeat_n(i + 1, n));
            }
        }
    }
    out
}

/// Lines of this rule's findings in one fixture file (or `-c` fixture directory). A directory
/// that also holds `live.swarm.json` is a drift case: the stack file is compared with the
/// recorded swarm's stack named in its `"stack"` field.
fn reported_lines(files: &[PathBuf], id: &str) -> Result<Vec<(String, usize)>, String> {
    let (yml, json): (Vec<PathBuf>, Vec<PathBuf>) = files
        .iter()
        .cloned()
        .partition(|f| f.extension().is_some_and(|e| e != "json"));
    let loaded = load::load_all(&[yml], &[false], &Env::empty());
    if !loaded.errors.is_empty() {
        return Err(format!("{:?}", loaded.errors));
    }
    let sel = Selection {
        select: vec![id.to_string()],
        ignore: vec![],
        ..Selection::default()
    };
    // SA007 judges suppressions against every rule's findings
    let sel = if id == swarmaudit::suppress::META_RULE {
        Selection::default()
    } else {
        sel
    };
    let config = swarmaudit::config::Config::default();
    let mut reported = vec![];
    for d in &loaded.stacks {
        let mut found: Vec<Reported> = engine::run_one(d, &sel)
            .into_iter()
            .map(|f| Reported::new(f, &loaded.sources))
            .collect();
        let problems =
            swarmaudit::suppress::apply(&mut found, d, &loaded.sources, &config, &sel, &mut []);
        reported.extend(found.into_iter().filter(|r| r.suppressed.is_none()));
        reported.extend(problems);
    }
    let mut findings = vec![];
    if let (Some(snap), Some(file)) = (json.first(), loaded.stacks.first()) {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(snap).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let stack = value["stack"].as_str().unwrap_or("").to_string();
        let snapshot =
            swarmaudit::live::collect::Snapshot::from_json(value).map_err(|e| e.to_string())?;
        let live = swarmaudit::live::lower::lower(&snapshot);
        findings.extend(swarmaudit::rules::stack_deploy::drift::compare(
            file,
            live.iter().find(|d| d.stack == stack),
            &stack,
        ));
    }
    let mut lines: Vec<(String, usize)> = findings
        .iter()
        .filter(|f| f.rule == id)
        .map(|f| {
            let r = resolve(&f.loc, &loaded.sources);
            (r.file, r.line)
        })
        .chain(
            reported
                .iter()
                .filter(|r| r.finding.rule == id)
                .map(|r| (r.at.file.clone(), r.at.line)),
        )
        .collect();
    lines.sort();
    Ok(lines)
}

/// A recorded live fixture: `<case>.swarm.json` holds API JSON as the daemon returns it (see
/// `swarmaudit::live::collect::Snapshot`) plus `"expect": ["<kind> <name>", …]`, one entry per
/// finding of the directory's rule (e.g. `"node worker-2"`, `"service web"`, `"swarm swarm"`).
fn live_case(path: &Path, id: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut expected: Vec<String> = value["expect"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let snapshot = swarmaudit::live::collect::Snapshot::from_json(value)
        .map_err(|e| format!("not a snapshot: {e}"))?;
    let sel = Selection {
        select: vec![id.to_string()],
        ignore: vec![],
        ..Selection::default()
    };
    let deployments = swarmaudit::live::lower::lower(&snapshot);
    let mut got: Vec<String> = engine::run(&deployments, &sel)
        .iter()
        .filter(|f| f.rule == id)
        .map(|f| format!("{} {}", f.object.kind.as_str(), f.object.name))
        .collect();
    got.sort();
    expected.sort();
    Ok((expected, got))
}

/// A host fixture: a directory read as the host's `/` (`etc/docker/daemon.json`, `proc/net/tcp`,
/// …) with a `host.toml` that says what git cannot record and what to expect:
/// `dockerd = [argv…]` becomes `proc/100/{comm,cmdline}`; each `[[make]]` creates a unix socket
/// (`socket = true`) or takes an existing file, and sets its `uid`, `gid` and `mode`; `expect`
/// lists one entry per finding of the directory's rule: `<path under the root>:<line>` for a
/// finding in a file, else the host path the finding names (`/var/run/docker.sock`), prefixed
/// with `unknown ` when the finding is marked unknown. An empty `proc/` is created when the tree
/// has none (no dockerd running). Cases that need ownership changes skip when not run as root.
/// Expected and reported entries of a host fixture, or `None` when it was skipped.
type HostOutcome = Option<(Vec<String>, Vec<String>)>;

fn host_case(dir: &Path, id: &str) -> Result<HostOutcome, String> {
    use std::os::unix::fs::PermissionsExt;

    #[derive(serde::Deserialize)]
    struct Make {
        path: String,
        #[serde(default)]
        socket: bool,
        uid: u32,
        gid: u32,
        mode: u32,
    }
    #[derive(serde::Deserialize)]
    struct Case {
        expect: Vec<String>,
        #[serde(default)]
        dockerd: Vec<String>,
        #[serde(default)]
        make: Vec<Make>,
    }
    let case: Case =
        toml::from_str(&std::fs::read_to_string(dir.join("host.toml")).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = tmp.path().join("root");
    copy_tree(dir, &root).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(root.join("proc")).map_err(|e| e.to_string())?;
    if !case.dockerd.is_empty() {
        let p = root.join("proc/100");
        std::fs::create_dir_all(&p).map_err(|e| e.to_string())?;
        std::fs::write(p.join("comm"), "dockerd\n").map_err(|e| e.to_string())?;
        let mut cmdline = case.dockerd.join("\0");
        cmdline.push('\0');
        std::fs::write(p.join("cmdline"), cmdline).map_err(|e| e.to_string())?;
    }
    for m in &case.make {
        let p = root.join(&m.path);
        if m.socket {
            std::fs::create_dir_all(p.parent().ok_or("no parent")?).map_err(|e| e.to_string())?;
            // the socket file stays after the listener is closed
            drop(std::os::unix::net::UnixListener::bind(&p).map_err(|e| e.to_string())?);
        }
        if std::os::unix::fs::chown(&p, Some(m.uid), Some(m.gid)).is_err() {
            eprintln!("skipping {}: changing owners needs root", dir.display());
            return Ok(None);
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m.mode))
            .map_err(|e| e.to_string())?;
    }
    let collected = swarmaudit::host::collect(&swarmaudit::host::Options {
        root: root.clone(),
        hostname: Some("node-1".into()),
        node_id: None,
    });
    let mut sources = swarmaudit::source::SourceMap::default();
    let facts = swarmaudit::host::lower(&collected.report, collected.daemon_json, &mut sources);
    let d = swarmaudit::host::deployment(facts);
    let sel = Selection {
        select: vec![id.to_string()],
        ..Selection::default()
    };
    let root_text = root.to_string_lossy().into_owned();
    let mut got: Vec<String> = engine::run_one(&d, &sel)
        .iter()
        .filter(|f| f.rule == id)
        .map(|f| {
            let at = match &f.loc {
                swarmaudit::model::Loc::Api { path, .. } => path.clone(),
                loc => {
                    let r = resolve(loc, &sources);
                    let file = r
                        .file
                        .strip_prefix(&root_text)
                        .unwrap_or(&r.file)
                        .trim_start_matches('/')
                        .to_string();
                    format!("{file}:{}", r.line)
                }
            };
            if f.unknown {
                format!("unknown {at}")
            } else {
                at
            }
        })
        .collect();
    got.sort();
    let mut expected = case.expect;
    expected.sort();
    Ok(Some((expected, got)))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_tree(&e.path(), &target)?;
        } else if e.file_name() != "host.toml" {
            std::fs::copy(e.path(), &target)?;
        }
    }
    Ok(())
}

/// A fixture case: a single file, or a directory of files merged in name order with `-c`.
fn case_files(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .expect("read fixture dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e == "yml" || e == "yaml" || e == "json")
            })
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    }
}

#[test]
fn every_fixture_reports_exactly_its_expectations() {
    let mut failures = vec![];
    let mut per_rule: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for rule_dir in std::fs::read_dir(fixtures_dir()).expect("fixtures/") {
        let rule_dir = rule_dir.expect("entry").path();
        let Some(id) = rule_dir
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if catalog::find(&id).is_none() {
            continue; // not a rule directory (e.g. shared inputs)
        }
        let mut cases: Vec<PathBuf> = std::fs::read_dir(&rule_dir)
            .expect("rule fixtures")
            .map(|e| e.expect("entry").path())
            .collect();
        cases.sort();
        for case in cases {
            let name = case
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let is_fail = name.starts_with("fail.");
            let is_pass = name.starts_with("pass.");
            if !is_fail && !is_pass {
                continue;
            }
            // recorded swarms and host trees list their expected findings
            let listed = if name.ends_with(".swarm.json") {
                Some(live_case(&case, &id).map(Some))
            } else if case.join("host.toml").is_file() {
                Some(host_case(&case, &id))
            } else {
                None
            };
            if let Some(result) = listed {
                let entry = per_rule.entry(id.clone()).or_default();
                if is_fail {
                    entry.0 += 1
                } else {
                    entry.1 += 1
                }
                match result {
                    Err(e) => failures.push(format!("{}: {e}", case.display())),
                    Ok(None) => {}
                    Ok(Some((expected, got))) => {
                        if is_fail && expected.is_empty() {
                            failures.push(format!(
                                "{}: a fail fixture needs \"expect\" entries",
                                case.display()
                            ));
                        }
                        if is_pass && !expected.is_empty() {
                            failures.push(format!(
                                "{}: a pass fixture must not expect findings",
                                case.display()
                            ));
                        }
                        if expected != got {
                            failures.push(format!(
                                "{}: {id} expected {expected:?}, reported {got:?}",
                                case.display()
                            ));
                        }
                    }
                }
                continue;
            }
            let files = case_files(&case);
            let mut expected = vec![];
            for f in &files {
                let text = std::fs::read_to_string(f).expect("fixture text");
                let shown = swarmaudit::source::display_path(f);
                expected.extend(
                    expected_lines(&text, &id)
                        .into_iter()
                        .map(|l| (shown.clone(), l)),
                );
            }
            expected.sort();
            let entry = per_rule.entry(id.clone()).or_default();
            if is_fail {
                entry.0 += 1;
                if expected.is_empty() {
                    failures.push(format!(
                        "{}: a fail fixture needs `# expect: {id}` markers",
                        case.display()
                    ));
                }
            } else {
                entry.1 += 1;
                if !expected.is_empty() {
                    failures.push(format!(
                        "{}: a pass fixture must not expect findings",
                        case.display()
                    ));
                }
            }
            match reported_lines(&files, &id) {
                Err(e) => failures.push(format!("{}: failed to load: {e}", case.display())),
                Ok(got) if got != expected => failures.push(format!(
                    "{}: {id} expected at {:?}, reported at {:?}",
                    case.display(),
                    expected,
                    got
                )),
                Ok(_) => {}
            }
        }
    }
    for m in catalog::all() {
        match per_rule.get(&m.id) {
            Some((f, p)) if *f > 0 && *p > 0 => {}
            _ => failures.push(format!(
                "{}: needs at least one fail.* and one pass.* fixture in fixtures/{}/",
                m.id, m.id
            )),
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn expectation_markers_parse() {
    let text = "a: 1 # expect: SA101\nb: 2 # expect: SA101 x2, SA102\nc: 3\n";
    assert_eq!(expected_lines(text, "SA101"), vec![1, 2, 2]);
    assert_eq!(expected_lines(text, "SA102"), vec![2]);
    assert!(expected_lines(text, "SA103").is_empty());
}

/// A finding about a file next to the stack may not depend on how the stack's path was
/// written: SA406 once missed a secret inside the project when the path held `..` (the project
/// directory was compared uncleaned with the cleaned secret path). The secret file does not
/// exist, so "inside the project" is the finding's only reason.
#[test]
fn sa406_is_the_same_however_the_path_is_written() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir(dir.path().join("sub")).expect("sub directory");
    let stack = "services:\n  api:\n    image: registry.example.com/api:1.4.2\n    secrets: [db]\nsecrets:\n  db:\n    file: ./private/db.txt\n";
    std::fs::write(dir.path().join("stack.yml"), stack).expect("stack file");
    let plain = dir.path().join("stack.yml");
    let dotted = dir.path().join("sub/../stack.yml");
    let dot = dir.path().join("./sub/.././stack.yml");
    let counts: Vec<usize> = [&plain, &dotted, &dot]
        .iter()
        .map(|p| {
            reported_lines(&[p.to_path_buf()], "SA406")
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .len()
        })
        .collect();
    assert_eq!(counts, [1, 1, 1]);
}
