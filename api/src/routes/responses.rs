//! Problem responses that many routes share, described once for the OpenAPI document.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

fn problems(list: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ProblemBody")))
                .build();
            let response = ResponseBuilder::new()
                .description(*description)
                .content(crate::problem::PROBLEM_JSON, content)
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}

/// A route on one case: who may call it, and whether the case exists.
pub struct CaseAccessProblems;

impl utoipa::IntoResponses for CaseAccessProblems {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[
            (401, "No or invalid credentials, or a link no longer valid"),
            (403, "Not allowed"),
            (404, "No such request"),
        ])
    }
}

/// A conditional command on one case: access, and `If-Match`.
pub struct CaseCommandProblems;

impl utoipa::IntoResponses for CaseCommandProblems {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut all = CaseAccessProblems::responses();
        all.extend(problems(&[(
            412,
            "The case changed since the given ETag; nothing written",
        )]));
        all
    }
}
