//! Figures for reporting tools, in JSON or CSV.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use infrastructure::read_models::{self, ReportRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::caller::{Authorized, Reporters};
use crate::extract::ApiQuery;
use crate::messages::{FieldIssue, InvalidField};
use crate::problem::{ApiError, ProblemBody};
use crate::state::AppState;

/// The longest range one report may cover.
pub const MAX_REPORT_DAYS: u32 = 366;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First service day (YYYY-MM-DD).
    #[param(format = Date)]
    pub from: String,
    /// Last service day, inclusive; at most 366 days after `from`.
    #[param(format = Date)]
    pub to: String,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

enum Format {
    Json,
    Csv,
}

fn parse(query: &ReportQuery) -> Result<(NaiveDate, NaiveDate, Format), ApiError> {
    let mut invalid = Vec::new();
    let day = |field: &str, text: &str, invalid: &mut Vec<InvalidField>| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| invalid.push(InvalidField::new(field, FieldIssue::Date)))
            .ok()
    };
    let from = day("from", &query.from, &mut invalid);
    let to = day("to", &query.to, &mut invalid);
    let format = match query.format.as_deref() {
        None | Some("json") => Some(Format::Json),
        Some("csv") => Some(Format::Csv),
        Some(_) => {
            invalid.push(InvalidField::new(
                "format",
                FieldIssue::OneOf(&["json", "csv"]),
            ));
            None
        }
    };
    match (from, to, format) {
        (Some(from), Some(to), Some(format)) if invalid.is_empty() => {
            if to < from || (to - from).num_days() >= i64::from(MAX_REPORT_DAYS) {
                return Err(ApiError::InvalidQuery(vec![InvalidField::new(
                    "to",
                    FieldIssue::DateRange {
                        max_days: MAX_REPORT_DAYS,
                    },
                )]));
            }
            Ok((from, to, format))
        }
        _ => Err(ApiError::InvalidQuery(invalid)),
    }
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Response {
    let mut body = header.join(",");
    body.push_str("\r\n");
    for row in rows {
        body.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        body.push_str("\r\n");
    }
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyRow {
    pub service_day: NaiveDate,
    pub procedure: String,
    pub channel: String,
    pub language: String,
    /// Bookings for an appointment on this day.
    pub booked: i32,
    /// Appointments moved to this day.
    pub rescheduled_in: i32,
    /// Appointments moved away from this day.
    pub rescheduled_out: i32,
    pub cancelled: i32,
    pub no_shows: i32,
    pub closed: i32,
    /// Mean days from booking to appointment, over this row's bookings.
    pub mean_waiting_days: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<DailyRow>,
}

impl From<ReportRow> for DailyRow {
    fn from(r: ReportRow) -> Self {
        Self {
            mean_waiting_days: (r.booked > 0)
                .then(|| r.waiting_days_total as f64 / f64::from(r.booked)),
            service_day: r.service_day,
            procedure: r.procedure,
            channel: r.channel,
            language: r.language,
            booked: r.booked,
            rescheduled_in: r.rescheduled_in,
            rescheduled_out: r.rescheduled_out,
            cancelled: r.cancelled,
            no_shows: r.no_shows,
            closed: r.closed,
        }
    }
}

/// Figures per service day, procedure, channel and language (the `report_daily` table).
#[utoipa::path(get, path = "/v1/reports/daily", tag = "reports", params(ReportQuery),
    responses(
        (status = 200, description = "The figures", content(
            (DailyReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Invalid range or format", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn daily(
    State(state): State<AppState>,
    _caller: Authorized<Reporters>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let (from, to, format) = parse(&query)?;
    let mut conn = state.pool.acquire().await?;
    let rows: Vec<DailyRow> = read_models::report_daily(&mut conn, from, to)
        .await?
        .into_iter()
        .map(DailyRow::from)
        .collect();
    Ok(match format {
        Format::Json => Json(DailyReport {
            from,
            to,
            items: rows,
        })
        .into_response(),
        Format::Csv => csv(
            &[
                "service_day",
                "procedure",
                "channel",
                "language",
                "booked",
                "rescheduled_in",
                "rescheduled_out",
                "cancelled",
                "no_shows",
                "closed",
                "mean_waiting_days",
            ],
            rows.into_iter().map(|r| {
                vec![
                    r.service_day.to_string(),
                    r.procedure,
                    r.channel,
                    r.language,
                    r.booked.to_string(),
                    r.rescheduled_in.to_string(),
                    r.rescheduled_out.to_string(),
                    r.cancelled.to_string(),
                    r.no_shows.to_string(),
                    r.closed.to_string(),
                    r.mean_waiting_days
                        .map(|w| format!("{w:.2}"))
                        .unwrap_or_default(),
                ]
            }),
        ),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoomOccupancy {
    pub service_day: NaiveDate,
    pub room: i16,
    pub reserved_minutes: i64,
    /// Minutes the service is open that day.
    pub open_minutes: i64,
    /// reserved / open, 0 to 1.
    pub occupancy: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClerkOccupancy {
    pub service_day: NaiveDate,
    pub clerk: String,
    pub assigned_minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OccupancyReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rooms: Vec<RoomOccupancy>,
    pub clerks: Vec<ClerkOccupancy>,
}

/// Room and clerk occupancy per service day, from the agenda as it stands.
#[utoipa::path(get, path = "/v1/reports/occupancy", tag = "reports", params(ReportQuery),
    responses(
        (status = 200, description = "The occupancy (CSV: the rooms)", content(
            (OccupancyReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Invalid range or format", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn occupancy(
    State(state): State<AppState>,
    _caller: Authorized<Reporters>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let (from, to, format) = parse(&query)?;
    let calendar = state.booking.calendar();
    let mut conn = state.pool.acquire().await?;
    let (rooms, clerks) = read_models::occupancy(&mut conn, from, to).await?;
    let rooms: Vec<RoomOccupancy> = rooms
        .into_iter()
        .map(|(service_day, room, reserved_minutes)| {
            let open_minutes: i64 = calendar
                .windows(service_day)
                .iter()
                .map(|w| i64::from(w.close) - i64::from(w.open))
                .sum();
            RoomOccupancy {
                service_day,
                room,
                reserved_minutes,
                open_minutes,
                occupancy: if open_minutes > 0 {
                    reserved_minutes as f64 / open_minutes as f64
                } else {
                    0.0
                },
            }
        })
        .collect();
    Ok(match format {
        Format::Json => Json(OccupancyReport {
            from,
            to,
            rooms,
            clerks: clerks
                .into_iter()
                .map(|(service_day, clerk, assigned_minutes)| ClerkOccupancy {
                    service_day,
                    clerk,
                    assigned_minutes,
                })
                .collect(),
        })
        .into_response(),
        Format::Csv => csv(
            &[
                "service_day",
                "room",
                "reserved_minutes",
                "open_minutes",
                "occupancy",
            ],
            rooms.into_iter().map(|r| {
                vec![
                    r.service_day.to_string(),
                    r.room.to_string(),
                    r.reserved_minutes.to_string(),
                    r.open_minutes.to_string(),
                    format!("{:.4}", r.occupancy),
                ]
            }),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("PADRON-ALTA"), "PADRON-ALTA");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
