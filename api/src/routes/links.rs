//! The citizen's own way back to a lost link: the DNI/NIE and the email of the booking, and the
//! manage link goes again to the address on file.
//!
//! The answer is the same (202) whether anything matched or not, so the form tells nobody
//! whether a person has an appointment; the link never travels in the answer. The case caps
//! resends per day (`ManageLinkRequested`), and the public rate limit caps the callers.

use axum::extract::State;
use axum::http::StatusCode;
use domain::citizen_request::{CitizenRequestCommand, RequestManageLink};
use domain::values::{Email, NationalId};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::caller::{Anyone, Authorized};
use crate::extract::ApiJson;
use crate::messages::FieldIssue;
use crate::problem::{ApiError, ProblemBody};
use crate::routes::requests::Fields;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManageLinkBody {
    /// The DNI/NIE the appointment was booked with.
    #[schema(example = "12345678Z")]
    pub national_id: String,
    /// The email the appointment was booked with.
    #[schema(example = "miren@example.org")]
    pub email: String,
}

/// Send the manage link of every active appointment booked with this DNI/NIE and email again,
/// to that email. Always 202 for a well-formed body, matched or not.
#[utoipa::path(post, path = "/v1/links/manage", tag = "booking", request_body = ManageLinkBody,
    responses(
        (status = 202, description = "If an active appointment matches, its manage link is on its way to the email on file"),
        (status = 400, description = "Malformed body", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a DNI/NIE or not an email address", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn resend_manage(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Anyone>,
    ApiJson(body): ApiJson<ManageLinkBody>,
) -> Result<StatusCode, ApiError> {
    let mut f = Fields::default();
    let national_id = f.take(
        "national_id",
        NationalId::parse(&body.national_id),
        FieldIssue::Value,
    );
    let email = f.take("email", Email::parse(&body.email), FieldIssue::Value);
    f.finish()?;
    let (Some(national_id), Some(email)) = (national_id, email) else {
        return Err(ApiError::Internal("a parsed field went missing".into()));
    };
    let cases: Vec<Uuid> = sqlx::query_scalar(
        "SELECT request_id FROM case_summary
          WHERE status = 'booked' AND citizen_national_id = $1 AND lower(citizen_email) = lower($2)",
    )
    .bind(national_id.as_str())
    .bind(email.as_str())
    .fetch_all(&state.pool)
    .await?;
    let now = state.booking.now();
    for request_id in cases {
        let command = CitizenRequestCommand::RequestManageLink(RequestManageLink { at: now });
        // A case that refuses (asked too often today, or just ended) sends nothing; the answer
        // stays the same so that it says nothing about the case.
        if let Err(error) = state
            .booking
            .execute(request_id, command, &caller.metadata(now), None)
            .await
        {
            tracing::info!(%request_id, %error, "manage link not sent again");
        }
    }
    Ok(StatusCode::ACCEPTED)
}
