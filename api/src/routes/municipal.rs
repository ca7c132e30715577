//! The council's appointment system: appointments made there (by the 010 operators or its web),
//! applied here by their reference.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::citizen_request::{Channel, CitizenRequestError};
use infrastructure::municipal::{MunicipalAppointment, SyncOutcome, request_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::caller::{Authorized, MunicipalSystem};
use crate::extract::ApiJson;
use crate::messages::{FieldIssue, InvalidField};
use crate::problem::{ApiError, ProblemBody};
use crate::routes::requests::{BookBody, CitizenBody, current_case};
use crate::routes::views::CaseView;
use crate::state::AppState;

/// An appointment as the municipal system has it now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MunicipalAppointmentBody {
    /// The appointment's reference there: 1 to 64 printable characters.
    #[schema(example = "CITA-2026-000123", min_length = 1, max_length = 64)]
    pub reference: String,
    /// `booked` or `cancelled`.
    #[schema(pattern = "^(booked|cancelled)$")]
    pub status: String,
    #[schema(example = "PADRON-ALTA", pattern = "^[A-Za-z0-9-]{2,32}$")]
    pub procedure: String,
    /// RFC 3339 with offset; one of the starts `/v1/availability` proposes.
    #[schema(example = "2026-12-02T09:00:00+01:00", format = DateTime)]
    pub start: String,
    /// `eu` or `es`.
    #[schema(pattern = "^(eu|es|EU|ES)$")]
    pub language: String,
    pub citizen: CitizenBody,
    /// Why it was cancelled, when `cancelled`.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncView {
    /// `created`, `rescheduled`, `cancelled` or `unchanged` (a replay).
    pub outcome: String,
    pub case: CaseView,
}

/// Create, move or cancel the video appointment of a municipal reference. Idempotent: sending an
/// appointment's state again changes nothing. Changes made here are not pushed back.
#[utoipa::path(post, path = "/v1/integrations/municipal/appointments", tag = "integrations",
    request_body = MunicipalAppointmentBody,
    responses(
        (status = 201, description = "Booked here", body = SyncView),
        (status = 200, description = "Moved, cancelled, or already so", body = SyncView),
        (status = 400, description = "Malformed body", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not the municipal system", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "A cancellation for a reference never booked here", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The slot is not free, the procedure differs, or the case no longer allows it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid data or a slot that cannot be booked", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; nothing written", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn appointment(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<MunicipalSystem>,
    ApiJson(body): ApiJson<MunicipalAppointmentBody>,
) -> Result<Response, ApiError> {
    let appointment = body.parse()?;
    let (outcome, done) = state
        .booking
        .sync_municipal(appointment, &caller.metadata(state.booking.now()))
        .await?;
    let status = match outcome {
        SyncOutcome::Created => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    let view = SyncView {
        outcome: outcome.as_str().into(),
        case: current_case(&state, done.request_id).await?,
    };
    Ok((status, Json(view)).into_response())
}

impl MunicipalAppointmentBody {
    /// Every field checked at once, with the booking's own parsing.
    pub fn parse(self) -> Result<MunicipalAppointment, ApiError> {
        let reference = self.reference.trim().to_string();
        let mut invalid = Vec::new();
        if reference.is_empty()
            || reference.chars().count() > 64
            || reference.chars().any(char::is_control)
        {
            invalid.push(InvalidField::new(
                "reference",
                FieldIssue::Request(CitizenRequestError::ExternalReference),
            ));
        }
        let cancelled = match self.status.as_str() {
            "booked" => None,
            "cancelled" => Some(self.reason.unwrap_or_default()),
            _ => {
                invalid.push(InvalidField::new(
                    "status",
                    FieldIssue::OneOf(&["booked", "cancelled"]),
                ));
                None
            }
        };
        let parsed = BookBody {
            procedure: self.procedure,
            start: self.start,
            channel: None,
            language: self.language,
            citizen: self.citizen,
            external_reference: None,
            proof: None,
        }
        .parse(request_id(&reference));
        let mut booking = match parsed {
            Ok(booking) if invalid.is_empty() => booking,
            Ok(_) => return Err(ApiError::Invalid(invalid)),
            Err(ApiError::Invalid(mut more)) => {
                invalid.append(&mut more);
                return Err(ApiError::Invalid(invalid));
            }
            Err(other) => return Err(other),
        };
        booking.channel = Channel::MunicipalSync;
        booking.external_reference = Some(reference.clone());
        Ok(MunicipalAppointment {
            reference,
            booking,
            cancelled,
        })
    }
}
