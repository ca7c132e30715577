//! Anonymous booking's guards over HTTP: the challenge handed out, and the hold a web booking
//! takes before it is made (`infrastructure::booking_guard`). Staff bookings pass untouched.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use infrastructure::booking::NewBooking;
use infrastructure::booking_guard::Hold;
use infrastructure::booking_guard::challenge::surge_bits;
use infrastructure::booking_guard::guard::SURGE_WINDOW;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::caller::{Anyone, Authorized, Caller, Principal};
use crate::problem::{ApiError, ProblemBody};
use crate::state::AppState;

/// The proof of work that comes with an anonymous booking.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofBody {
    /// The `challenge` of `GET /v1/booking-challenge`, as given.
    pub challenge: String,
    /// Decimal digits: SHA-256 of `challenge + ":" + nonce` starts with `difficulty` zero bits.
    #[schema(example = "183204", pattern = "^[0-9]{1,20}$")]
    pub nonce: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeView {
    /// Opaque; single use.
    pub challenge: String,
    /// Leading zero bits the SHA-256 of `challenge + ":" + nonce` must have.
    #[schema(example = 20)]
    pub difficulty: u8,
    pub expires_at: DateTime<Utc>,
}

/// A proof-of-work challenge for one anonymous web booking. Find the smallest decimal `nonce`
/// (0, 1, 2, ...) such that SHA-256 of the UTF-8 text `challenge + ":" + nonce` begins with
/// `difficulty` zero bits, and send both as `proof` in `POST /v1/requests`. A browser takes
/// about a second; each challenge books once, until `expires_at`. While anonymous bookings
/// surge the difficulty rises (one bit each time they double past
/// `booking_guard.surge_bookings` in 10 minutes). Staff bookings need none.
#[utoipa::path(get, path = "/v1/booking-challenge", tag = "booking",
    responses(
        (status = 200, description = "A challenge; not to be cached", body = ChallengeView),
        (status = 503, description = "Database unavailable", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn challenge(
    State(state): State<AppState>,
    _caller: Authorized<Anyone>,
) -> Result<Response, ApiError> {
    let now = state.booking.now();
    let settings = &state.settings.booking_guard;
    let recent = state
        .booking_guard
        .recent_bookings(now - SURGE_WINDOW)
        .await?;
    let bits = surge_bits(
        settings.challenge_bits,
        recent,
        u64::from(settings.surge_bookings),
        settings.max_extra_bits,
    );
    let issued = state.challenges.issue_at(now, bits);
    let mut response = Json(ChallengeView {
        challenge: issued.text,
        difficulty: issued.bits,
        expires_at: issued.expires_at,
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Before an anonymous booking is made: the proof must hold, and the person's limits allow it.
/// `None` for staff, who are not held to either. Checks that fail write nothing.
pub async fn hold(
    state: &AppState,
    caller: &Caller,
    booking: &NewBooking,
    proof: Option<&ProofBody>,
) -> Result<Option<Hold>, ApiError> {
    if caller.principal != Principal::Anonymous {
        return Ok(None);
    }
    let proof = proof.ok_or(ApiError::ChallengeRequired)?;
    let solved = state
        .challenges
        .check(&proof.challenge, &proof.nonce, state.booking.now())
        .map_err(ApiError::ChallengeInvalid)?;
    Ok(state.booking_guard.hold(booking, &solved).await?)
}

/// After it was made: the hold records it. The booking stands even if this fails (the case
/// summary will show it to the next check), so the citizen is answered with it.
pub async fn release(hold: Option<Hold>, booking: &NewBooking, at: DateTime<Utc>) {
    if let Some(hold) = hold
        && let Err(error) = hold.commit(booking, at).await
    {
        tracing::warn!(%error, request = %booking.request_id, "the booking guard could not record a booking");
    }
}
