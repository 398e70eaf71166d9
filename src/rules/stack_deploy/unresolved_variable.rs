//! SA004: `${VAR}` without value or default (stack deploy substitutes "" silently), and a `.env`
//! beside the stack file (stack deploy does not read it).

use crate::finding::{ObjectKind, ObjectRef};
use crate::model::{Deployment, Loc};
use crate::rules::Sink;
use crate::yaml::Span;

pub fn check(d: &Deployment, sink: &mut Sink) {
    let stack = ObjectRef::new(ObjectKind::Stack, &d.stack);
    for u in d.unresolved.iter().filter(|u| u.silently_empty) {
        // Environment variables are upper-case by convention; a lower-case "name" is more likely
        // the tail of a literal (a password with a `$` in it): don't echo it.
        let conventional = !u.name.chars().any(|c| c.is_ascii_lowercase());
        let msg = if conventional {
            format!(
                "`${{{}}}` has no value and no default: docker stack deploy substitutes an empty string without a warning; export it in the deploy shell, pass --env-file, or write `${{{}:?message}}` to make it required",
                u.name, u.name
            )
        } else {
            "a `$` in this value starts a variable that has no value: docker stack deploy substitutes an empty string (and cuts the text after `$`); write `$$` for a literal `$`".to_string()
        };
        sink.report(stack.clone(), &u.loc, &u.name, msg);
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
