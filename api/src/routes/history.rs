use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use infrastructure::global_log;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::caller::{Auditors, Authorized};
use crate::extract::RequestId;
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
    pub version: i64,
    pub items: Vec<HistoryItem>,
}

/// The case's events in order, with their metadata.
#[utoipa::path(get, path = "/v1/requests/{id}/history", tag = "audit", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The case's history", body = HistoryView),
        (status = 404, description = "No such request", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn history(
    State(state): State<AppState>,
    _caller: Authorized<Auditors>,
    RequestId(id): RequestId,
) -> Result<Json<HistoryView>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let events =
        global_log::aggregate_events(&mut conn, "CitizenRequest", &id.to_string(), None).await?;
    if events.is_empty() {
        return Err(ApiError::NotFound);
    }
    let items: Vec<HistoryItem> = events
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
        version: items.last().map_or(0, |i| i.sequence),
        items,
    }))
}
