//! One fix per finding: which keys to set, remove or insert, built from the model (what the
//! finding is about) and the file's spanned tree (where it is written).
//!
//! Rules a fix never breaks: an interpolated value (`${…}` in the original text) is never
//! rewritten; a value reached through an anchor or merge key is edited once, at its
//! definition, only as an unsafe fix that names every service it affects.

use crate::config::Settings;
use crate::finding::{Finding, ObjectKind};
use crate::fix::yaml_edit::{
    double_quoted, map_target, needs_quotes, scalar_like, seq_target, Doc, MapTarget, Op, Y,
};
use crate::fix::{defaults, Applicability, Edit, Fix};
use crate::model::{Deployment, Loc, Service, Val};
use crate::source::{FileId, SourceMap};
use crate::yaml::{self, Kind, Node};

/// Rules that have a fix (applied or shown).
pub fn has_fix(rule: &str) -> bool {
    matches!(
        rule,
        "SA001"
            | "SA002"
            | "SA003"
            | "SA101"
            | "SA201"
            | "SA204"
            | "SA301"
            | "SA302"
            | "SA303"
            | "SA401"
            | "SA501"
            | "SA502"
            | "SA601"
            | "SA603"
            | "SA605"
            | "SA606"
    )
}

/// The outcome of building a fix for one finding.
#[derive(Debug)]
pub enum Built {
    Fix(Box<Fix>),
    /// The rule has fixes, or says what to do, but not here; the reason.
    NoFix(String),
    /// The rule has no automatic fix.
    None,
}

/// The files of one deployment, parsed again for editing (the model keeps no tree).
pub struct Parsed {
    roots: Vec<(FileId, Node)>,
}

impl Parsed {
    pub fn new(d: &Deployment, sources: &SourceMap) -> Parsed {
        let roots = d
            .files
            .iter()
            .filter_map(|&id| {
                let src = sources.get(id);
                yaml::load(id, src).ok().map(|n| (id, n))
            })
            .collect();
        Parsed { roots }
    }

    /// The trees the loader kept (`Loaded::keep_trees`), without parsing again.
    pub fn from_trees(d: &Deployment, trees: Vec<(FileId, Node)>) -> Parsed {
        Parsed {
            roots: trees
                .into_iter()
                .filter(|(id, _)| d.files.contains(id))
                .collect(),
        }
    }

    pub fn ctx<'a>(
        &'a self,
        d: &'a Deployment,
        sources: &'a SourceMap,
        settings: &'a Settings,
    ) -> Ctx<'a> {
        Ctx {
            d,
            sources,
            settings,
            render_edits: true,
            users: self
                .roots
                .iter()
                .map(|_| std::cell::OnceCell::new())
                .collect(),
            docs: self
                .roots
                .iter()
                .map(|(id, root)| Doc::new(*id, &sources.get(*id).text, root))
                .collect(),
        }
    }
}

/// What a fix builder needs.
pub struct Ctx<'a> {
    pub d: &'a Deployment,
    pub sources: &'a SourceMap,
    pub settings: &'a Settings,
    pub docs: Vec<Doc<'a>>,
    /// Render each fix's edits (else only whether it has any: [`crate::fix::Detail`]).
    pub render_edits: bool,
    /// Per doc, built on first use: the services whose tree uses the text at an offset.
    users: Vec<std::cell::OnceCell<UsersIndex>>,
}

/// Offset (where a node is written) -> the services using it, in file order: every
/// (offset, service) pair in one sorted list (a map of a `Vec` of names per node allocated for
/// every node of every file a fix was built for).
#[derive(Default)]
struct UsersIndex {
    names: Vec<String>,
    /// (offset, index in `names`), sorted by offset, each offset's services in file order.
    uses: Vec<(usize, u32)>,
}

impl UsersIndex {
    fn get(&self, offset: usize) -> Vec<String> {
        let from = self.uses.partition_point(|u| u.0 < offset);
        self.uses[from..]
            .iter()
            .take_while(|u| u.0 == offset)
            .filter_map(|u| self.names.get(u.1 as usize).cloned())
            .collect()
    }
}

impl<'a> Ctx<'a> {
    pub fn doc(&self, id: FileId) -> Option<&Doc<'a>> {
        self.docs.iter().find(|d| d.file == id)
    }

    /// Services whose tree uses the text at `offset` of `doc` (their own, or through an alias
    /// or merge): [`services_using`], indexed once per file.
    fn services_using(&self, doc: &Doc, offset: usize) -> Vec<String> {
        let Some(i) = self.docs.iter().position(|d| d.file == doc.file) else {
            return services_using(doc, offset);
        };
        self.users[i].get_or_init(|| users_index(doc)).get(offset)
    }
}

fn users_index(doc: &Doc) -> UsersIndex {
    fn walk(n: &Node, svc: u32, out: &mut Vec<(usize, u32)>) {
        out.push((def_start(n), svc));
        match &n.kind {
            Kind::Map(m) => m.iter().for_each(|(k, v)| {
                walk(k, svc, out);
                walk(v, svc, out);
            }),
            Kind::Seq(s) => s.iter().for_each(|x| walk(x, svc, out)),
            _ => {}
        }
    }
    let mut index = UsersIndex::default();
    for (k, v) in doc
        .root
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or(&[])
    {
        if let Some(name) = k.scalar_text() {
            walk(v, index.names.len() as u32, &mut index.uses);
            index.names.push(name);
        }
    }
    // stable: each offset's services stay in file order; a service counts once per offset
    index.uses.sort_by_key(|u| u.0);
    index.uses.dedup();
    index
}

