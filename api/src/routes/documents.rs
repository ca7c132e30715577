//! The case's private document space: what the clerk asks the citizen to upload.

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use chrono::{DateTime, Utc};
use domain::citizen_request::{
    AttachedDocument, DocumentMediaType, RecordDocumentAccess, RequestedDocument, ReviewDocument,
};
use domain::procedure::Bilingual;
use futures_util::TryStreamExt;
use infrastructure::documents::{self, Upload};
use infrastructure::object_store::Bucket;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::caller::{
    CaseCaller, CaseReaders, DocumentLinks, DocumentListLinks, NoLinks, ReadingLinks, Staff,
};
use crate::extract::{ApiJson, ApiQuery, IfMatch};
use crate::problem::{ApiError, ProblemBody};
use crate::routes::procedures::BilingualText;
use crate::routes::requests::respond;
use crate::routes::requests::with_version;
use crate::routes::responses::{CaseAccessProblems, CaseCommandProblems};
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

/// A document in the case's space.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: Uuid,
    /// The name the client gave, sanitised: no path, no control characters, at most 64
    /// characters.
    pub file_name: String,
    /// From the content: `application/pdf`, `image/jpeg` or `image/png`.
    #[schema(example = "application/pdf")]
    pub media_type: String,
    pub size: u64,
    /// SHA-256 of the stored bytes, lowercase hex.
    pub sha256: String,
    /// The version of the object in the documents bucket.
    pub version_id: String,
    /// Locked (COMPLIANCE) until then.
    pub retain_until: DateTime<Utc>,
    /// `citizen:<request>` (upload link) or `staff:<id>`.
    pub uploaded_by: String,
    pub attached_at: DateTime<Utc>,
    /// `pending`, `accepted` or `rejected`.
    #[schema(pattern = "^(pending|accepted|rejected)$")]
    pub status: String,
    pub review: Option<ReviewView>,
    /// When the stored version was purged at the end of its retention: its record stays, its
    /// bytes are gone (reading it answers 410 `document-purged`).
    pub purged_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub accepted: bool,
    pub reason: Option<String>,
    pub reviewed_by: String,
    pub reviewed_at: DateTime<Utc>,
}

impl From<&AttachedDocument> for DocumentView {
    fn from(d: &AttachedDocument) -> Self {
        let status = match &d.review {
            None => "pending",
            Some(r) if r.accepted => "accepted",
            Some(_) => "rejected",
        };
        Self {
            id: d.document_id,
            file_name: d.file_name.clone(),
            media_type: d.media_type.mime().to_string(),
            size: d.size,
            sha256: d.sha256.clone(),
            version_id: d.version_id.clone(),
            retain_until: d.retain_until,
            uploaded_by: d.uploaded_by.clone(),
            attached_at: d.attached_at,
            status: status.to_string(),
            purged_at: d.purged_at,
            review: d.review.as_ref().map(|r| ReviewView {
                accepted: r.accepted,
                reason: r.reason.clone(),
                reviewed_by: r.reviewed_by.clone(),
                reviewed_at: r.reviewed_at,
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentListView {
    pub request_id: Uuid,
    /// The case's version.
    pub version: usize,
    /// Every document of the case (at most 30), in the order attached.
    pub documents: Vec<DocumentView>,
    /// What the clerk asked for.
    pub requested: Vec<RequestedView>,
    /// When what was asked is due, if anything was asked.
    pub due_at: Option<DateTime<Utc>>,
    /// The largest file the space takes (`storage.max_document_bytes`), so a page can say so
    /// before sending.
    pub max_bytes: u64,
    /// The types the space takes, recognised from the content.
    #[schema(example = json!(["application/pdf", "image/jpeg", "image/png"]))]
    pub media_types: Vec<&'static str>,
}

/// One document the clerk asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestedView {
    /// Its name in both languages.
    pub label: BilingualText,
}

/// A document's raw bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct DocumentBytes(pub Vec<u8>);

/// `{doc}` in the path.
pub struct DocumentId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for DocumentId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        crate::extract::path_uuid(parts, state, "doc")
            .await
            .map(Self)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name; otherwise `Content-Disposition`'s `filename`. Sanitised either way.
    pub name: Option<String>,
}

/// The `filename*` (RFC 5987, UTF-8) or `filename` of a `Content-Disposition` header.
fn disposition_name(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_DISPOSITION)?.to_str().ok()?;
    let mut plain = None;
    for param in value.split(';').skip(1) {
        let Some((key, raw)) = param.split_once('=') else {
            continue;
        };
        let raw = raw.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let encoded = raw.split_once("''").map_or(raw, |(_, rest)| rest);
                let bytes: Vec<u8> = percent_decode(encoded);
                if let Ok(text) = String::from_utf8(bytes) {
                    return Some(text);
                }
            }
            "filename" => plain = Some(raw.trim_matches('"').to_string()),
            _ => {}
        }
    }
    plain
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Upload a document into the case's private space: the body is the file itself, streamed into
/// WORM storage (COMPLIANCE retention) with its SHA-256 computed on the way. The type comes from
/// the content (PDF, JPEG or PNG; anything else is 415), the size is bounded by
/// `storage.max_document_bytes` (50 MiB by default; 413), and nothing is stored or recorded
/// when either is refused or when storage is unavailable (503). The citizen's upload link, the
/// join link while the call is in progress (403 otherwise), or staff, while the case is open.
/// What staff upload is handed to the citizen: the join link can download it.
#[utoipa::path(post, path = "/v1/requests/{id}/documents", tag = "documents",
    params(("id" = Uuid, Path), UploadQuery,
        ("Content-Disposition" = Option<String>, Header, description = "`attachment; filename=\"...\"`, when `name` is not given")),
    request_body(description = "The file's bytes, sent as they are (the type is taken from them, not from `Content-Type`)",
        content((DocumentBytes = "application/pdf"), (DocumentBytes = "image/jpeg"), (DocumentBytes = "image/png"), (DocumentBytes = "application/octet-stream"))),
    responses(
        (status = 201, description = "Stored and recorded", body = DocumentView, headers(("ETag" = String))),
        (status = 400, description = "The upload was interrupted", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The case does not take documents now (cancelled, closed, no-show, or full)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "Larger than storage.max_document_bytes; nothing stored", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not a PDF, JPEG or PNG by its content; nothing stored", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "Object storage unavailable; nothing recorded, retry later", body = ProblemBody, content_type = "application/problem+json"),
        CaseAccessProblems,
    ))]
