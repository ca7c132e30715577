//! The citizen's own view of who read their data (`projections::accesses`).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use infrastructure::{global_log, staff_search};
use projections::accesses::data_accesses;
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::caller::{Auditors, CaseCaller, ManageLink};
use crate::problem::ApiError;
use crate::routes::responses::CaseAccessProblems;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessView {
    /// `document` or `recording`, or for a staff read of the whole case `history`, `export`
    /// or `case_file`, or `search` when a staff search by personal data returned the case.
    pub kind: &'static str,
    /// The document's file name, or the recording file's key; null for a read of the whole
    /// case; for a search, the filters it used, comma-separated (`national_id`,
    /// `external_reference`, `name`, `email`, `phone`).
    pub subject: Option<String>,
    /// `staff:<id>`, or `citizen:<request>` for the citizen's own reads.
    pub by: String,
    /// The reader's role then: `clerk`, `supervisor`, `auditor`, `citizen`.
    pub role: String,
    pub at: DateTime<Utc>,
    /// The reason given for the read: always for a document or recording; null when a read of
    /// the whole case gave none.
    pub why: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessListView {
    pub request_id: Uuid,
    /// Oldest first.
    pub accesses: Vec<AccessView>,
}

/// Every recorded read of the case's documents and recordings, and every staff read of its
/// history, export or case file: who, in what role, when and why.
/// For the citizen's manage link (also once the case is closed), and for auditors.
#[utoipa::path(get, path = "/v1/requests/{id}/accesses", tag = "cases", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The reads recorded", body = AccessListView),
        CaseAccessProblems,
    ))]
pub async fn list(
    State(state): State<AppState>,
    case: CaseCaller<Auditors, ManageLink>,
) -> Result<Json<AccessListView>, ApiError> {
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
    if events.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(AccessListView {
        request_id: id,
        accesses: views(&mut conn, id, &events).await?,
    }))
}

/// The reads recorded in the case's `events`, and the staff searches that returned it (kept
/// beside the log, `infrastructure::staff_search`), oldest first, as the API shows them.
pub(crate) async fn views(
    conn: &mut PgConnection,
    request_id: Uuid,
    events: &[projections::LoggedEvent],
) -> Result<Vec<AccessView>, ApiError> {
    let mut all = read_views(events)?;
    all.extend(
        staff_search::searches_that_found(conn, request_id)
            .await?
            .into_iter()
            .map(|found| AccessView {
                kind: "search",
                subject: Some(found.kinds.join(",")),
                by: format!("staff:{}", found.staff_id),
                role: found.role,
                at: found.searched_at,
                why: None,
            }),
    );
    // Stable: reads recorded at the same instant keep the log's order.
    all.sort_by_key(|a| a.at);
    Ok(all)
}

fn read_views(events: &[projections::LoggedEvent]) -> Result<Vec<AccessView>, ApiError> {
    Ok(data_accesses(events)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .into_iter()
        .map(|a| AccessView {
            kind: a.kind.as_str(),
            subject: a.subject,
            by: a.by,
            role: a.role,
            at: a.at,
            why: a.why,
        })
        .collect())
}
