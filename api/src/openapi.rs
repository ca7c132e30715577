//! The OpenAPI 3.1 document, generated from the handlers.

use utoipa::OpenApi;

use crate::problem::{FieldError, ProblemBody};
use crate::routes::{
    accesses, agenda, availability, booking_guard, call, case_file, documents, feeds, health,
    history, identity, links, municipal, procedures, recordings, reports, requests, seal_keys,
    search, signatures, views,
};

#[derive(OpenApi)]
#[openapi(
    modifiers(&BearerAuth),
    security(("bearer" = []), ()),
    info(
        title = "Arreta",
        description = "Citizen service by video call for a city council: booking, cases and their history. \
            Errors are RFC 9457 problem details (application/problem+json) in Basque or Spanish by Accept-Language.",
        license(name = "EUPL-1.2"),
    ),
    paths(
        procedures::list,
        availability::offered,
        booking_guard::challenge,
        links::resend_manage,
        requests::book,
        search::search,
        requests::get,
        accesses::list,
        case_file::get,
        requests::reschedule,
        requests::cancel,
        requests::no_show,
        requests::close,
        documents::request,
        documents::upload,
        documents::list,
        documents::review,
        documents::content,
        call::start,
        call::get,
        call::consent,
        call::presence,
        call::end,
        call::signal,
        recordings::list,
        recordings::access,
        identity::verify,
        signatures::request,
        signatures::list,
        signatures::get,
        signatures::confirm,
        signatures::verify_seal,
        seal_keys::key_set,
        requests::assign_clerk,
        requests::issue_link,
        history::history,
        history::verify,
        history::export,
        municipal::appointment,
        agenda::day,
        feeds::clerk,
        feeds::room,
        reports::daily,
        reports::occupancy,
        health::live,
        health::ready,
    ),
    components(schemas(ProblemBody, FieldError, views::CaseView)),
    tags(
        (name = "catalogue", description = "Procedures on offer"),
        (name = "booking", description = "Availability and booking"),
        (name = "cases", description = "A citizen request's lifecycle"),
        (name = "documents", description = "The case's private document space on WORM storage"),
        (name = "call", description = "The video call, its signalling and consent to recording"),
        (name = "signing", description = "Identification, signature of requests and complaints, the council's seal and registry"),
        (name = "agenda", description = "Rooms and clerks per day"),
        (name = "integrations", description = "The council's appointment system"),
        (name = "audit", description = "Case histories"),
        (name = "reports", description = "Figures for reporting tools"),
        (name = "operations", description = "Health"),
    )
)]
pub struct ApiDoc;

/// Staff send the identity provider's JWT, citizens their capability link's token, both as
/// `Authorization: Bearer`; public routes also work without.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Staff: the identity provider's JWT, with roles `clerk`, `supervisor`, `auditor`, \
                         `reporting`, `municipal-sync`, `recorder` or `operator` (010). Citizens: a \
                         capability link's token.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as committed in `openapi/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