/// A position in the text: the definition when the value came through an anchor.
struct Real {
    file: FileId,
    start: usize,
    end: usize,
    via_alias: bool,
}

fn real(loc: &Loc) -> Option<Real> {
    match loc {
        Loc::File { span, def } => {
            let s = def.unwrap_or(*span);
            Some(Real {
                file: s.file,
                start: s.start as usize,
                end: s.end as usize,
                via_alias: def.is_some(),
            })
        }
        Loc::Api { .. } => None,
    }
}

fn def_start(n: &Node) -> usize {
    n.def.unwrap_or(n.span).start as usize
}

/// Services whose tree uses the text at `offset` (their own, or through an alias or merge).
pub fn services_using(doc: &Doc, offset: usize) -> Vec<String> {
    fn touches(n: &Node, offset: usize) -> bool {
        if def_start(n) == offset {
            return true;
        }
        match &n.kind {
            Kind::Map(m) => m
                .iter()
                .any(|(k, v)| touches(k, offset) || touches(v, offset)),
            Kind::Seq(s) => s.iter().any(|x| touches(x, offset)),
            _ => false,
        }
    }
    doc.root
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter(|(_, v)| touches(v, offset))
        .filter_map(|(k, _)| k.scalar_text())
        .collect()
}

/// The entry whose key is written at `key_start` (searching only text, not alias copies).
fn find_entry(n: &Node, key_start: usize) -> Option<(&Node, &Node, &Node)> {
    match &n.kind {
        Kind::Map(m) => {
            for (k, v) in m {
                if k.def.is_some() {
                    continue;
                }
                if k.span.start as usize == key_start {
                    return Some((n, k, v));
                }
                if v.def.is_none() {
                    if let Some(found) = find_entry(v, key_start) {
                        return Some(found);
                    }
                }
            }
            None
        }
        Kind::Seq(s) => s
            .iter()
            .filter(|x| x.def.is_none())
            .find_map(|x| find_entry(x, key_start)),
        _ => None,
    }
}

fn service_entry<'n>(doc: &Doc<'n>, name: &str) -> Option<(&'n Node, &'n Node)> {
    doc.root.get("services")?.entry(name)
}

/// Insert `entries` at `path` below the mapping `val` (the value of `key`), creating the
/// missing parents. Returns the op, the offset that identifies the edited mapping, and
/// whether it was reached through an alias or merge key.
fn insert_under(
    doc: &Doc,
    key: Option<&Node>,
    val: &Node,
    path: &[&str],
    entries: Vec<(String, Y)>,
) -> Option<(Op, usize, bool)> {
    let mut via = key.is_some_and(|k| k.def.is_some()) || val.def.is_some();
    let (mut key, mut val) = (key, val);
    let mut i = 0;
    while i < path.len() {
        match val.entry(path[i]) {
            Some((k, v)) => {
                via |= k.def.is_some() || v.def.is_some();
                key = Some(k);
                val = v;
                i += 1;
            }
            None => break,
        }
    }
    let target = match key {
        Some(k) => map_target(doc.text, k, val)?,
        None => match &val.kind {
            Kind::Map(_) if doc.text.as_bytes().get(def_start(val)) == Some(&b'{') => {
                MapTarget::Flow {
                    open: def_start(val),
                }
            }
            Kind::Map(_) => MapTarget::Block {
                first_key: def_start(val),
            },
            _ => return None,
        },
    };
    let at = match target {
        MapTarget::Block { first_key } => first_key,
        MapTarget::Flow { open } => open,
        MapTarget::Empty { key } => key,
    };
    let op = Op::Insert {
        file: doc.file,
        target,
        entries: Y::nest(&path[i..], entries),
    };
    Some((op, at, via))
}

fn interpolated(doc: &Doc, start: usize, end: usize) -> bool {
    doc.text.get(start..end).is_some_and(|t| t.contains('$'))
}

/// `version:` at least `3.<minor>` (or absent); `Err` names the problem.
fn version_at_least(d: &Deployment, minor: u32, what: &str) -> Result<(), String> {
    let Some(v) = &d.version else { return Ok(()) };
    let t = v.text.trim();
    let m = if t == "3" {
        Some(0)
    } else {
        t.strip_prefix("3.").and_then(|m| m.parse::<u32>().ok())
    };
    match m {
        Some(m) if v.is_known() && m >= minor => Ok(()),
        _ => Err(format!(
            "{what} needs `version: \"3.{minor}\"` or later (the file declares `{t}`): raise or remove `version:` first"
        )),
    }
}

/// Collects the ops of one fix and decides its applicability.
struct Builder<'c, 'a> {
    cx: &'c Ctx<'a>,
    title: String,
    applicability: Applicability,
    risk: Option<String>,
    notes: Vec<String>,
    ops: Vec<Op>,
    /// Offsets of edited definitions, with their file, and whether reached through an alias.
    sites: Vec<(FileId, usize, bool)>,
}

impl<'c, 'a> Builder<'c, 'a> {
    fn new(cx: &'c Ctx<'a>, applicability: Applicability, title: String) -> Self {
        Builder {
            cx,
            title,
            applicability,
            risk: None,
            notes: vec![],
            ops: vec![],
            sites: vec![],
        }
    }

    fn risk(mut self, r: impl Into<String>) -> Self {
        self.risk = Some(r.into());
        self
    }

