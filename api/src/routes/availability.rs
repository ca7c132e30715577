use axum::Json;
use axum::extract::State;
use chrono::{Duration, NaiveDate};
use domain::values::ProcedureCode;
use infrastructure::booking::BookingError;
use infrastructure::read_models;
use projections::availability::offered_slots;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::caller::{Anyone, Authorized};
use crate::extract::ApiQuery;
use crate::messages::{FieldIssue, InvalidField};
use crate::pagination::page;
use crate::problem::{ApiError, ProblemBody};
use crate::routes::views::SlotView;
use crate::state::AppState;

/// The longest range one availability query may cover.
pub const MAX_RANGE_DAYS: u32 = 31;
const DEFAULT_RANGE_DAYS: i64 = 14;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    /// Procedure code, e.g. `PADRON-ALTA`.
    #[param(pattern = "^[A-Za-z0-9-]{2,32}$")]
    pub procedure: String,
    /// First service day (YYYY-MM-DD, local); today when absent.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last service day, inclusive; two weeks after `from` when absent. At most 31 days.
    #[param(format = Date)]
    pub to: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Slots per page, 1 to 200 (50 by default).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferedSlotView {
    #[serde(flatten)]
    pub slot: SlotView,
    /// Video rooms still free for this slot.
    pub free_rooms: u8,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    pub procedure: String,
    pub minutes: u16,
    pub timezone: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<OfferedSlotView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn parse_day(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, InvalidField> {
    value
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| InvalidField::new(field, FieldIssue::Date))
        })
        .transpose()
}

/// Slots the system proposes for a procedure, with the rooms still free.
#[utoipa::path(get, path = "/v1/availability", tag = "booking", params(AvailabilityQuery),
    responses(
        (status = 200, description = "Bookable slots", body = AvailabilityView),
        (status = 400, description = "Invalid parameters", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Unknown procedure", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn offered(
    State(state): State<AppState>,
    _caller: Authorized<Anyone>,
    ApiQuery(query): ApiQuery<AvailabilityQuery>,
) -> Result<Json<AvailabilityView>, ApiError> {
    let mut invalid = Vec::new();
    let code = ProcedureCode::parse(&query.procedure)
        .map_err(|e| invalid.push(InvalidField::new("procedure", FieldIssue::Value(e))))
        .ok();
    let from = parse_day("from", query.from.as_deref())
        .map_err(|e| invalid.push(e))
        .ok()
        .flatten();
    let to = parse_day("to", query.to.as_deref())
        .map_err(|e| invalid.push(e))
        .ok()
        .flatten();
    let (Some(code), true) = (code, invalid.is_empty()) else {
        return Err(ApiError::InvalidQuery(invalid));
    };
    let calendar = state.booking.calendar();
    let now = state.booking.now();
    let from = from.unwrap_or_else(|| calendar.service_day(now));
    let to = to.unwrap_or(from + Duration::days(DEFAULT_RANGE_DAYS - 1));
    if to < from || (to - from).num_days() >= i64::from(MAX_RANGE_DAYS) {
        return Err(ApiError::InvalidQuery(vec![InvalidField::new(
            "to",
            FieldIssue::DateRange {
                max_days: MAX_RANGE_DAYS,
            },
        )]));
    }
    let procedure = state
        .booking
        .catalogue()
        .get(&code)
        .ok_or_else(|| BookingError::UnknownProcedure(code.to_string()))?;
    let mut conn = state.pool.acquire().await?;
    let busy = read_models::busy_rooms(&mut conn, from, to).await?;
    let days = from.iter_days().take_while(|d| *d <= to);
    let offered = offered_slots(calendar, procedure.minutes, days, &busy, now);
    let (offered, next_cursor) = page(offered, query.cursor.as_deref(), query.limit, |o| {
        o.start.to_rfc3339()
    })?;
    let items = offered
        .into_iter()
        .map(|o| OfferedSlotView {
            slot: SlotView::new(o.start, o.minutes, calendar.timezone),
            free_rooms: o.free_rooms,
        })
        .collect();
    Ok(Json(AvailabilityView {
        procedure: code.to_string(),
        minutes: procedure.minutes,
        timezone: calendar.timezone.name().to_string(),
        from,
        to,
        items,
        next_cursor,
    }))
}
