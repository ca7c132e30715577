use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use infrastructure::audit::{self, Finding};
use infrastructure::global_log;
use projections::LoggedEvent;
use projections::case_summary::{self, CaseSummary};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use domain::citizen_request::CaseRead;

use crate::caller::{Auditors, CaseCaller, NoLinks};
use crate::extract::ApiQuery;
use crate::messages::{FieldIssue, InvalidField};
use crate::pagination::page;
use crate::problem::{ApiError, ProblemBody};
use crate::routes::reads;
use crate::routes::responses::CaseAccessProblems;
use crate::routes::views::CaseView;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryItem {
    /// The event's number within the case, from 1.
    pub sequence: i64,
    /// The event's position in the global log.
    pub global_position: i64,
    pub event_type: String,
    pub event_version: String,
    pub recorded_at: DateTime<Utc>,
    /// The event as stored.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Who, in what role, from where, in answer to which request.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub request_id: Uuid,
    /// The case's current version (its last event's sequence).
    pub version: i64,
    pub items: Vec<HistoryItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// The case as it stood at `as_of` (or now), replayed from its events.
    pub state: CaseView,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Events per page, 1 to 200 (50 by default).
    pub limit: Option<u32>,
    /// Replay only up to this version: the events up to it, and the case as it stood then.
    #[param(minimum = 1)]
    pub as_of: Option<i64>,
    /// Why the case is read (at most 500 characters): recorded with the read, which the citizen
    /// sees among the accesses to their data.
    #[param(max_length = 500, example = "complaint 2027/14")]
    pub why: Option<String>,
}

/// Why a whole case is read.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadQuery {
    /// Why the case is read (at most 500 characters): recorded with the read, which the citizen
    /// sees among the accesses to their data.
    #[param(max_length = 500, example = "complaint 2027/14")]
    pub why: Option<String>,
}

/// The case's events in order, with their metadata. Each read (each page) is recorded in the
/// case first as `CaseFileAccessed` (who, role, when, why); the page answered is the history as
/// it stood just before that record, which the next read shows.
#[utoipa::path(get, path = "/v1/requests/{id}/history", tag = "audit", params(("id" = Uuid, Path), HistoryQuery),
    responses(
        (status = 200, description = "The case's history", body = HistoryView),
        (status = 400, description = "Invalid cursor or limit", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`why` too long or with control characters (nothing recorded)", body = ProblemBody, content_type = "application/problem+json"),
        CaseAccessProblems,
    ))]
pub async fn history(
    State(state): State<AppState>,
    case: CaseCaller<Auditors, NoLinks>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<HistoryView>, ApiError> {
    let id = case.request_id;
    let mut conn = state.pool.acquire().await?;
    let all = global_log::aggregate_events(
        &mut conn,
        state.booking.personal(),
        "CitizenRequest",
        &id.to_string(),
        None,
    )
    .await?;
    let version = all.last().map(|e| e.sequence).ok_or(ApiError::NotFound)?;
    let as_of = match query.as_of {
        None => version,
        Some(n) if (1..=version).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::InvalidQuery(vec![InvalidField::new(
                "as_of",
                FieldIssue::Version { max: version },
            )]));
        }
    };
    let events: Vec<_> = all
        .into_iter()
        .take_while(|e| e.sequence <= as_of)
        .collect();
    let summary = fold(id, &events)?;
    let (events, next_cursor) = page(events, query.cursor.as_deref(), query.limit, |e| {
        format!("{:020}", e.sequence)
    })?;
    drop(conn);
    reads::record(&state, &case.caller, id, CaseRead::History, query.why).await?;
    Ok(Json(HistoryView {
        request_id: id,
        version,
        items: events.into_iter().map(HistoryItem::from).collect(),
        next_cursor,
        state: CaseView::new(summary, state.booking.calendar().timezone),
    }))
}

impl From<LoggedEvent> for HistoryItem {
    fn from(e: LoggedEvent) -> Self {
        Self {
            sequence: e.sequence,
            global_position: e.log.position,
            event_type: e.event_type,
            event_version: e.event_version,
            recorded_at: e.recorded_at,
            payload: e.payload,
            metadata: e.metadata,
        }
    }
}

