//! RFC 9457 problem details, in the caller's language.
//!
//! Errors are typed ([`ApiError`]) and mapped to HTTP once, here. `IntoResponse` cannot see the
//! request, so an error becomes a [`Problem`] holding both languages in the response's
//! extensions; the [`localize`] middleware then writes the body in the language of
//! `Accept-Language` (Spanish when absent). The same middleware turns any other error response
//! (axum's own 404 and 405, a body-limit 413, a timeout, a panic) into a problem, so no client
//! ever sees a bare error.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::values::Language;
use serde::Serialize;
use utoipa::ToSchema;

use crate::messages::describe;
use domain::procedure::Bilingual;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem in both languages, waiting for the request's language.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub slug: &'static str,
    pub title: Bilingual,
    pub detail: Bilingual,
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Clone)]
pub struct FieldProblem {
    pub field: String,
    pub message: Bilingual,
}

/// The body of every error response (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemBody {
    /// A stable URI naming the kind of problem.
    #[schema(example = "urn:arreta:problem:slot-full")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request path.
    pub instance: String,
    /// The request id, to quote to the council's support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// One entry per invalid field, when the input was invalid.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's path in the request, e.g. `citizen.email`.
    pub field: String,
    pub message: String,
}

/// Every error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid input")]
    Invalid(Vec<crate::messages::InvalidField>),
    #[error("malformed JSON body")]
    MalformedJson,
    #[error("the request body needs Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("invalid query")]
    InvalidQuery(Vec<crate::messages::InvalidField>),
    #[error("not found")]
    NotFound,
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid bearer token")]
    InvalidToken,
    #[error("the link no longer works: {0}")]
    LinkVoid(domain::capability::LinkError),
    #[error("too many requests; retry after {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("If-Match is not a version ETag")]
    InvalidIfMatch,
    #[error("Idempotency-Key must be 1 to 255 printable ASCII characters")]
    InvalidIdempotencyKey,
    #[error("the Idempotency-Key was used with another request")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still in progress")]
    IdempotencyInProgress,
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Booking(#[from] infrastructure::booking::BookingError),
    #[error("the appointment is for {current}, not {requested}")]
    ProcedureChanged { current: String, requested: String },
    #[error("the document is larger than {max} bytes")]
    DocumentTooLarge { max: u64 },
    #[error("only PDF, JPEG and PNG documents are accepted")]
    DocumentType,
    #[error("the upload was interrupted: {0}")]
    UploadInterrupted(String),
    #[error(transparent)]
    Storage(#[from] infrastructure::object_store::StorageError),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("wrong code; {remaining} attempts left")]
    WrongCode { remaining: u8 },
    #[error("wrong code; the signature is now locked")]
    SignatureLockedNow,
    #[error(transparent)]
    IdToken(infrastructure::signing::IdTokenError),
    #[error("this participant is already connected")]
    AlreadyConnected,
    #[error("an anonymous booking needs a solved challenge")]
    ChallengeRequired,
    #[error("the challenge does not hold: {0}")]
    ChallengeInvalid(infrastructure::booking_guard::ChallengeError),
    #[error(transparent)]
    BookingLimit(domain::booking_limits::LimitRefused),
}

impl From<infrastructure::booking_guard::GuardError> for ApiError {
    fn from(error: infrastructure::booking_guard::GuardError) -> Self {
        use infrastructure::booking_guard::{ChallengeError, GuardError};
        match error {
            GuardError::Refused(refused) => Self::BookingLimit(refused),
            GuardError::Spent => Self::ChallengeInvalid(ChallengeError::Spent),
            GuardError::Database(e) => e.into(),
        }
    }
}

impl From<infrastructure::signing::SigningError> for ApiError {
    fn from(error: infrastructure::signing::SigningError) -> Self {
        use infrastructure::signing::SigningError;
        match error {
            SigningError::Case(e) => Self::Booking(e),
            SigningError::IdToken(e) => Self::IdToken(e),
            SigningError::WrongCode { remaining } => Self::WrongCode { remaining },
            SigningError::LockedNow => Self::SignatureLockedNow,
            SigningError::Storage(e) => Self::Storage(e),
            SigningError::Seal(e) => Self::Internal(e.to_string()),
        }
    }
}

impl From<infrastructure::municipal::SyncError> for ApiError {
    fn from(error: infrastructure::municipal::SyncError) -> Self {
        match error {
            infrastructure::municipal::SyncError::Booking(e) => Self::Booking(e),
            infrastructure::municipal::SyncError::ProcedureChanged {
                current, requested, ..
            } => Self::ProcedureChanged { current, requested },
        }
    }
}

impl From<infrastructure::documents::UploadError> for ApiError {
    fn from(error: infrastructure::documents::UploadError) -> Self {
        use infrastructure::documents::UploadError;
        match error {
            UploadError::Case(e) => Self::Booking(e),
            UploadError::UnsupportedType => Self::DocumentType,
            UploadError::TooLarge { max } => Self::DocumentTooLarge { max },
            UploadError::Body(e) => Self::UploadInterrupted(e.to_string()),
            UploadError::Storage(e) => Self::Storage(e),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    /// Anything that says the database cannot be reached or is not taking work now is a 503 (the
    /// client may retry; nothing was written); anything else is a 500.
    fn from(error: sqlx::Error) -> Self {
        let unavailable = match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            // Connection exceptions (08), insufficient resources (53), operator intervention
            // such as a shutdown in progress (57).
            sqlx::Error::Database(e) => e.code().is_some_and(|code| {
                ["08", "53", "57"]
                    .iter()
                    .any(|class| code.starts_with(class))
            }),
            _ => false,
        };
        if unavailable {
            Self::Unavailable(error.to_string())
        } else {
            Self::Internal(error.to_string())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = describe(&self);
        if problem.status.is_server_error() {
            // The cause goes to the log only; the client gets the request id to quote.
            tracing::error!(error = %self, "request failed");
        }
        let mut response = problem.status.into_response();
        let headers = response.headers_mut();
        match &self {
            Self::TooManyRequests { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            Self::Unauthenticated | Self::InvalidToken | Self::LinkVoid(_) => {
                let challenge = if matches!(self, Self::Unauthenticated) {
                    "Bearer"
                } else {
                    "Bearer error=\"invalid_token\""
                };
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
            }
            Self::Booking(infrastructure::booking::BookingError::VersionMismatch {
                current,
                ..
            }) => {
                if let Ok(etag) = HeaderValue::from_str(&format!("\"{current}\"")) {
                    headers.insert(header::ETAG, etag);
                }
            }
            _ => {}
        }
        response.extensions_mut().insert(problem);
        response
    }
}

/// Writes problems in the request's language, and turns bare error responses into problems.
pub async fn localize(request: Request, next: Next) -> Response {
    let language = Language::from_accept_language(
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let instance = request.uri().path().to_string();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut response = next.run(request).await;
    let problem = match response.extensions_mut().remove::<Problem>() {
        Some(problem) => problem,
        None if is_bare_error(&response) => crate::messages::for_status(response.status()),
        None => return response,
    };
    let body = ProblemBody {
        r#type: format!("urn:arreta:problem:{}", problem.slug),
        title: problem.title.get(language).to_string(),
        status: problem.status.as_u16(),
        detail: problem.detail.get(language).to_string(),
        instance,
        request_id,
        errors: problem
            .errors
            .iter()
            .map(|e| FieldError {
                field: e.field.clone(),
                message: e.message.get(language).to_string(),
            })
            .collect(),
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let (mut parts, _) = response.into_parts();
    parts.status = problem.status;
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(language.as_str()),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json))
}

fn is_bare_error(response: &Response) -> bool {
    let status = response.status();
    let already_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    (status.is_client_error() || status.is_server_error()) && !already_problem
}

impl From<infrastructure::global_log::LogError> for ApiError {
    fn from(error: infrastructure::global_log::LogError) -> Self {
        match error {
            infrastructure::global_log::LogError::Database(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<infrastructure::read_models::ReadError> for ApiError {
    fn from(error: infrastructure::read_models::ReadError) -> Self {
        match error {
            infrastructure::read_models::ReadError::Database(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}