pub async fn upload(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, DocumentLinks>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Some(purpose) = caller.link_purpose() {
        let (case, _) = state.booking.load(id).await?;
        if !case.link_may_upload(purpose) {
            return Err(ApiError::Forbidden);
        }
    }
    let file_name = query.name.or_else(|| disposition_name(&headers));
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let idle = std::time::Duration::from_secs(state.settings.storage.upload_idle_seconds);
    let body = Box::pin(idle_bounded(
        body.into_data_stream().map_err(std::io::Error::other),
        idle,
    ));
    let metadata = caller.metadata(state.booking.now());
    let uploaded = documents::upload(
        &state.booking,
        state.objects.as_ref(),
        state.settings.storage.max_document_bytes,
        Upload {
            request_id: id,
            file_name,
            declared_length,
            body,
            uploaded_by: caller.actor(),
        },
        &metadata,
    )
    .await?;
    Ok(with_version(
        StatusCode::CREATED,
        uploaded.version,
        DocumentView::from(&uploaded.document),
    ))
}

/// `stream`, ended with a `TimedOut` error once no bytes arrive for `idle`: the upload is then
/// interrupted (nothing stored) instead of held open by a client that stalled.
fn idle_bounded<S>(
    stream: S,
    idle: std::time::Duration,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Unpin,
{
    // Fused: the upload may ask again after the end, which a bare unfold does not allow.
    futures_util::StreamExt::fuse(futures_util::stream::unfold(
        Some(stream),
        move |stream| async move {
            let mut stream = stream?;
            match tokio::time::timeout(idle, futures_util::StreamExt::next(&mut stream)).await {
                Ok(Some(item)) => Some((item, Some(stream))),
                Ok(None) => None,
                Err(_) => Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no bytes for {} s", idle.as_secs()),
                    )),
                    None,
                )),
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[tokio::test]
    async fn an_idle_bounded_body_ends_once_and_stays_ended() {
        let chunks = futures_util::stream::iter(vec![Ok(bytes::Bytes::from_static(b"%PDF-"))]);
        let mut body = Box::pin(idle_bounded(chunks, std::time::Duration::from_secs(1)));
        assert!(body.next().await.is_some());
        assert!(body.next().await.is_none());
        assert!(body.next().await.is_none(), "asked again after its end");
    }

    #[tokio::test]
    async fn a_body_that_stops_arriving_ends_with_a_timeout() {
        let stalled = futures_util::stream::pending::<Result<bytes::Bytes, std::io::Error>>();
        let mut body = Box::pin(idle_bounded(stalled, std::time::Duration::from_millis(20)));
        let ended = body.next().await.expect("an item");
        assert_eq!(
            ended.map_err(|e| e.kind()).err(),
            Some(std::io::ErrorKind::TimedOut)
        );
        assert!(body.next().await.is_none());
    }
}

/// The case's documents, what was asked and the space's limits: staff, or the citizen's upload,
/// join or manage link for its own case.
#[utoipa::path(get, path = "/v1/requests/{id}/documents", tag = "documents", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The documents", body = DocumentListView, headers(("ETag" = String))),
        CaseAccessProblems,
    ))]