    /// Replace the text at `at` (where a value is written) in `doc`.
    fn replace(&mut self, doc: &Doc, at: &Real, text: String) {
        self.op(
            Op::Replace {
                file: doc.file,
                start: at.start,
                end: at.end,
                text,
            },
            at.start,
            at.via_alias,
        );
    }

    fn op(&mut self, op: Op, at: usize, via: bool) {
        self.sites.push((op.file(), at, via));
        self.ops.push(op);
    }

    /// When an edit reaches text that several services share (an anchor), the fix becomes
    /// unsafe and its title and risk name those services.
    fn name_shared_services(&mut self) {
        let mut shared: Vec<String> = vec![];
        let mut anchor_line = None;
        for (file, at, via) in &self.sites {
            let Some(doc) = self.cx.doc(*file) else {
                continue;
            };
            let users = self.cx.services_using(doc, *at);
            if *via || users.len() > 1 {
                anchor_line.get_or_insert(doc.line_number(*at));
                for u in users {
                    if !shared.contains(&u) {
                        shared.push(u);
                    }
                }
            }
        }
        if let Some(line) = anchor_line {
            if self.applicability == Applicability::Safe {
                self.applicability = Applicability::Unsafe;
            }
            shared.sort();
            let list = shared.join(", ");
            self.title = format!(
                "{} — edited once, where the anchor is defined (line {line}), which {} {list}",
                self.title,
                if shared.len() == 1 {
                    "is used by"
                } else {
                    "is shared by"
                }
            );
            let r = format!("the change applies to every service that uses the anchor: {list}");
            self.risk = Some(match self.risk.take() {
                Some(x) => format!("{x}; {r}"),
                None => r,
            });
        }
    }

    fn done(mut self) -> Built {
        let (edits, renders) = if self.cx.render_edits {
            // an edit of text that several services share is unsafe and names them: in the
            // title and risk, which only a report that shows the fix reads. Whether a fix is
            // available does not depend on it (it never makes a fix a suggestion only).
            self.name_shared_services();
            let edits = render_alone(self.cx, &self.ops);
            let renders = !edits.is_empty();
            (edits, renders)
        } else {
            (
                vec![],
                crate::fix::apply::renders_any(&self.ops, &self.cx.docs),
            )
        };
        if !renders && self.applicability != Applicability::Display {
            return Built::NoFix("the layout of the file around this key is not one the fixer edits; change it by hand".into());
        }
        Built::Fix(Box::new(Fix {
            title: self.title,
            applicability: self.applicability,
            edits,
            renders,
            risk: self.risk,
            notes: self.notes,
            ops: self.ops,
        }))
    }
}

/// The edits of one fix on its own.
fn render_alone(cx: &Ctx, ops: &[Op]) -> Vec<Edit> {
    let tagged: Vec<(usize, &Op)> = ops.iter().map(|o| (0, o)).collect();
    crate::fix::apply::render(&tagged, &cx.docs)
        .into_iter()
        .map(|r| Edit {
            file: cx.sources.get(r.file).display.clone(),
            start: r.edit.start,
            end: r.edit.end,
            replacement: r.edit.text,
        })
        .collect()
}

fn service<'d>(d: &'d Deployment, f: &Finding) -> Option<&'d Service> {
    (f.object.kind == ObjectKind::Service)
        .then(|| d.services.iter().find(|s| s.name == f.object.name))
        .flatten()
}

/// The file a finding points into, and the service's entry in it.
fn service_in<'c, 'a>(
    cx: &'c Ctx<'a>,
    f: &Finding,
    svc: &Service,
) -> Option<(&'c Doc<'a>, &'a Node, &'a Node)> {
    let files = [f.loc.file_id(), svc.loc.file_id()];
    files.into_iter().flatten().find_map(|id| {
        let doc = cx.doc(id)?;
        let (k, v) = service_entry(doc, &svc.name)?;
        Some((doc, k, v))
    })
}

pub fn build(f: &Finding, cx: &Ctx) -> Built {
    if !has_fix(f.rule) {
        return Built::None;
    }
    let result = match f.rule {
        "SA001" | "SA002" => remove_ignored_key(f, cx),
        "SA003" => convert_rejected_key(f, cx),
        "SA101" => set_user(f, cx),
        "SA201" => encrypt_network(f, cx),
        "SA204" => drop_host_ip(f, cx),
        "SA301" | "SA302" | "SA303" => set_limit(f, cx),
        "SA401" => move_to_secret(f, cx),
        "SA501" | "SA502" => pin_image(f, cx),
        "SA601" => healthcheck_skeleton(f, cx),
        "SA603" => update_rollback(f, cx),
        "SA605" => rollback_config(f, cx),
        "SA606" => restart_policy(f, cx),
        _ => return Built::None,
    };
    match result {
        Ok(b) => b,
        Err(why) => Built::NoFix(why),
    }
}

type R = Result<Built, String>;

const UNSUPPORTED: &str = "the layout of the file around this key is not one the fixer edits (an alias, a merge of a whole mapping, or an explicit null); change it by hand";
const INTERPOLATED: &str =
    "the value is interpolated (`${…}`): swarmaudit never rewrites interpolated values";

fn no_service() -> String {
    "the service is not written in the file the finding points to".into()
}

