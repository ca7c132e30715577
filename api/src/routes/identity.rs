//! Identifying the citizen in the call: a document shown on camera, or an ID token from the
//! council's identity provider (Cl@ve, BakQ, a certificate).

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use domain::citizen_request::{IdentityDocumentKind, IdentityEvidence};
use domain::values::{CitizenName, NationalId};
use infrastructure::signing::IdentityInput;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::caller::{CaseCaller, NoLinks, Staff};
use crate::extract::{ApiJson, IfMatch};
use crate::messages::{FieldIssue, InvalidField};
use crate::problem::{ApiError, ProblemBody};
use crate::routes::requests::{Fields, respond};
use crate::routes::responses::CaseCommandProblems;
use crate::routes::views::CaseView;
use crate::state::AppState;

const METHODS: &[&str] = &["document_on_camera", "identity_provider"];
const DOCUMENTS: &[&str] = &["dni", "nie", "passport"];

/// What the clerk read off the identity document shown on camera.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShownDocumentBody {
    /// `dni`, `nie` or `passport`.
    #[schema(example = "dni")]
    pub kind: String,
    #[schema(example = "12345678Z")]
    pub national_id: String,
    #[schema(example = "Miren Etxeberria")]
    pub name: String,
    /// The document's expiry date; an expired document is refused.
    pub expires_on: NaiveDate,
}

/// How the citizen was identified: `document_on_camera` with `document`, or
/// `identity_provider` with `id_token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityBody {
    #[schema(example = "document_on_camera")]
    pub method: String,
    pub document: Option<ShownDocumentBody>,
    /// The OpenID Connect ID token the identity provider gave after the citizen authenticated.
    pub id_token: Option<String>,
}

impl IdentityBody {
    fn parse(self) -> Result<IdentityInput, ApiError> {
        let mut f = Fields::default();
        match (self.method.as_str(), self.document, self.id_token) {
            ("document_on_camera", Some(document), None) => {
                let kind = f.take(
                    "document.kind",
                    match document.kind.as_str() {
                        "dni" => Ok(IdentityDocumentKind::Dni),
                        "nie" => Ok(IdentityDocumentKind::Nie),
                        "passport" => Ok(IdentityDocumentKind::Passport),
                        _ => Err(()),
                    },
                    |_| FieldIssue::OneOf(DOCUMENTS),
                );
                let national_id = f.take(
                    "document.national_id",
                    NationalId::parse(&document.national_id),
                    FieldIssue::Value,
                );
                let name = f.take(
                    "document.name",
                    CitizenName::parse(&document.name),
                    FieldIssue::Value,
                );
                f.finish()?;
                match (kind, national_id, name) {
                    (Some(kind), Some(national_id), Some(name)) => Ok(
                        IdentityInput::DocumentShown(IdentityEvidence::DocumentShown {
                            document: kind,
                            national_id,
                            name,
                            expires_on: document.expires_on,
                        }),
                    ),
                    _ => Err(ApiError::Internal(
                        "fields parsed without errors are missing".into(),
                    )),
                }
            }
            ("identity_provider", None, Some(token)) if !token.trim().is_empty() => {
                Ok(IdentityInput::IdToken(token))
            }
            ("document_on_camera", _, _) => Err(ApiError::Invalid(vec![InvalidField::new(
                "document",
                FieldIssue::Missing,
            )])),
            ("identity_provider", _, _) => Err(ApiError::Invalid(vec![InvalidField::new(
                "id_token",
                FieldIssue::Missing,
            )])),
            _ => Err(ApiError::Invalid(vec![InvalidField::new(
                "method",
                FieldIssue::OneOf(METHODS),
            )])),
        }
    }
}

/// Record the citizen's identification. It must match the booked DNI/NIE and name (accents,
/// case and spacing aside); a mismatch, an expired document or a token that does not verify is
/// refused with its reason and writes nothing.
#[utoipa::path(post, path = "/v1/requests/{id}/identity", tag = "signing", request_body = IdentityBody,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "The case's ETag")),
    responses(
        (status = 200, description = "Identified", body = CaseView, headers(("ETag" = String))),
        (status = 409, description = "The case does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body, a mismatch with the booking, an expired document or an ID token that does not verify", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "No identity provider configured, or storage unavailable", body = ProblemBody, content_type = "application/problem+json"),
        CaseCommandProblems,
    ))]
pub async fn verify(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, NoLinks>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<IdentityBody>,
) -> Result<Response, ApiError> {
    let input = body.parse()?;
    let metadata = caller.metadata(state.booking.now());
    let done = state
        .signing
        .verify_identity(id, input, &metadata, expected)
        .await?;
    respond(&state, done).await
}
