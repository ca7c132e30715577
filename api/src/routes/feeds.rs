//! The agenda as iCalendar feeds, one per clerk and one per room, opened by the token in their
//! URL (`arreta sync feed-url` prints them).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use infrastructure::feeds::{self, FeedOwner};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::caller::{Anyone, Authorized};
use crate::extract::ApiQuery;
use crate::problem::{ApiError, ProblemBody};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The feed's own token, from its URL.
    pub token: String,
}

/// One clerk's appointments, from a week ago to the end of the booking horizon.
#[utoipa::path(get, path = "/v1/feeds/clerks/{clerk}.ics", tag = "agenda",
    params(("clerk" = String, Path, description = "The clerk's id"), FeedQuery),
    responses(
        (status = 200, description = "The feed", content_type = "text/calendar", body = String),
        (status = 401, description = "Not this feed's token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such clerk, or feeds are off", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn clerk(
    State(state): State<AppState>,
    _caller: Authorized<Anyone>,
    Path(file): Path<String>,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Response, ApiError> {
    let id = file.strip_suffix(".ics").ok_or(ApiError::NotFound)?;
    if !state.settings.calendar.clerks.iter().any(|c| c == id) {
        return Err(ApiError::NotFound);
    }
    serve(&state, FeedOwner::Clerk(id.to_string()), &query.token).await
}

/// One room's appointments, from a week ago to the end of the booking horizon.
#[utoipa::path(get, path = "/v1/feeds/rooms/{room}.ics", tag = "agenda",
    params(("room" = u8, Path, description = "The room, from 1"), FeedQuery),
    responses(
        (status = 200, description = "The feed", content_type = "text/calendar", body = String),
        (status = 401, description = "Not this feed's token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such room, or feeds are off", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn room(
    State(state): State<AppState>,
    _caller: Authorized<Anyone>,
    Path(file): Path<String>,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Response, ApiError> {
    let room: i16 = file
        .strip_suffix(".ics")
        .and_then(|n| n.parse().ok())
        .filter(|n| (1..=i16::from(state.settings.calendar.rooms)).contains(n))
        .ok_or(ApiError::NotFound)?;
    serve(&state, FeedOwner::Room(room), &query.token).await
}

async fn serve(state: &AppState, owner: FeedOwner, token: &str) -> Result<Response, ApiError> {
    let secret = state
        .settings
        .municipal
        .feed_secret
        .as_deref()
        .ok_or(ApiError::NotFound)?;
    if !feeds::check(secret.as_bytes(), &owner, token) {
        return Err(ApiError::InvalidToken);
    }
    let now = state.booking.now();
    let horizon = i64::from(state.settings.calendar.horizon_days) + 1;
    let mut conn = state.pool.acquire().await?;
    let body = feeds::feed(
        &mut conn,
        &owner,
        now - Duration::days(7),
        now + Duration::days(horizon),
        &state.settings.mail.domain,
        now,
    )
    .await?;
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(response)
}