/// The case summary folded from `events` (in order, from the first).
fn fold(id: Uuid, events: &[LoggedEvent]) -> Result<CaseSummary, ApiError> {
    case_summary::fold_log(id, events)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    pub request_id: Uuid,
    /// Events checked.
    pub events: usize,
    /// Whether every event still matches the hash chain written when it was appended.
    pub intact: bool,
    /// The first event that does not match.
    #[schema(value_type = Option<Object>)]
    pub first_mismatch: Option<Finding>,
}

/// Recompute the case's hash chain and name the first event that does not match.
#[utoipa::path(get, path = "/v1/requests/{id}/history/verify", tag = "audit", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The verification", body = VerificationView),
        CaseAccessProblems,
    ))]
pub async fn verify(
    State(state): State<AppState>,
    case: CaseCaller<Auditors, NoLinks>,
) -> Result<Json<VerificationView>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let events =
        audit::stored_events(&mut conn, "CitizenRequest", &case.request_id.to_string()).await?;
    if events.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(VerificationView::of(case.request_id, &events)))
}

impl VerificationView {
    /// Walks the case's stored events along their hash chain.
    fn of(request_id: Uuid, events: &[audit::StoredEvent]) -> Self {
        let first_mismatch = audit::verify_chain(events);
        Self {
            request_id,
            events: events.len(),
            intact: first_mismatch.is_none(),
            first_mismatch,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedEvent {
    #[serde(flatten)]
    pub event: HistoryItem,
    /// The event's link in the case's hash chain.
    pub chain_hash: String,
}

/// A whole case file in one document.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseExport {
    pub request_id: Uuid,
    pub exported_at: DateTime<Utc>,
    pub version: i64,
    pub state: CaseView,
    pub verification: VerificationView,
    pub events: Vec<ExportedEvent>,
    /// Digests, object keys and versions of the case's documents (none until documents exist).
    #[schema(value_type = Vec<Object>)]
    pub documents: Vec<serde_json::Value>,
    /// Keys, versions and retain-until of the case's recordings (none until recording exists).
    #[schema(value_type = Vec<Object>)]
    pub recordings: Vec<serde_json::Value>,
}

/// Export the whole case file: its state, every event with metadata and chain hash, and the
/// chain's verification. The export is recorded in the case first as `CaseFileAccessed` (who,
/// role, when, why); the document is the case as it stood just before that record.
#[utoipa::path(get, path = "/v1/requests/{id}/export", tag = "audit", params(("id" = Uuid, Path), ReadQuery),
    responses(
        (status = 200, description = "The case file", body = CaseExport),
        (status = 422, description = "`why` too long or with control characters (nothing recorded)", body = ProblemBody, content_type = "application/problem+json"),
        CaseAccessProblems,
    ))]
pub async fn export(
    State(state): State<AppState>,
    case: CaseCaller<Auditors, NoLinks>,
    ApiQuery(query): ApiQuery<ReadQuery>,
) -> Result<Json<CaseExport>, ApiError> {
    let id = case.request_id;
    let mut conn = state.pool.acquire().await?;
    let logged = global_log::aggregate_events(
        &mut conn,
        state.booking.personal(),
        "CitizenRequest",
        &id.to_string(),
        None,
    )
    .await?;
    let stored = audit::stored_events(&mut conn, "CitizenRequest", &id.to_string()).await?;
    let version = logged
        .last()
        .map(|e| e.sequence)
        .ok_or(ApiError::NotFound)?;
    let summary = fold(id, &logged)?;
    let verification = VerificationView::of(id, &stored);
    let hashes: std::collections::HashMap<i64, String> = stored
        .into_iter()
        .map(|e| (e.sequence, e.chain_hash))
        .collect();
    let events: Vec<ExportedEvent> = logged
        .into_iter()
        .map(|e| ExportedEvent {
            chain_hash: hashes.get(&e.sequence).cloned().unwrap_or_default(),
            event: HistoryItem::from(e),
        })
        .collect();
    drop(conn);
    reads::record(&state, &case.caller, id, CaseRead::Export, query.why).await?;
    Ok(Json(CaseExport {
        request_id: id,
        exported_at: state.booking.now(),
        version,
        state: CaseView::new(summary, state.booking.calendar().timezone),
        verification,
        events,
        documents: vec![],
        recordings: vec![],
    }))
}
