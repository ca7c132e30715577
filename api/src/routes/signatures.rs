//! Signing a request or complaint: the clerk prepares it, the citizen signs it through the sign
//! link with the mailed code (or the clerk signs for the citizen, with their express consent),
//! and the council's seal over the signature can be verified against the document.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use domain::citizen_request::{
    CitizenRequest, MAX_CODE_ATTEMPTS, OnBehalfConsent, RequestForm, SignableKind, SignatureRecord,
    SigningMethod,
};
use domain::metadata::Role;
use domain::values::Language;
use infrastructure::signing::{NewSignature, SignableSource, SignatureClaims};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::caller::{CaseCaller, CaseReaders, NoLinks, SignLink, Staff};
use crate::extract::{ApiJson, IfMatch};
use crate::messages::{FieldIssue, InvalidField};
use crate::problem::{ApiError, ProblemBody};
use crate::routes::requests::{Fields, with_version};
use crate::routes::responses::{CaseAccessProblems, CaseCommandProblems};
use crate::state::AppState;

const KINDS: &[&str] = &["request", "complaint"];
const METHODS: &[&str] = &["one_time_code", "clerk_on_behalf"];

/// The art. 66 fields the clerk fills in; the interested party is the booked citizen and the
/// date is now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormBody {
    /// Facts and reasons (1 to 4000 characters).
    pub facts: String,
    /// What is asked for (1 to 4000 characters).
    pub petition: String,
    /// Where it is made (1 to 100 characters).
    #[schema(example = "Vitoria-Gasteiz")]
    pub place: String,
}

/// A request or complaint to sign: a document already in the case (`document_id`) or one
/// rendered from the form (`form`), never both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureBody {
    /// `request` or `complaint`.
    #[schema(example = "request")]
    pub kind: String,
    pub document_id: Option<Uuid>,
    pub form: Option<FormBody>,
    /// The body it is addressed to (1 to 200 characters).
    #[schema(example = "Erregistro Orokorra / Registro General")]
    pub addressee: String,
    /// `one_time_code` (the citizen signs through the sign link) or `clerk_on_behalf`.
    #[schema(example = "one_time_code")]
    pub method: String,
}

impl SignatureBody {
    fn parse(self) -> Result<NewSignature, ApiError> {
        let mut f = Fields::default();
        let kind = f.take(
            "kind",
            match self.kind.as_str() {
                "request" => Ok(SignableKind::Request),
                "complaint" => Ok(SignableKind::Complaint),
                _ => Err(()),
            },
            |_| FieldIssue::OneOf(KINDS),
        );
        let method = f.take(
            "method",
            match self.method.as_str() {
                "one_time_code" => Ok(SigningMethod::OneTimeCode),
                "clerk_on_behalf" => Ok(SigningMethod::ClerkOnBehalf),
                _ => Err(()),
            },
            |_| FieldIssue::OneOf(METHODS),
        );
        let source = f.take(
            "document_id",
            match (self.document_id, self.form) {
                (Some(id), None) => Ok(SignableSource::Existing(id)),
                (None, Some(form)) => Ok(SignableSource::Form(RequestForm {
                    facts: form.facts,
                    petition: form.petition,
                    place: form.place,
                })),
                _ => Err(()),
            },
            |_| FieldIssue::Missing,
        );
        f.finish()?;
        match (kind, method, source) {
            (Some(kind), Some(method), Some(source)) => Ok(NewSignature {
                signature_id: Uuid::now_v7(),
                kind,
                source,
                addressee: self.addressee,
                method,
            }),
            _ => Err(ApiError::Internal(
                "fields parsed without errors are missing".into(),
            )),
        }
    }
}

/// A signature and, once signed, its sealed evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureView {
    pub id: Uuid,
    pub request_id: Uuid,
    /// `request` or `complaint`.
    pub kind: String,
    pub document_id: Uuid,
    /// SHA-256 of the document's bytes, lowercase hex: what the signature binds.
    pub sha256: String,
    pub addressee: String,
    pub signer_name: String,
    pub signer_national_id: String,
    /// `one_time_code` or `clerk_on_behalf`.
    pub method: String,
    /// `pending`, `signed` or `locked` (too many wrong codes).
    pub status: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// Until when the mailed code works.
    pub code_expires_at: Option<DateTime<Utc>>,
    pub failed_attempts: u8,
    /// Wrong codes the citizen may still enter before the signature locks.
    pub attempts_left: u8,
    pub signed_at: Option<DateTime<Utc>>,
    /// The council's seal: a detached JWS (`header..signature`, EdDSA) over `claims`.
    pub seal: Option<String>,
    /// The exact bytes sealed (JSON text): case, signature, kind, document, digest, signer,
    /// method and time. Verify with `POST /v1/seals/verify`.
    pub claims: Option<String>,
    pub registry_number: Option<u64>,
    pub registered_at: Option<DateTime<Utc>>,
}