fn remove_ignored_key(f: &Finding, cx: &Ctx) -> R {
    let at = real(&f.loc).ok_or_else(no_service)?;
    let doc = cx.doc(at.file).ok_or_else(no_service)?;
    let (parent, k, v) = find_entry(doc.root, at.start).ok_or(UNSUPPORTED)?;
    let siblings = parent.as_map().map_or(0, <[_]>::len);
    let (start, end) = doc
        .remove_key_range(k.span.start as usize, v, siblings)
        .ok_or(UNSUPPORTED)?;
    let hint = match f.key.as_str() {
        "security_opt" => "the no-new-privileges, seccomp or AppArmor setting it names must be enforced daemon-wide (daemon.json on every node)",
        "tmpfs" => "mount the tmpfs as a `volumes:` entry with `type: tmpfs` instead",
        "privileged" => "swarm services never run privileged; grant only the capabilities the service needs with `cap_add`",
        "network_mode" => "join networks through `networks:` (host networking: the external `host` network)",
        "devices" => "swarm services cannot map host devices",
        "build" => "build and push the image before deploying; stack deploy never builds",
        "depends_on" => "swarm has no start order: make the service retry its dependencies",
        _ => "stack deploy never applied it",
    };
    let title = format!(
        "remove `{}`, which docker stack deploy ignores, so the file no longer promises a setting the swarm does not apply ({hint})",
        f.key
    );
    // the swarm never applied the key: removing it changes nothing that runs
    let mut b = Builder::new(cx, Applicability::Safe, title);
    b.op(
        Op::Replace {
            file: doc.file,
            start,
            end,
            text: String::new(),
        },
        k.span.start as usize,
        at.via_alias,
    );
    Ok(b.done())
}

fn convert_rejected_key(f: &Finding, cx: &Ctx) -> R {
    let svc = service(cx.d, f).ok_or_else(|| {
        format!(
            "no automatic fix for `{}`: remove it or change it to what docker stack deploy accepts",
            f.key
        )
    })?;
    let (limit, current) = match f.key.as_str() {
        "mem_limit" => ("memory", svc.deploy.limits.memory.as_ref()),
        "cpus" => ("cpus", svc.deploy.limits.cpus.as_ref()),
        k => {
            return Err(format!(
                "no automatic fix for `{k}`: it has no exact swarm equivalent, so what replaces it is a decision"
            ))
        }
    };
    let at = real(&f.loc).ok_or_else(no_service)?;
    let doc = cx.doc(at.file).ok_or_else(no_service)?;
    let (parent, k, v) = find_entry(doc.root, at.start).ok_or(UNSUPPORTED)?;
    let raw_span = (def_start(v), v.def.unwrap_or(v.span).end as usize);
    if interpolated(doc, raw_span.0, raw_span.1) {
        return Err(INTERPOLATED.into());
    }
    let siblings = parent.as_map().map_or(0, <[_]>::len);
    let (start, end) = doc
        .remove_key_range(k.span.start as usize, v, siblings)
        .ok_or(UNSUPPORTED)?;
    let raw = doc.text[raw_span.0..raw_span.1].to_string();
    if raw.contains('\n') || raw.is_empty() {
        return Err(UNSUPPORTED.into());
    }
    // both limits are strings in the stack-deploy schema
    let value = match raw.as_bytes()[0] {
        b'"' | b'\'' => raw.clone(),
        _ if matches!(v.kind, Kind::Str(_)) && !needs_quotes(&raw) => raw.clone(),
        _ => double_quoted(&raw),
    };
    let already = crate::rules::resources::is_set(current);
    let title = if already {
        format!("remove `{}`, which makes docker stack deploy fail; `deploy.resources.limits.{limit}` already sets the limit", f.key)
    } else {
        format!(
            "move `{}: {raw}` to `deploy.resources.limits.{limit}: {value}`: stack deploy rejects `{}` and enforces the same limit from `deploy.resources`",
            f.key, f.key
        )
    };
    let mut b = Builder::new(cx, Applicability::Safe, title);
    b.op(
        Op::Replace {
            file: doc.file,
            start,
            end,
            text: String::new(),
        },
        k.span.start as usize,
        at.via_alias,
    );
    if !already {
        let (op, site, via) = insert_under(
            doc,
            None,
            parent,
            &["deploy", "resources", "limits"],
            vec![(limit.to_string(), Y::s(value))],
        )
        .ok_or(UNSUPPORTED)?;
        b.op(op, site, via);
    }
    Ok(b.done())
}

/// SA501/SA502: append the digest the registry serves for the tag now (known only with
/// `--resolve-images`); the tag stays, for people and for bots that bump digests.
fn pin_image(f: &Finding, cx: &Ctx) -> R {
    let svc = service(cx.d, f).ok_or_else(no_service)?;
    let img = svc.image.as_ref().ok_or_else(no_service)?;
    if !img.is_known() {
        return Err(INTERPOLATED.into());
    }
    let registry = svc.image_info.registry.as_ref();
    let Some(digest) = registry.and_then(|r| r.tag_digest.as_deref()) else {
        let why = match registry.and_then(|r| r.error.as_deref()) {
            Some(e) => format!("the registry could not be asked for the digest ({e})"),
            None => {
                "the digest the registry serves for the tag is not known without `--resolve-images`"
                    .into()
            }
        };
        return Err(format!("{why}; pin `image: <name>:<tag>@sha256:<digest>` yourself (`docker buildx imagetools inspect <name>:<tag>` prints it)"));
    };
    let written = img.text.trim();
    let r = crate::rules::image::parse_ref(written);
    if r.digest.is_some() {
        return Err("the image is already pinned to a digest".into());
    }
    let pinned = match r.tag {
        Some(_) => format!("{written}@{digest}"),
        None => format!("{written}:latest@{digest}"),
    };
    let (op, site, via) = replace_val(cx, img, &pinned)?;
    let mut b = Builder::new(
        cx,
        Applicability::Unsafe,
        format!("pin `{pinned}`: the digest the registry serves for `{written}` now"),
    )
    .risk("later pushes to the tag no longer reach this service until the digest is bumped (let Renovate or Dependabot do that); the image deployed today stays the same");
    b.op(op, site, via);
    Ok(b.done())
}

