//! The OpenAPI 3.1 document, generated from the handlers.

use utoipa::OpenApi;

use crate::problem::{FieldError, ProblemBody};
use crate::routes::{agenda, availability, health, history, procedures, requests, views};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Arreta",
        description = "Citizen service by video call for a city council: booking, cases and their history. \
            Errors are RFC 9457 problem details (application/problem+json) in Basque or Spanish by Accept-Language.",
        license(name = "EUPL-1.2"),
    ),
    paths(
        procedures::list,
        availability::offered,
        requests::book,
        requests::get,
        requests::reschedule,
        requests::cancel,
        requests::no_show,
        requests::close,
        requests::assign_clerk,
        history::history,
        agenda::day,
        health::live,
        health::ready,
    ),
    components(schemas(ProblemBody, FieldError, views::CaseView)),
    tags(
        (name = "catalogue", description = "Procedures on offer"),
        (name = "booking", description = "Availability and booking"),
        (name = "cases", description = "A citizen request's lifecycle"),
        (name = "agenda", description = "Rooms and clerks per day"),
        (name = "audit", description = "Case histories"),
        (name = "operations", description = "Health"),
    )
)]
pub struct ApiDoc;

/// The document as committed in `openapi/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