impl SignatureView {
    pub(crate) fn new(request_id: Uuid, s: &SignatureRecord) -> Self {
        let claims = SignatureClaims::of_signed(request_id, s)
            .map(|c| String::from_utf8_lossy(&c.payload()).into_owned());
        Self {
            id: s.signature_id,
            request_id,
            kind: s.kind.as_str().into(),
            document_id: s.document_id,
            sha256: s.sha256.clone(),
            addressee: s.addressee.clone(),
            signer_name: s.signer.name.as_str().into(),
            signer_national_id: s.signer.national_id.as_str().into(),
            method: s.method.as_str().into(),
            status: s.status.as_str().into(),
            requested_by: s.requested_by.clone(),
            requested_at: s.requested_at,
            code_expires_at: s.code_expires_at,
            failed_attempts: s.failed_attempts,
            attempts_left: MAX_CODE_ATTEMPTS.saturating_sub(s.failed_attempts),
            signed_at: s.signed_at,
            seal: s.seal.clone(),
            claims,
            registry_number: s.registry_number,
            registered_at: s.registered_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureListView {
    pub request_id: Uuid,
    pub version: usize,
    pub signatures: Vec<SignatureView>,
}

/// The `{sig}` of a signature route.
pub struct SignatureId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for SignatureId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        crate::extract::path_uuid(parts, state, "sig")
            .await
            .map(Self)
    }
}

fn view_of(
    request_id: Uuid,
    case: &CitizenRequest,
    signature_id: Uuid,
) -> Result<SignatureView, ApiError> {
    case.signature(signature_id)
        .map(|s| SignatureView::new(request_id, s))
        .ok_or(ApiError::NotFound)
}

/// Prepare a request or complaint for signature. The citizen must have been identified in this
/// case. With `one_time_code` the citizen is mailed the sign link and a code; a form is rendered
/// in the case's language and kept in the case's document space.
#[utoipa::path(post, path = "/v1/requests/{id}/signatures", tag = "signing", request_body = SignatureBody,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The case's ETag"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Prepared", body = SignatureView, headers(("Location" = String), ("ETag" = String))),
        (status = 404, description = "No such document in this case", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Not identified yet, a rejected document, or the case does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; nothing written", body = ProblemBody, content_type = "application/problem+json"),
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
    ApiJson(body): ApiJson<SignatureBody>,
) -> Result<Response, ApiError> {
    let new = body.parse()?;
    let signature_id = new.signature_id;
    let metadata = caller.metadata(state.booking.now());
    let done = state.signing.request(id, new, &metadata, expected).await?;
    let view = view_of(id, &done.case, signature_id)?;
    let mut response = with_version(StatusCode::CREATED, done.version, view);
    if let Ok(location) =
        HeaderValue::from_str(&format!("/v1/requests/{id}/signatures/{signature_id}"))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The case's signatures, with their seals.
#[utoipa::path(get, path = "/v1/requests/{id}/signatures", tag = "signing", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The signatures", body = SignatureListView, headers(("ETag" = String))),
        CaseAccessProblems,
    ))]
pub async fn list(
    State(state): State<AppState>,
    case: CaseCaller<CaseReaders, NoLinks>,
) -> Result<Response, ApiError> {
    let (current, version) = state.booking.load(case.request_id).await?;
    let view = SignatureListView {
        request_id: case.request_id,
        version,
        signatures: current
            .signatures()
            .iter()
            .map(|s| SignatureView::new(case.request_id, s))
            .collect(),
    };
    Ok(with_version(StatusCode::OK, version, view))
}

/// One signature: staff, or the citizen's sign link for its own case.
#[utoipa::path(get, path = "/v1/requests/{id}/signatures/{sig}", tag = "signing",
    params(("id" = Uuid, Path), ("sig" = Uuid, Path)),
    responses(
        (status = 200, description = "The signature", body = SignatureView, headers(("ETag" = String))),
        CaseAccessProblems,
    ))]
pub async fn get(
    State(state): State<AppState>,
    case: CaseCaller<CaseReaders, SignLink>,
    SignatureId(signature_id): SignatureId,
) -> Result<Response, ApiError> {
    let (current, version) = state.booking.load(case.request_id).await?;
    let view = view_of(case.request_id, &current, signature_id)?;
    Ok(with_version(StatusCode::OK, version, view))
}

/// The citizen's express consent to the clerk signing for them (art. 12.2).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// The version of the wording read or shown to the citizen.
    #[schema(example = "art12-2026-01")]
    pub wording_version: String,
    /// `eu` or `es`: the language it was given in.
    #[schema(example = "es")]
    pub language: String,
}