fn set_user(f: &Finding, cx: &Ctx) -> R {
    let svc = service(cx.d, f).ok_or_else(no_service)?;
    let user = &cx.settings.fix_user;
    let risk = format!("the service's processes run as {user} instead of root: files the image expects to write, ports below 1024 and tools that need root may stop working; test the service before deploying");
    match &svc.user {
        Some(u) if !u.is_known() => Err(INTERPOLATED.into()),
        Some(u) => {
            let at = real(&u.loc).ok_or_else(no_service)?;
            let doc = cx.doc(at.file).ok_or_else(no_service)?;
            if interpolated(doc, at.start, at.end) {
                return Err(INTERPOLATED.into());
            }
            let text = scalar_like(&doc.text[at.start..at.end], user);
            let text = if text == *user {
                double_quoted(user)
            } else {
                text
            };
            let mut b = Builder::new(
                cx,
                Applicability::Unsafe,
                format!("set `user: \"{user}\"` so the service no longer runs as root"),
            )
            .risk(risk);
            b.replace(doc, &at, text);
            Ok(b.done())
        }
        None => {
            let (doc, k, v) = service_in(cx, f, svc).ok_or_else(no_service)?;
            let (op, site, via) = insert_under(
                doc,
                Some(k),
                v,
                &[],
                vec![("user".into(), Y::s(double_quoted(user)))],
            )
            .ok_or(UNSUPPORTED)?;
            let mut b = Builder::new(
                cx,
                Applicability::Unsafe,
                format!("add `user: \"{user}\"` so the service no longer runs as the image's default user, root"),
            )
            .risk(risk);
            b.op(op, site, via);
            Ok(b.done())
        }
    }
}

fn encrypted_opts() -> Vec<(String, Y)> {
    vec![("encrypted".into(), Y::s("\"true\""))]
}

fn encrypt_network(f: &Finding, cx: &Ctx) -> R {
    let net =
        cx.d.network(&f.object.name)
            .ok_or("the network is not declared in the file")?;
    let at = real(&f.loc).ok_or_else(no_service)?;
    let doc = cx.doc(at.file).ok_or_else(no_service)?;
    let note = format!(
        "stack deploy never changes an existing network: remove and recreate `<stack>_{}` (for example `docker stack rm`, then deploy again) for the option to take effect",
        net.name
    );
    let (op, site, via, title) = if net.implicit {
        let entry = vec![(
            "default".to_string(),
            Y::map([
                ("driver", Y::s("overlay")),
                ("driver_opts", Y::Map(encrypted_opts())),
            ]),
        )];
        let title = "declare the implicit default network as an encrypted overlay (`networks: {default: {driver: overlay, driver_opts: {encrypted: \"true\"}}}`) so traffic between nodes is IPsec-encrypted".to_string();
        let (op, site, via) = match doc.root.entry("networks") {
            Some((k, v)) => insert_under(doc, Some(k), v, &[], entry),
            None => insert_under(doc, None, doc.root, &[], Y::nest(&["networks"], entry)),
        }
        .ok_or(UNSUPPORTED)?;
        (op, site, via, title)
    } else {
        let (_, k, v) = find_entry(doc.root, at.start).ok_or(UNSUPPORTED)?;
        let (op, site, via) =
            insert_under(doc, Some(k), v, &["driver_opts"], encrypted_opts()).ok_or(UNSUPPORTED)?;
        let title = format!(
            "add `driver_opts: {{encrypted: \"true\"}}` to network `{}` so traffic between nodes is IPsec-encrypted",
            net.name
        );
        (op, site, via, title)
    };
    let mut b = Builder::new(cx, Applicability::Safe, title);
    b.notes.push(note);
    b.op(op, site, via || at.via_alias);
    Ok(b.done())
}

/// `127.0.0.1:8080:80` → `8080:80`; `[::1]:53:53/udp` → `53:53/udp`; `127.0.0.1::80` → `80`.
pub fn without_host_ip(spec: &str) -> Option<String> {
    let rest = if let Some(r) = spec.strip_prefix('[') {
        r.split_once("]:")?.1
    } else {
        let (ip, rest) = spec.split_once(':')?;
        if ip.contains(['/', '-']) || !ip.contains('.') {
            return None;
        }
        rest
    };
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    (!rest.is_empty()).then(|| rest.to_string())
}

fn drop_host_ip(f: &Finding, cx: &Ctx) -> R {
    let svc = service(cx.d, f).ok_or_else(no_service)?;
    let at = real(&f.loc).ok_or_else(no_service)?;
    let doc = cx.doc(at.file).ok_or_else(no_service)?;
    if interpolated(doc, at.start, at.end) {
        return Err(INTERPOLATED.into());
    }
    let port = svc
        .ports
        .iter()
        .find(|p| p.loc == f.loc)
        .ok_or(UNSUPPORTED)?;
    let ip = port.host_ip.clone().unwrap_or_default();
    let raw = &doc.text[at.start..at.end];
    let inner = raw.trim_matches(|c| c == '"' || c == '\'');
    let new = without_host_ip(inner).ok_or(UNSUPPORTED)?;
    let text = match raw.as_bytes().first() {
        Some(b'"' | b'\'') => scalar_like(raw, &new),
        _ if new.contains(':') => double_quoted(&new),
        _ => new.clone(),
    };
    let mut b = Builder::new(
        cx,
        Applicability::Unsafe,
        format!("publish `{new}` instead of `{inner}`: the swarm drops the host IP {ip} anyway, and the file should say what is deployed"),
    )
    .risk(format!("nothing changes in the swarm, where the port is already public on every interface of every node; under `docker compose` the port would no longer be bound to {ip} only. If it must stay private, publish it in host mode on chosen nodes or put a proxy in front"));
    b.notes.push(format!(
        "the port is public on every node: firewall it or stop publishing it if only {ip} should reach it"
    ));
    b.replace(doc, &at, text);
    Ok(b.done())
}

