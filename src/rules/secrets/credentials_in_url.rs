//! SA405: `scheme://user:password@host` in a value that lands in the service spec or a volume's
//! driver options.

use crate::detect::find_url_credentials;
use crate::finding::{ObjectKind, ObjectRef};
use crate::model::Deployment;
use crate::rules::secrets::fields;
use crate::rules::Sink;

pub fn check(d: &Deployment, sink: &mut Sink) {
    for svc in &d.services {
        for field in fields(svc) {
            // unset variables are empty at deploy; a literal password around them still lands
            if !find_url_credentials(&field.val.text).is_empty() {
                sink.service(
                    svc,
                    &field.val.loc,
                    &field.place,
                    format!(
                        "{} embeds a password in a URL (scheme://user:…@host, value hidden): split the credential into a Docker secret",
                        field.place
                    ),
                );
            }
        }
    }
    for vol in &d.volumes {
        for opt in &vol.driver_opts {
            let Some(v) = opt.value.as_ref().filter(|v| v.is_known()) else {
                continue;
            };
            if !find_url_credentials(&v.text).is_empty() {
                sink.report(
                    ObjectRef::new(ObjectKind::Volume, &vol.name),
                    &v.loc,
                    &opt.key,
                    format!(
                        "volume driver option `{}` embeds a password in a URL (value hidden)",
                        opt.key
                    ),
                );
            }
        }
    }
}
