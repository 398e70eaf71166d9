//! Where a finding about a missing setting points.

use crate::model::{Loc, Service};

/// A setting the service lacks: in a stack file, `file_loc` (the nearest parent key that
/// exists); for a live service, the API path where the field would be
/// (`Spec.TaskTemplate.ContainerSpec.ReadOnly`).
pub fn missing_at(svc: &Service, file_loc: &Loc, api_path: &str) -> Loc {
    match &svc.loc {
        Loc::Api { object, .. } => Loc::Api {
            object: object.clone(),
            path: api_path.to_string(),
        },
        Loc::File { .. } => file_loc.clone(),
    }
}

/// `ContainerSpec` of a live service.
pub const CS: &str = "Spec.TaskTemplate.ContainerSpec";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Service;

    #[test]
    fn live_services_point_at_the_api_path() {
        let api = Loc::Api {
            object: "service st_web".into(),
            path: "Spec".into(),
        };
        let svc = Service::new("web".into(), api);
        let other = Loc::Api {
            object: "x".into(),
            path: "y".into(),
        };
        assert_eq!(
            missing_at(&svc, &other, "Spec.Mode"),
            Loc::Api {
                object: "service st_web".into(),
                path: "Spec.Mode".into()
            }
        );
    }
}
