//! Erasing one case's personal data: recorded on the case first, then the key destroyed and the
//! read models' copies cleared, in one transaction.
//!
//! The order makes a crash harmless either way. Recorded but not destroyed: the next run finds
//! `PersonalDataErased` without an erased key and finishes (the domain makes the second record
//! a no-op). Nothing is destroyed before it is recorded, so the log never lacks the reason its
//! data reads as erased.

use domain::citizen_request::{CitizenRequestCommand, ErasePersonalData};
use domain::metadata::EventMetadata;
use sqlx::PgPool;
use uuid::Uuid;

use super::{PersonalData, PersonalDataError, keys};
use crate::booking::{BookingError, BookingService};

#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    #[error(transparent)]
    Case(#[from] BookingError),
    #[error(transparent)]
    PersonalData(#[from] PersonalDataError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErasureOutcome {
    /// `PersonalDataErased` was appended by this call (not by an earlier, interrupted one).
    pub recorded_now: bool,
    /// The case key was destroyed by this call.
    pub key_destroyed_now: bool,
}

pub async fn erase_case(
    booking: &BookingService,
    pool: &PgPool,
    personal: &PersonalData,
    request_id: Uuid,
    metadata: &EventMetadata,
) -> Result<ErasureOutcome, ErasureError> {
    let command = CitizenRequestCommand::ErasePersonalData(ErasePersonalData { at: booking.now() });
    let (_, events) = booking.execute(request_id, command, metadata, None).await?;
    let mut tx = pool.begin().await.map_err(PersonalDataError::from)?;
    let key_destroyed_now = keys::erase(&mut tx, personal, request_id).await?;
    clear_copies(&mut tx, request_id).await?;
    tx.commit().await.map_err(PersonalDataError::from)?;
    Ok(ErasureOutcome {
        recorded_now: !events.is_empty(),
        key_destroyed_now,
    })
}

/// The read models that copy a citizen's data. The case summary is cleared here rather than
/// left to its projector, so nothing stays readable until the projector gets there; the
/// webhook bodies already delivered go (they were the exact JSON sent, citizen included).
async fn clear_copies(
    conn: &mut sqlx::PgConnection,
    request_id: Uuid,
) -> Result<(), PersonalDataError> {
    sqlx::query(
        "UPDATE case_summary SET citizen_name = '', citizen_national_id = '', citizen_email = '', \
         citizen_phone = NULL, cancellation_reason = CASE WHEN cancellation_reason IS NULL \
         THEN NULL ELSE '' END, closing_summary = CASE WHEN closing_summary IS NULL THEN NULL \
         ELSE '' END, personal_data_erased = true WHERE request_id = $1",
    )
    .bind(request_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM webhook_outbox WHERE request_id = $1 AND status <> 'pending'")
        .bind(request_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM recent_bookings WHERE request_id = $1")
        .bind(request_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