fn set_limit(f: &Finding, cx: &Ctx) -> R {
    let svc = service(cx.d, f).ok_or_else(no_service)?;
    let s = cx.settings;
    let (key, current, value, plain, title, risk) = match f.rule {
        "SA301" => (
            "memory",
            svc.deploy.limits.memory.as_ref(),
            s.fix_memory.clone(),
            true,
            "so a runaway or compromised task cannot exhaust the node's memory",
            format!("{} is a chosen default, not a measurement: below the service's real peak usage its tasks are OOM-killed and restarted; check `docker stats` first", s.fix_memory),
        ),
        "SA302" => (
            "cpus",
            svc.deploy.limits.cpus.as_ref(),
            s.fix_cpus.clone(),
            false,
            "so one task cannot starve the other tasks on its node of CPU",
            format!("{} CPUs is a chosen default: a busier service is throttled and slows down; check its load first", s.fix_cpus),
        ),
        _ => {
            version_at_least(cx.d, 9, "`deploy.resources.limits.pids`")?;
            (
                "pids",
                svc.deploy.limits.pids.as_ref(),
                s.fix_pids.to_string(),
                true,
                "so a fork bomb in one task cannot exhaust the node's process table",
                format!("{} processes is a chosen default: a service with many workers or threads may fail to fork; check `docker top` first", s.fix_pids),
            )
        }
    };
    let rendered = if plain && !needs_quotes(&value) || key == "pids" {
        value.clone()
    } else {
        double_quoted(&value)
    };
    let title = format!("set `deploy.resources.limits.{key}: {rendered}` {title}");
    let mut b = Builder::new(cx, Applicability::Unsafe, title).risk(risk);
    match current {
        Some(v) => {
            // present but 0, which swarm reads as unlimited
            let at = real(&v.loc).ok_or_else(no_service)?;
            let doc = cx.doc(at.file).ok_or_else(no_service)?;
            if interpolated(doc, at.start, at.end) {
                return Err(INTERPOLATED.into());
            }
            let raw = &doc.text[at.start..at.end];
            let text = match raw.as_bytes().first() {
                Some(b'"' | b'\'') => scalar_like(raw, &value),
                _ => rendered.clone(),
            };
            b.replace(doc, &at, text);
        }
        None => {
            let (doc, k, v) = service_in(cx, f, svc).ok_or_else(no_service)?;
            let (op, site, via) = insert_under(
                doc,
                Some(k),
                v,
                &["deploy", "resources", "limits"],
                vec![(key.to_string(), Y::s(rendered))],
            )
            .ok_or(UNSUPPORTED)?;
            b.op(op, site, via);
        }
    }
    Ok(b.done())
}

