//! The citizen's own copy of their case file (GDPR art. 15 and 20): everything the case holds
//! about them, machine-readable, through the manage link (also once the case is closed).
//!
//! Unlike the auditors' export it leaves out what is about staff rather than the citizen (the
//! client address and user agent recorded for staff actions) and the chain hashes; who did what
//! and in what role stays, as it is what the citizen has a right to know.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::citizen_request::{CitizenRequest, CitizenRequestEvent};
use infrastructure::global_log;
use projections::LoggedEvent;
use projections::case_summary;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::caller::{Auditors, CaseCaller, ManageLink};
use crate::problem::ApiError;
use crate::routes::accesses::{self, AccessView};
use crate::routes::documents::DocumentView;
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
    /// Every recorded read of the citizen's documents and recordings.
    pub accesses: Vec<AccessView>,
    /// Everything that happened in the case, in order.
    pub events: Vec<CaseFileEvent>,
}

/// The case file, to download: the case, its documents, signatures, the reads of the citizen's
/// data and every event, without staff's network details. The manage link (also once closed),
/// or an auditor or supervisor.
#[utoipa::path(get, path = "/v1/requests/{id}/case-file", tag = "cases", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The case file", body = CaseFileView),
        CaseAccessProblems,
    ))]
pub async fn get(
    State(state): State<AppState>,
    case: CaseCaller<Auditors, ManageLink>,
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
    let file = CaseFileView {
        request_id: id,
        generated_at: state.booking.now(),
        case: CaseView::new(summary, state.booking.calendar().timezone),
        documents: current.documents().iter().map(DocumentView::from).collect(),
        signatures: current
            .signatures()
            .iter()
            .map(|s| SignatureView::new(id, s))
            .collect(),
        accesses: accesses::views(&events)?,
        events: events.into_iter().map(CaseFileEvent::from).collect(),
    };
    let mut response = Json(file).into_response();
    if let Ok(disposition) =
        HeaderValue::from_str(&format!("attachment; filename=\"arreta-{id}.json\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
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
