use axum::Json;
use axum::extract::State;
use domain::procedure::Bilingual;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::caller::{Anyone, Authorized};
use crate::extract::ApiQuery;
use crate::pagination::page;
use crate::problem::{ApiError, ProblemBody};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct BilingualText {
    pub eu: String,
    pub es: String,
}

impl From<&Bilingual> for BilingualText {
    fn from(text: &Bilingual) -> Self {
        Self {
            eu: text.eu.clone(),
            es: text.es.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureView {
    #[schema(example = "PADRON-ALTA")]
    pub code: String,
    pub name: BilingualText,
    /// Length of the appointment.
    pub minutes: u16,
    /// Documents the citizen will usually be asked for.
    pub documents: Vec<BilingualText>,
    pub signature_required: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureList {
    pub items: Vec<ProcedureView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProcedureQuery {
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Procedures per page, 1 to 200 (50 by default).
    pub limit: Option<u32>,
}

/// The catalogue of procedures that can be handled by video call.
#[utoipa::path(get, path = "/v1/procedures", tag = "catalogue", params(ProcedureQuery),
    responses(
        (status = 200, description = "The catalogue", body = ProcedureList),
        (status = 400, description = "Invalid cursor or limit", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Authorized<Anyone>,
    ApiQuery(query): ApiQuery<ProcedureQuery>,
) -> Result<Json<ProcedureList>, ApiError> {
    let items: Vec<ProcedureView> = state
        .booking
        .catalogue()
        .iter()
        .map(|p| ProcedureView {
            code: p.code.as_str().to_string(),
            name: (&p.name).into(),
            minutes: p.minutes,
            documents: p.documents.iter().map(Into::into).collect(),
            signature_required: p.signature_required,
        })
        .collect();
    let (items, next_cursor) = page(
        items,
        query.cursor.as_deref(),
        query.limit,
        |p: &ProcedureView| p.code.clone(),
    )?;
    Ok(Json(ProcedureList { items, next_cursor }))
}