/// The secret name for `var` of `service` by the convention `%SERVICE%_%SECRETNAME%`.
pub fn secret_name(service: &str, var: &str) -> String {
    defaults::SECRET_NAME
        .replace("%SERVICE%", service)
        .replace("%SECRETNAME%", var)
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn move_to_secret(f: &Finding, cx: &Ctx) -> R {
    let svc = service(cx.d, f).ok_or_else(no_service)?;
    version_at_least(cx.d, 1, "a service secret")?;
    let kv = svc
        .environment
        .iter()
        .find(|kv| kv.key == f.key && kv.value.is_some())
        .ok_or(UNSUPPORTED)?;
    let value = kv.value.as_ref().ok_or(UNSUPPORTED)?;
    if !kv
        .key
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(format!(
            "`{}` is not an UPPER_CASE variable, so the image is unlikely to read a `{}_FILE` variant; deliver the value as a Docker secret the way the application reads files",
            kv.key, kv.key
        ));
    }
    let file_var = format!("{}_FILE", kv.key);
    if svc.environment.iter().any(|e| e.key == file_var) {
        return Err(format!(
            "`{file_var}` is already set; remove `{}` by hand",
            kv.key
        ));
    }
    let (key_at, val_at) = (
        real(&kv.key_loc).ok_or_else(no_service)?,
        real(&value.loc).ok_or_else(no_service)?,
    );
    if key_at.via_alias || val_at.via_alias {
        return Err("the variable comes from an anchor or merge key that other services may share; move it to a secret by hand".into());
    }
    let doc = cx.doc(val_at.file).ok_or_else(no_service)?;
    if interpolated(doc, val_at.start, val_at.end) {
        return Err(INTERPOLATED.into());
    }
    let name = secret_name(&svc.name, &kv.key);
    let path = format!("/run/secrets/{name}");
    let list_form = kv.key_loc == value.loc;
    let replace = if list_form {
        let raw = &doc.text[val_at.start..val_at.end];
        let new = format!("{file_var}={path}");
        Op::Replace {
            file: doc.file,
            start: val_at.start,
            end: val_at.end,
            text: match raw.as_bytes().first() {
                Some(b'"' | b'\'') => scalar_like(raw, &new),
                _ => new,
            },
        }
    } else {
        if doc.text[key_at.start..val_at.start].contains('\n') {
            return Err(UNSUPPORTED.into());
        }
        Op::Replace {
            file: doc.file,
            start: key_at.start,
            end: val_at.end,
            text: format!("{file_var}: {path}"),
        }
    };
    let (sk, sv) = service_entry(doc, &svc.name).ok_or_else(no_service)?;
    let mut b = Builder::new(
        cx,
        Applicability::Unsafe,
        format!(
            "replace `{}` with `{file_var}: {path}` and deliver the value as the external Docker secret `{name}`, so it is no longer stored in the service spec",
            kv.key
        ),
    )
    .risk(format!(
        "the image must read `{file_var}` (the official postgres, mysql, mariadb and many other images do); the secret `{name}` must exist before the next deploy, which fails otherwise; the old value stays in the file's history and in the running service's spec: rotate it"
    ));
    b.op(replace, val_at.start, false);
    let item = Y::map([
        ("source", Y::s(name.clone())),
        ("target", Y::s(name.clone())),
    ]);
    let refs = svc.secrets.iter().any(|r| r.source.text == name);
    if !refs {
        match sv.entry("secrets") {
            Some((_, list)) => {
                let target = seq_target(doc.text, list).ok_or(UNSUPPORTED)?;
                b.op(
                    Op::Append {
                        file: doc.file,
                        target,
                        items: vec![item],
                    },
                    def_start(list),
                    list.def.is_some(),
                );
            }
            None => {
                let (op, site, via) = insert_under(
                    doc,
                    Some(sk),
                    sv,
                    &[],
                    vec![("secrets".into(), Y::Seq(vec![item]))],
                )
                .ok_or(UNSUPPORTED)?;
                b.op(op, site, via);
            }
        }
    }
    if cx.d.secrets.iter().all(|s| s.name != name) {
        let entry = vec![(name.clone(), Y::map([("external", Y::s("true"))]))];
        let (op, site, via) = match doc.root.entry("secrets") {
            Some((k, v)) => insert_under(doc, Some(k), v, &[], entry),
            None => insert_under(doc, None, doc.root, &[], Y::nest(&["secrets"], entry)),
        }
        .ok_or(UNSUPPORTED)?;
        b.op(op, site, via);
    }
    b.notes.push(format!(
        "create the secret before deploying (the value is read from stdin and never echoed): printf '%s' '<value of {}>' | docker secret create {name} -",
        kv.key
    ));
    Ok(b.done())
}

fn deploy_insert(
    f: &Finding,
    cx: &Ctx,
    svc: &Service,
    path: &[&str],
    entries: Vec<(String, Y)>,
) -> Result<(Op, usize, bool), String> {
    let (doc, k, v) = service_in(cx, f, svc).ok_or_else(no_service)?;
    insert_under(doc, Some(k), v, path, entries).ok_or_else(|| UNSUPPORTED.into())
}

/// Replace a scalar; `new` is written as is unless the original was quoted (then it keeps its
/// quotes).
fn replace_val(cx: &Ctx, v: &Val, new: &str) -> Result<(Op, usize, bool), String> {
    let at = real(&v.loc).ok_or_else(no_service)?;
    let doc = cx.doc(at.file).ok_or_else(no_service)?;
    if interpolated(doc, at.start, at.end) {
        return Err(INTERPOLATED.into());
    }
    let raw = &doc.text[at.start..at.end];
    Ok((
        Op::Replace {
            file: doc.file,
            start: at.start,
            end: at.end,
            text: match raw.as_bytes().first() {
                Some(b'"' | b'\'') => scalar_like(raw, new),
                _ => new.to_string(),
            },
        },
        at.start,
        at.via_alias,
    ))
}

fn update_rollback(f: &Finding, cx: &Ctx) -> R {
    let svc = service(cx.d, f).ok_or_else(no_service)?;
    let why =
        "so a failed update rolls back to the previous version instead of pausing half-updated";
    let (op, title) = match &svc.deploy.update_config {
        None => (
            deploy_insert(
                f,
                cx,
                svc,
                &["deploy", "update_config"],
                vec![
                    ("parallelism".into(), Y::s(defaults::UPDATE_PARALLELISM)),
                    ("delay".into(), Y::s(defaults::UPDATE_DELAY)),
                    ("failure_action".into(), Y::s("rollback")),
                    ("monitor".into(), Y::s(defaults::UPDATE_MONITOR)),
                ],
            )?,
            format!("add `deploy.update_config` (parallelism {}, delay {}, failure_action rollback, monitor {}) {why}", defaults::UPDATE_PARALLELISM, defaults::UPDATE_DELAY, defaults::UPDATE_MONITOR),
        ),
        Some(u) => match &u.failure_action {
            None => (
                deploy_insert(
                    f,
                    cx,
                    svc,
                    &["deploy", "update_config"],
                    vec![("failure_action".into(), Y::s("rollback"))],
                )?,
                format!("add `failure_action: rollback` to `update_config` {why}"),
            ),
            Some(a) => (
                replace_val(cx, a, "rollback")?,
                format!("set `failure_action: rollback` (was `{}`) {why}", a.text),
            ),
        },
    };
    let mut b = Builder::new(cx, Applicability::Safe, title);
    b.op(op.0, op.1, op.2);
    Ok(b.done())
}

