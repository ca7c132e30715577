//! Recordings for auditors and supervisors: the list of a case's recordings, and the bytes of
//! one file, each read recorded in the case first (who, when, why).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use domain::citizen_request::CitizenRequestCommand;
use domain::citizen_request::RecordRecordingAccess;
use infrastructure::object_store::Bucket;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::caller::{Auditors, Authorized, CaseCaller, NoLinks};
use crate::extract::ApiQuery;
use crate::problem::{ApiError, ProblemBody};
use crate::routes::call::{RecordingView, recording_view};
use crate::routes::requests::with_version;
use crate::routes::responses::CaseAccessProblems;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingListView {
    pub request_id: Uuid,
    pub version: usize,
    pub recordings: Vec<RecordingView>,
}

/// The case's recordings and their stored files.
#[utoipa::path(get, path = "/v1/requests/{id}/recordings", tag = "call", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The recordings", body = RecordingListView, headers(("ETag" = String))),
        CaseAccessProblems,
    ))]
pub async fn list(
    State(state): State<AppState>,
    case: CaseCaller<Auditors, NoLinks>,
) -> Result<Response, ApiError> {
    let (current, version) = state.booking.load(case.request_id).await?;
    let view = RecordingListView {
        request_id: case.request_id,
        version,
        recordings: current.recordings().iter().map(recording_view).collect(),
    };
    Ok(with_version(StatusCode::OK, version, view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccessQuery {
    /// The file: its `object_key` in the recording's list.
    pub key: String,
    /// Why it is read (1 to 500 characters): recorded in the case's history.
    #[param(example = "complaint 2027/14")]
    pub why: String,
}

/// The `{rec}` of a recording route.
pub struct RecordingId(pub Uuid);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RecordingId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        crate::extract::path_uuid(parts, state, "rec")
            .await
            .map(Self)
    }
}

/// Read a recording's file. `RecordingAccessed` (who, when, why) is written first, also on a
/// closed case; then the stored version is streamed through the api, as documents are (no URL
/// that works without credentials leaves it).
#[utoipa::path(get, path = "/v1/recordings/{rec}/access", tag = "call",
    params(("rec" = Uuid, Path), AccessQuery),
    responses(
        (status = 200, description = "The file's bytes (WebM), with `Repr-Digest` (SHA-256)", content_type = "video/webm"),
        (status = 400, description = "`key` or `why` missing", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such recording or file", body = ProblemBody, content_type = "application/problem+json"),
        (status = 410, description = "The file was purged at the end of its retention (`recording-purged`)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`why` empty or too long", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "Object storage unavailable (the access is still recorded)", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn access(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Auditors>,
    RecordingId(recording_id): RecordingId,
    ApiQuery(query): ApiQuery<AccessQuery>,
) -> Result<Response, ApiError> {
    let request_id = infrastructure::calls::recording_case(&state.pool, recording_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = state.booking.now();
    let (done, _) = state
        .booking
        .execute(
            request_id,
            CitizenRequestCommand::RecordRecordingAccess(RecordRecordingAccess {
                recording_id,
                object_key: query.key.clone(),
                by: caller.actor(),
                why: query.why,
                at: now,
            }),
            &caller.metadata(now),
            None,
        )
        .await?;
    let file = done
        .case
        .recording(recording_id)
        .and_then(|r| r.stored.iter().find(|s| s.object_key == query.key))
        .cloned()
        .ok_or(ApiError::NotFound)?;
    let object = state
        .objects
        .get(Bucket::Recordings, &file.object_key, &file.version_id)
        .await?;
    let mut response = Response::new(Body::from_stream(object.body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/webm"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(digest) = hex::decode(&file.sha256) {
        use base64::Engine;
        let value = format!(
            "sha-256=:{}:",
            base64::engine::general_purpose::STANDARD.encode(digest)
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert("repr-digest", value);
        }
    }
    Ok(response)
}
