use axum::Json;
use axum::extract::State;
use domain::procedure::Bilingual;
use serde::Serialize;
use utoipa::ToSchema;

use crate::caller::{Anyone, Authorized};
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
}

/// The catalogue of procedures that can be handled by video call.
#[utoipa::path(get, path = "/v1/procedures", tag = "catalogue",
    responses((status = 200, description = "The catalogue", body = ProcedureList)))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Authorized<Anyone>,
) -> Json<ProcedureList> {
    let items = state
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
    Json(ProcedureList { items })
}