fn rollback_config(f: &Finding, cx: &Ctx) -> R {
    let svc = service(cx.d, f).ok_or_else(no_service)?;
    version_at_least(cx.d, 7, "`deploy.rollback_config`")?;
    let op = deploy_insert(
        f,
        cx,
        svc,
        &["deploy", "rollback_config"],
        vec![
            ("parallelism".into(), Y::s(defaults::ROLLBACK_PARALLELISM)),
            (
                "failure_action".into(),
                Y::s(defaults::ROLLBACK_FAILURE_ACTION),
            ),
            ("monitor".into(), Y::s(defaults::ROLLBACK_MONITOR)),
        ],
    )?;
    let mut b = Builder::new(
        cx,
        Applicability::Safe,
        format!("add `deploy.rollback_config` (parallelism {}, failure_action {}, monitor {}) so a rollback watches each task for {} instead of swarm's 5s default before going on", defaults::ROLLBACK_PARALLELISM, defaults::ROLLBACK_FAILURE_ACTION, defaults::ROLLBACK_MONITOR, defaults::ROLLBACK_MONITOR),
    );
    b.op(op.0, op.1, op.2);
    Ok(b.done())
}

fn restart_policy(f: &Finding, cx: &Ctx) -> R {
    let svc = service(cx.d, f).ok_or_else(no_service)?;
    let (op, title) = match &svc.deploy.restart_policy {
        Some(rp) => match &rp.max_attempts {
            Some(m) => (
                replace_val(cx, m, defaults::RESTART_MAX_ATTEMPTS)?,
                format!("set `max_attempts: {}` (was 0, unlimited) so a crashing task stops restarting after {} attempts; the condition stays as it is", defaults::RESTART_MAX_ATTEMPTS, defaults::RESTART_MAX_ATTEMPTS),
            ),
            None => (
                deploy_insert(
                    f,
                    cx,
                    svc,
                    &["deploy", "restart_policy"],
                    vec![("max_attempts".into(), Y::s(defaults::RESTART_MAX_ATTEMPTS))],
                )?,
                format!("add `max_attempts: {}` to `restart_policy` so a crashing task stops restarting; the condition stays as it is", defaults::RESTART_MAX_ATTEMPTS),
            ),
        },
        None => (
            deploy_insert(
                f,
                cx,
                svc,
                &["deploy", "restart_policy"],
                vec![
                    ("condition".into(), Y::s(defaults::RESTART_CONDITION)),
                    ("delay".into(), Y::s(defaults::RESTART_DELAY)),
                    ("max_attempts".into(), Y::s(defaults::RESTART_MAX_ATTEMPTS)),
                    ("window".into(), Y::s(defaults::RESTART_WINDOW)),
                ],
            )?,
            format!(
                "add `deploy.restart_policy` (condition {}, delay {}, max_attempts {}, window {}) so a crashing task is not restarted forever{}",
                defaults::RESTART_CONDITION,
                defaults::RESTART_DELAY,
                defaults::RESTART_MAX_ATTEMPTS,
                defaults::RESTART_WINDOW,
                if svc.restart.is_some() {
                    "; it takes precedence over the legacy `restart:` key, which stays"
                } else {
                    ""
                }
            ),
        ),
    };
    let mut b = Builder::new(cx, Applicability::Safe, title);
    b.op(op.0, op.1, op.2);
    Ok(b.done())
}

fn healthcheck_skeleton(f: &Finding, cx: &Ctx) -> R {
    let svc = service(cx.d, f).ok_or_else(no_service)?;
    if svc.healthcheck.is_some() {
        return Err(
            "add a `test:` to the existing `healthcheck:` (a probe the application answers)".into(),
        );
    }
    let entries = vec![(
        "healthcheck".to_string(),
        Y::map([
            (
                "test",
                Y::s("[\"CMD-SHELL\", \"wget -qO- http://localhost:8080/health || exit 1\"]"),
            ),
            ("interval", Y::s("30s")),
            ("timeout", Y::s("5s")),
            ("retries", Y::s("3")),
            ("start_period", Y::s("30s")),
        ]),
    )];
    let mut b = Builder::new(
        cx,
        Applicability::Display,
        "add a `healthcheck` whose `test` probes the application; the command, port and path below are placeholders: they depend on the application and on the tools in its image".into(),
    );
    if let Some((doc, k, v)) = service_in(cx, f, svc) {
        if let Some((op, site, via)) = insert_under(doc, Some(k), v, &[], entries) {
            b.op(op, site, via);
        }
    }
    Ok(b.done())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    #[test]
    fn the_users_index_agrees_with_walking_every_service() {
        let text = "x-d: &d\n  user: \"0\"\n  deploy: &dep\n    replicas: 2\nservices:\n  a:\n    <<: *d\n    image: a\n  b:\n    deploy: *dep\n    image: b\n  c:\n    image: c\n";
        let src = SourceFile::new("t.yml".into(), text.to_string());
        let root = crate::yaml::load(FileId(0), &src).expect("parses");
        let doc = Doc::new(FileId(0), text, &root);
        let index = users_index(&doc);
        let mut shared = 0;
        for offset in 0..text.len() {
            let want = services_using(&doc, offset);
            let got = index.get(offset);
            assert_eq!(got, want, "offset {offset}");
            shared += usize::from(want.len() > 1);
        }
        // `replicas` is used by `a` (through the merge of *d) and `b` (through *dep)
        assert!(shared > 0);
        let at = text.find("replicas").expect("in the text");
        assert_eq!(index.get(at), ["a", "b"]);
    }
}
