//! The case's private document space: what the clerk asks the citizen to upload.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::citizen_request::RequestedDocument;
use domain::procedure::Bilingual;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::caller::{CaseCaller, NoLinks, Staff};
use crate::extract::{ApiJson, IfMatch};
use crate::problem::{ApiError, ProblemBody};
use crate::routes::requests::respond;
use crate::routes::responses::CaseCommandProblems;
use crate::routes::views::CaseView;
use crate::state::AppState;

/// One document, named in both languages.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestedDocumentBody {
    #[schema(
        example = "Diru-sarreren egiaztagiria",
        min_length = 1,
        max_length = 120
    )]
    pub eu: String,
    #[schema(example = "Justificante de ingresos", min_length = 1, max_length = 120)]
    pub es: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequestBody {
    /// 1 to 10 documents.
    #[schema(min_items = 1, max_items = 10)]
    pub documents: Vec<RequestedDocumentBody>,
    /// Upload before this; after now and no later than the appointment's start.
    pub due_at: DateTime<Utc>,
}

/// Ask the citizen for documents. The citizen is mailed a link to the case's private upload
/// space, in the case's language.
#[utoipa::path(post, path = "/v1/requests/{id}/document-requests", tag = "cases", request_body = DocumentRequestBody,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "The case's ETag")),
    responses(
        (status = 200, description = "Asked; the upload link is on its way", body = CaseView),
        (status = 409, description = "The case does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid documents or due time", body = ProblemBody, content_type = "application/problem+json"),
        CaseCommandProblems,
    ))]
pub async fn request(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, NoLinks>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<DocumentRequestBody>,
) -> Result<Response, ApiError> {
    let documents = body
        .documents
        .into_iter()
        .map(|d| RequestedDocument {
            label: Bilingual::new(d.eu, d.es),
        })
        .collect();
    let metadata = caller.metadata(state.booking.now());
    let done = state
        .booking
        .request_documents(id, documents, body.due_at, &metadata, expected)
        .await?;
    respond(&state, done).await
}
