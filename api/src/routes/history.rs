use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use infrastructure::global_log;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::caller::{Auditors, CaseCaller, NoLinks};
use crate::extract::ApiQuery;
use crate::pagination::page;
use crate::problem::{ApiError, ProblemBody};
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
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Events per page, 1 to 200 (50 by default).
    pub limit: Option<u32>,
}

/// The case's events in order, with their metadata.
#[utoipa::path(get, path = "/v1/requests/{id}/history", tag = "audit", params(("id" = Uuid, Path), HistoryQuery),
    responses(
        (status = 200, description = "The case's history", body = HistoryView),
        (status = 400, description = "Invalid cursor or limit", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn history(
    State(state): State<AppState>,
    case: CaseCaller<Auditors, NoLinks>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<HistoryView>, ApiError> {
    let id = case.request_id;
    let mut conn = state.pool.acquire().await?;
    let events =
        global_log::aggregate_events(&mut conn, "CitizenRequest", &id.to_string(), None).await?;
    let version = events
        .last()
        .map(|e| e.sequence)
        .ok_or(ApiError::NotFound)?;
    let (events, next_cursor) = page(events, query.cursor.as_deref(), query.limit, |e| {
        format!("{:020}", e.sequence)
    })?;
    let items = events
        .into_iter()
        .map(|e| HistoryItem {
            sequence: e.sequence,
            global_position: e.log.position,
            event_type: e.event_type,
            event_version: e.event_version,
            recorded_at: e.recorded_at,
            payload: e.payload,
            metadata: e.metadata,
        })
        .collect();
    Ok(Json(HistoryView {
        request_id: id,
        version,
        items,
        next_cursor,
    }))
}
