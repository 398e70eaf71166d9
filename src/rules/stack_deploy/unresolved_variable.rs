//! SA004: `${VAR}` without value or default (stack deploy substitutes "" silently), and a `.env`
//! beside the stack file (stack deploy does not read it).

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::{Deployment, Loc};
use crate::rules::Sink;
use crate::yaml::Span;

pub fn check(d: &Deployment, sink: &mut Sink) {
    let stack = ObjectRef::new(ObjectKind::Stack, &d.stack);
    for u in d.unresolved.iter().filter(|u| u.silently_empty) {
        sink.report(
            stack.clone(),
            &u.loc,
            &u.name,
            format!(
                "`${{{}}}` has no value and no default: docker stack deploy substitutes an empty string without a warning; export it in the deploy shell, pass --env-file, or write `${{{}:?message}}` to make it required",
                u.name, u.name
            ),
        );
    }
    if let (Some(dotenv), Some(first)) = (&d.dotenv, d.files.first()) {
        sink.report(
            stack,
            &Loc::file(Span::point(*first, 0)),
            ".env",
            format!(
                "{} lies beside this stack file, but docker stack deploy does not read .env files: variables defined only there are empty at deploy (use `set -a; . ./.env; set +a` before deploying, or `docker compose config | docker stack deploy -c - <stack>`)",
                dotenv.file_name().map(|f| f.to_string_lossy()).unwrap_or_default()
            ),
        );
    }
}
