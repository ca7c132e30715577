//! The citizen's own copy of their case file (GDPR art. 15 and 20): everything the case holds
//! about them, machine-readable, through the manage link (also once the case is closed).
//!
//! Unlike the auditors' export it leaves out what is about staff rather than the citizen (the
//! client address and user agent recorded for staff actions) and the chain hashes; who did what
//! and in what role stays, as it is what the citizen has a right to know.
//!
//! Asked for with `Accept: text/html`, the same file comes as a page to read
//! ([`readable`]), in the case's language.

mod readable;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::citizen_request::{CaseRead, CitizenRequest, CitizenRequestEvent};
use infrastructure::global_log;
use projections::LoggedEvent;
use projections::case_summary;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::caller::{Auditors, CaseCaller, ManageLink};
use crate::extract::ApiQuery;
use crate::problem::{ApiError, ProblemBody};
use crate::routes::accesses::{self, AccessView};
use crate::routes::documents::DocumentView;
use crate::routes::history::ReadQuery;
use crate::routes::reads;
use crate::routes::responses::CaseAccessProblems;
use crate::routes::signatures::SignatureView;
use crate::routes::views::CaseView;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseFileEvent {
    /// The event's number within the case, from 1.
    pub sequence: i64,
    pub event_type: String,
    pub recorded_at: DateTime<Utc>,
    /// `citizen`, `citizen:<request>`, `staff:<id>` or `system:<component>`.
    pub actor: String,
    pub role: String,
    /// The event as stored.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseFileView {
    pub request_id: Uuid,
    pub generated_at: DateTime<Utc>,
    /// The case as it stands.
    pub case: CaseView,
    /// The documents in the case's space, with their review.
    pub documents: Vec<DocumentView>,
    /// Every signature asked for, with its seal and registry entry once signed.
    pub signatures: Vec<SignatureView>,
    /// Every recorded read of the citizen's documents and recordings, and every staff read of
    /// the whole case (history, export, case file).
    pub accesses: Vec<AccessView>,
    /// Everything that happened in the case, in order.
    pub events: Vec<CaseFileEvent>,
}

/// The readable copy: one self-contained HTML page in the case's language.
#[derive(ToSchema)]
#[schema(value_type = String)]
pub struct ReadableCaseFile(pub String);

/// The case file, to download: the case, its documents, signatures, the reads of the citizen's
/// data and every event, without staff's network details. The manage link (also once closed),
/// or an auditor or supervisor. With `Accept: text/html` it is a self-contained page in the
/// case's language (no script; its own Content-Security-Policy, repeated in the page so a saved
/// copy keeps it). A staff read is recorded in the case first as `CaseFileAccessed` (who, role,
/// when, why); the citizen's own read with the manage link is not someone else's access and
/// records nothing.
#[utoipa::path(get, path = "/v1/requests/{id}/case-file", tag = "cases", params(("id" = Uuid, Path), ReadQuery),
    responses(
        (status = 200, description = "The case file: JSON, or with `Accept: text/html` the readable page", headers(("Vary" = String, description = "`accept`: JSON or the page, by the request's `Accept`")),
            content((CaseFileView = "application/json"), (ReadableCaseFile = "text/html; charset=utf-8"))),
        (status = 422, description = "`why` too long or with control characters (nothing recorded)", body = ProblemBody, content_type = "application/problem+json"),
        CaseAccessProblems,
    ))]
pub async fn get(
    State(state): State<AppState>,
    case: CaseCaller<Auditors, ManageLink>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ReadQuery>,
) -> Result<Response, ApiError> {
    let id = case.request_id;
    let mut conn = state.pool.acquire().await?;
    let events = global_log::aggregate_events(
        &mut conn,
        state.booking.personal(),
        "CitizenRequest",
        &id.to_string(),
        None,
    )
    .await?;
    let accesses = accesses::views(&mut conn, id, &events).await?;
    drop(conn);
    let summary = case_summary::fold_log(id, &events)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or(ApiError::NotFound)?;
    // The case itself from the same events (one read, so every part of the file agrees).
    let mut current = CitizenRequest::default();
    for event in &events {
        current.apply(
            event
                .decode::<CitizenRequestEvent>()
                .map_err(|e| ApiError::Internal(e.to_string()))?,
        );
    }
    let timezone = state.booking.calendar().timezone;
    let view = CaseView::new(summary, timezone);
    let generated_at = state.booking.now();
    let html = wants_html(&headers);
    let mut response = if html {
        let language = current
            .booking()
            .map(|b| b.language)
            .ok_or(ApiError::NotFound)?;
        let page = readable::render(&readable::Readable {
            request_id: id,
            language,
            timezone,
            catalogue: state.booking.catalogue(),
            generated_at,
            view: &view,
            case: &current,
            accesses: &accesses,
            events: &events,
        });
        // Recorded only once the answer is ready, so nothing is recorded for a read that fails.
        reads::record(&state, &case.caller, id, CaseRead::CaseFile, query.why).await?;
        let mut response = (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            page,
        )
            .into_response();
        let headers = response.headers_mut();
        if let Ok(policy) = HeaderValue::from_str(&readable::content_security_policy()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        response
    } else {
        let file = CaseFileView {
            request_id: id,
            generated_at,
            case: view,
            documents: current.documents().iter().map(DocumentView::from).collect(),
            signatures: current
                .signatures()
                .iter()
                .map(|s| SignatureView::new(id, s))
                .collect(),
            accesses,
            events: events.into_iter().map(CaseFileEvent::from).collect(),
        };
        reads::record(&state, &case.caller, id, CaseRead::CaseFile, query.why).await?;
        Json(file).into_response()
    };
    let extension = if html { "html" } else { "json" };
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    if let Ok(disposition) =
        HeaderValue::from_str(&format!("attachment; filename=\"arreta-{id}.{extension}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// Whether the caller prefers the readable page: `text/html` weighs more in `Accept` than JSON
/// does (a wildcard counting for both). JSON stays the default (no `Accept`, `*/*`, a tie), as
/// it was before the page existed.
fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let (mut html, mut json) = (0.0_f32, 0.0_f32);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let (for_html, for_json) = match media.as_str() {
            "text/html" => (true, false),
            "application/json" => (false, true),
            "text/*" => (true, false),
            "application/*" => (false, true),
            "*/*" => (true, true),
            _ => (false, false),
        };
        if for_html {
            html = html.max(q);
        }
        if for_json {
            json = json.max(q);
        }
    }
    html > json
}

impl From<LoggedEvent> for CaseFileEvent {
    fn from(e: LoggedEvent) -> Self {
        let text = |key: &str| {
            e.metadata
                .get(key)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        Self {
            sequence: e.sequence,
            event_type: e.event_type.clone(),
            recorded_at: e.recorded_at,
            actor: text("actor"),
            role: text("role"),
            data: e.payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn the_page_only_when_html_weighs_more_than_json() {
        assert!(!wants_html(&HeaderMap::new()), "no Accept: JSON as before");
        assert!(!wants_html(&accept("*/*")));
        assert!(!wants_html(&accept(
            "application/json, application/problem+json"
        )));
        assert!(wants_html(&accept("text/html, application/problem+json")));
        // What a browser sends when it navigates.
        assert!(wants_html(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!wants_html(&accept("text/html;q=0.5, application/json")));
        assert!(
            !wants_html(&accept("text/html, application/json")),
            "a tie is JSON"
        );
        assert!(wants_html(&accept("text/*")));
    }
}
