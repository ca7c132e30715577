use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use infrastructure::read_models;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::caller::{Authorized, Staff};
use crate::extract::ApiQuery;
use crate::messages::{FieldIssue, InvalidField};
use crate::pagination::page;
use crate::problem::{ApiError, ProblemBody};
use crate::routes::views::SlotView;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgendaQuery {
    /// The service day, YYYY-MM-DD (local).
    #[param(format = Date)]
    pub date: String,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Reservations per page, 1 to 200 (50 by default).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaItem {
    pub request_id: Uuid,
    pub procedure: String,
    pub slot: SlotView,
    pub room: i16,
    pub clerk: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClerkLoad {
    pub clerk: String,
    /// Appointments assigned to this clerk on the day.
    pub appointments: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaView {
    pub date: NaiveDate,
    pub timezone: String,
    /// Video rooms that can be busy at once.
    pub rooms: u8,
    pub clerks: Vec<ClerkLoad>,
    /// Reservations by start, then room.
    pub items: Vec<AgendaItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Rooms and clerks of a service day.
#[utoipa::path(get, path = "/v1/agenda", tag = "agenda", params(AgendaQuery),
    responses(
        (status = 200, description = "The day's agenda", body = AgendaView),
        (status = 400, description = "Invalid date, cursor or limit", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn day(
    State(state): State<AppState>,
    _caller: Authorized<Staff>,
    ApiQuery(query): ApiQuery<AgendaQuery>,
) -> Result<Json<AgendaView>, ApiError> {
    let date = NaiveDate::parse_from_str(&query.date, "%Y-%m-%d")
        .map_err(|_| ApiError::InvalidQuery(vec![InvalidField::new("date", FieldIssue::Date)]))?;
    let calendar = state.booking.calendar();
    let mut conn = state.pool.acquire().await?;
    let entries = read_models::agenda(&mut conn, Some(date)).await?;
    // Clerk loads count the whole day, not the page.
    let clerks = calendar
        .clerks
        .iter()
        .map(|c| ClerkLoad {
            clerk: c.0.clone(),
            appointments: entries
                .iter()
                .filter(|e| e.clerk.as_deref() == Some(c.0.as_str()))
                .count(),
        })
        .collect();
    let (entries, next_cursor) = page(entries, query.cursor.as_deref(), query.limit, |e| {
        format!(
            "{}|{:05}|{}",
            e.slot_start.to_rfc3339(),
            e.room,
            e.request_id
        )
    })?;
    let items = entries
        .into_iter()
        .map(|e| AgendaItem {
            request_id: e.request_id,
            procedure: e.procedure,
            slot: SlotView::new(
                e.slot_start,
                u16::try_from((e.slot_end - e.slot_start).num_minutes()).unwrap_or(0),
                calendar.timezone,
            ),
            room: e.room,
            clerk: e.clerk,
        })
        .collect();
    Ok(Json(AgendaView {
        date,
        timezone: calendar.timezone.name().to_string(),
        rooms: calendar.rooms,
        clerks,
        items,
        next_cursor,
    }))
}