pub async fn list(
    State(state): State<AppState>,
    case: CaseCaller<Staff, DocumentListLinks>,
) -> Result<Response, ApiError> {
    let (current, version) = state.booking.load(case.request_id).await?;
    let view = DocumentListView {
        request_id: case.request_id,
        version,
        documents: current.documents().iter().map(DocumentView::from).collect(),
        requested: current
            .requested_documents()
            .iter()
            .map(|d| RequestedView {
                label: BilingualText::from(&d.label),
            })
            .collect(),
        due_at: current.documents_due(),
        max_bytes: state.settings.storage.max_document_bytes,
        media_types: DocumentMediaType::ALL.iter().map(|t| t.mime()).collect(),
    };
    Ok(with_version(StatusCode::OK, version, view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub accepted: bool,
    /// Required when rejecting; at most 500 characters.
    pub reason: Option<String>,
}

/// Accept or reject a document (a rejection says why). One verdict per document: repeating it
/// changes nothing, another is refused with 409; a rejected document is replaced by a new upload.
#[utoipa::path(post, path = "/v1/requests/{id}/documents/{doc}/review", tag = "documents", request_body = ReviewBody,
    params(("id" = Uuid, Path), ("doc" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The case's ETag")),
    responses(
        (status = 200, description = "Reviewed", body = DocumentView, headers(("ETag" = String))),
        (status = 404, description = "No such document in this case", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Already reviewed otherwise, or the case is no longer open", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A rejection without a reason", body = ProblemBody, content_type = "application/problem+json"),
        CaseCommandProblems,
    ))]
pub async fn review(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<Staff, NoLinks>,
    DocumentId(document_id): DocumentId,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Response, ApiError> {
    let now = state.booking.now();
    let done = state
        .booking
        .review_document(
            id,
            ReviewDocument {
                document_id,
                accepted: body.accepted,
                reason: body.reason,
                reviewed_by: caller.actor(),
                at: now,
            },
            &caller.metadata(now),
            expected,
        )
        .await?;
    let document = done.case.document(document_id).ok_or(ApiError::NotFound)?;
    Ok(with_version(
        StatusCode::OK,
        done.version,
        DocumentView::from(document),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// Why the document is read (1 to 500 characters): recorded in the case's history.
    #[param(example = "review before the appointment")]
    pub why: String,
}

/// Read a document's bytes: staff, the citizen's sign link for a document put up for
/// signature, or the join link for a document staff put in the space (handed over in the
/// call). The access (who, when, why) is recorded in the case first, as
/// `DocumentAccessed`, even on a closed case; then the stored version is streamed through the
/// api (not a redirect to a presigned URL: the bytes come from the version the case recorded,
/// whatever store is configured, and no URL that works without credentials is handed out).
#[utoipa::path(get, path = "/v1/requests/{id}/documents/{doc}/content", tag = "documents",
    params(("id" = Uuid, Path), ("doc" = Uuid, Path), ContentQuery),
    responses(
        (status = 200, description = "The document's bytes, with its type, size, `Content-Disposition` and `Repr-Digest` (SHA-256)",
            content((DocumentBytes = "application/pdf"), (DocumentBytes = "image/jpeg"), (DocumentBytes = "image/png"), (DocumentBytes = "text/plain; charset=utf-8"))),
        (status = 400, description = "`why` missing", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such document in this case (for a sign link: none put up for signature)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 410, description = "The document was purged at the end of its retention (`document-purged`): its record stays, its bytes are gone", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`why` empty or too long", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "Object storage unavailable (the access is still recorded)", body = ProblemBody, content_type = "application/problem+json"),
        CaseAccessProblems,
    ))]
pub async fn content(
    State(state): State<AppState>,
    CaseCaller {
        caller,
        request_id: id,
        ..
    }: CaseCaller<CaseReaders, ReadingLinks>,
    DocumentId(document_id): DocumentId,
    ApiQuery(query): ApiQuery<ContentQuery>,
) -> Result<Response, ApiError> {
    let now = state.booking.now();
    // A link reads what the case lets it: what the citizen signs, or what staff handed over.
    if let Some(purpose) = caller.link_purpose() {
        let (case, _) = state.booking.load(id).await?;
        if !case.link_may_read(purpose, document_id) {
            return Err(ApiError::NotFound);
        }
    }
    let done = state
        .booking
        .record_document_access(
            id,
            RecordDocumentAccess {
                document_id,
                by: caller.actor(),
                why: query.why,
                at: now,
            },
            &caller.metadata(now),
        )
        .await?;
    let document = done
        .case
        .document(document_id)
        .ok_or(ApiError::NotFound)?
        .clone();
    let object = state
        .objects
        .get(
            Bucket::Documents,
            &document.object_key,
            &document.version_id,
        )
        .await?;
    let mut response = Response::new(Body::from_stream(object.body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(document.media_type.mime()),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(document.size));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let ascii: String = document
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let encoded: String = document
        .file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(digest) = hex::decode(&document.sha256) {
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
