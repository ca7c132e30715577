//! The waiting room: a participant's page says now and again that it is there, so the clerk's
//! page can show who is waiting before the call starts (the signalling socket opens only once
//! it has). Kept in PostgreSQL, so any replica answers; not an event: being in a waiting room
//! is a fact of the moment, not of the case.

use chrono::{DateTime, Utc};
use domain::citizen_request::Participant;
use sqlx::PgPool;
use uuid::Uuid;

/// A participant seen within this long is there.
pub const PRESENT_SECONDS: i64 = 25;

/// Records that `participant` of `request_id`'s call is there at `now`.
pub async fn mark(
    pool: &PgPool,
    request_id: Uuid,
    participant: Participant,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO call_presence (request_id, participant, seen_at) VALUES ($1, $2, $3)
         ON CONFLICT (request_id, participant) DO UPDATE SET seen_at = EXCLUDED.seen_at",
    )
    .bind(request_id)
    .bind(participant.as_str())
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// When `participant` was last seen, if within `PRESENT_SECONDS` of `now`.
pub async fn present_since(
    pool: &PgPool,
    request_id: Uuid,
    participant: Participant,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let seen: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT seen_at FROM call_presence WHERE request_id = $1 AND participant = $2",
    )
    .bind(request_id)
    .bind(participant.as_str())
    .fetch_optional(pool)
    .await?;
    Ok(seen.filter(|at| (now - *at).num_seconds() <= PRESENT_SECONDS))
}