/// The citizen (sign link) sends `code`; the clerk signing on the citizen's behalf sends
/// `consent`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    #[schema(example = "042917")]
    pub code: Option<String>,
    pub consent: Option<ConsentBody>,
}

/// Sign. The document is read back from storage and must still be the one prepared; a wrong
/// code is recorded and answered 422 with the attempts left, and the fifth wrong code locks the
/// signature. Once signed, the registry enters it and mails the registry receipt.
#[utoipa::path(post, path = "/v1/requests/{id}/signatures/{sig}/confirm", tag = "signing", request_body = ConfirmBody,
    params(("id" = Uuid, Path), ("sig" = Uuid, Path)),
    responses(
        (status = 200, description = "Signed (or already signed with this code)", body = SignatureView, headers(("ETag" = String))),
        (status = 404, description = "No such signature in this case", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Locked, already signed, signed another way, the document changed, or the case does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Wrong or expired code, or invalid body", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; nothing written", body = ProblemBody, content_type = "application/problem+json"),
        CaseAccessProblems,
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, SignLink>,
    SignatureId(signature_id): SignatureId,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<Response, ApiError> {
    let metadata = caller.metadata(state.booking.now());
    let done = match (caller.role, body.code, body.consent) {
        (Role::Citizen, Some(code), None) => {
            state
                .signing
                .confirm_with_code(id, signature_id, &code, &metadata)
                .await?
        }
        (Role::Citizen, _, _) => {
            return Err(ApiError::Invalid(vec![InvalidField::new(
                "code",
                FieldIssue::Missing,
            )]));
        }
        (_, None, Some(consent)) => {
            let language = Language::parse(&consent.language).map_err(|e| {
                ApiError::Invalid(vec![InvalidField::new(
                    "consent.language",
                    FieldIssue::Value(e),
                )])
            })?;
            let consent = OnBehalfConsent {
                wording_version: consent.wording_version,
                language,
            };
            state
                .signing
                .sign_on_behalf(id, signature_id, consent, &metadata)
                .await?
        }
        (_, _, _) => {
            return Err(ApiError::Invalid(vec![InvalidField::new(
                "consent",
                FieldIssue::Missing,
            )]));
        }
    };
    let view = view_of(id, &done.case, signature_id)?;
    Ok(with_version(StatusCode::OK, done.version, view))
}

/// A seal to check: the detached JWS, the exact claims it was made over, and the document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The detached JWS (`header..signature`).
    pub seal: String,
    /// The claims exactly as sealed (the `claims` text of the signature).
    pub claims: String,
    /// The document's bytes, base64.
    pub document: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    pub valid: bool,
    /// When not valid: `seal_malformed`, `seal_other_key` (not an evidence seal, or made by a
    /// key that is not among the council's sealing keys), `claims_altered`, `claims_malformed`
    /// or `document_differs`.
    pub reason: Option<String>,
    /// The id (`kid`) of the key the seal names, as listed at
    /// `/.well-known/arreta-seal-keys.json`; the current key's when the seal names none.
    pub key_id: String,
    /// The sealed claims, when valid.
    #[schema(value_type = Option<Object>)]
    pub claims: Option<serde_json::Value>,
}

/// Check a signature's seal against a document: whether the council's sealing key made it over
/// exactly these claims, and whether the document is the one the claims name (one changed byte
/// of either fails).
#[utoipa::path(post, path = "/v1/seals/verify", tag = "signing", request_body = VerifyBody,
    responses(
        (status = 200, description = "The verdict", body = VerifyView),
        (status = 401, description = "No or invalid credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The document is not base64", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn verify_seal(
    State(state): State<AppState>,
    crate::caller::Authorized(_caller, _): crate::caller::Authorized<CaseReaders>,
    ApiJson(body): ApiJson<VerifyBody>,
) -> Result<Response, ApiError> {
    let document = base64::engine::general_purpose::STANDARD
        .decode(body.document.trim())
        .map_err(|_| {
            ApiError::Invalid(vec![InvalidField::new("document", FieldIssue::WrongType)])
        })?;
    let keys = &state.signing.sealing;
    let verdict =
        infrastructure::signing::verify(keys, &body.seal, body.claims.as_bytes(), &document);
    let view = VerifyView {
        valid: verdict.is_ok(),
        reason: verdict.as_ref().err().map(|e| e.code().to_string()),
        key_id: infrastructure::sealing::detached_key_id(&body.seal)
            .unwrap_or_else(|| keys.current().key_id().to_string()),
        claims: verdict.ok().and_then(|c| serde_json::to_value(c).ok()),
    };
    Ok((StatusCode::OK, axum::Json(view)).into_response())
}
