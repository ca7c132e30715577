//! The limits per DNI/NIE and email, enforced where two bookings of one person could race.
//!
//! A hold is a transaction that takes an advisory lock per DNI/NIE and per mailbox, reads the
//! person's active appointments, asks the domain (`BookingLimits::check`) and spends the
//! challenge. The booking itself is made while the hold is open; the hold then records it in
//! `recent_bookings` (the limits see it before the case summary does) and commits. A booking
//! that fails drops the hold: the transaction rolls back, the challenge is not spent, nothing is
//! written. A crash between the booking and the hold's commit loses only the `recent_bookings`
//! row, which the case summary replaces once projected. Rows stay a little longer than the surge
//! window, since the challenge's difficulty follows how many were made in it.

use chrono::{DateTime, Utc};
use domain::booking_limits::{ActiveAppointment, Booker, BookingLimits, LimitRefused};
use domain::values::{Email, NationalId, ProcedureCode};
use sqlx::{PgPool, Postgres, Row, Transaction};

use super::challenge::Solved;
use crate::booking::NewBooking;

#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(transparent)]
    Refused(#[from] LimitRefused),
    #[error("the challenge was already used")]
    Spent,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// How far back the surge of anonymous bookings is counted.
pub const SURGE_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

#[derive(Clone)]
pub struct BookingGuard {
    pool: PgPool,
    limits: BookingLimits,
}

/// An open hold on one person's bookings: commit it once the booking is made, or drop it.
pub struct Hold {
    tx: Transaction<'static, Postgres>,
}

impl BookingGuard {
    pub fn new(pool: PgPool, limits: BookingLimits) -> Self {
        Self { pool, limits }
    }

    /// Locks the person's bookings, checks the limits and spends the challenge. `None` when this
    /// very booking was already made (a retry with the same `Idempotency-Key`, whose request id
    /// is the same): it converges on the case as it is, and must not be refused by itself.
    pub async fn hold(
        &self,
        booking: &NewBooking,
        challenge: &Solved,
    ) -> Result<Option<Hold>, GuardError> {
        let national_id = &booking.citizen.national_id;
        let email = &booking.citizen.email;
        let mut tx = self.pool.begin().await?;
        let made: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM case_summary WHERE request_id = $1)
                 OR EXISTS (SELECT 1 FROM recent_bookings WHERE request_id = $1)",
        )
        .bind(booking.request_id)
        .fetch_one(&mut *tx)
        .await?;
        if made {
            return Ok(None);
        }
        // Always in this order (person, then mailbox), so two holds never wait on each other
        // in a circle. The locks go with the transaction, whatever ends it.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('booking-guard:id:' || $1, 0))")
            .bind(national_id.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtextextended('booking-guard:email:' || lower($1), 0))",
        )
        .bind(email.as_str())
        .execute(&mut *tx)
        .await?;
        let active = active_appointments(&mut tx, national_id, email).await?;
        self.limits.check(
            Booker::Citizen,
            national_id,
            email,
            &booking.procedure,
            &active,
        )?;
        // A concurrent hold spending the same challenge waits here for this one to end.
        let spent = sqlx::query(
            "INSERT INTO spent_challenges (id, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&challenge.id)
        .bind(challenge.expires_at)
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() == 0 {
            return Err(GuardError::Spent);
        }
        Ok(Some(Hold { tx }))
    }

    /// Anonymous web bookings made since `since` (what the challenge's difficulty follows).
    pub async fn recent_bookings(&self, since: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM recent_bookings WHERE booked_at > $1")
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

impl Hold {
    /// The booking was made: record it for the next check, tidy up, release the person.
    pub async fn commit(
        mut self,
        booking: &NewBooking,
        at: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO recent_bookings (request_id, national_id, email, procedure_code, booked_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(booking.request_id)
        .bind(booking.citizen.national_id.as_str())
        .bind(booking.citizen.email.as_str())
        .bind(booking.procedure.as_str())
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        // Rows past the surge window (the limits read projected cases from the case summary),
        // and challenges past their expiry (a spent one cannot be replayed after it expires).
        sqlx::query("DELETE FROM recent_bookings WHERE booked_at < $1")
            .bind(at - SURGE_WINDOW - chrono::Duration::minutes(5))
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM spent_challenges WHERE expires_at < $1")
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await
    }
}

/// The active appointments of this DNI/NIE or this mailbox: booked cases in the case summary,
/// and bookings made since that the summary does not show yet.
async fn active_appointments(
    tx: &mut Transaction<'static, Postgres>,
    national_id: &NationalId,
    email: &Email,
) -> Result<Vec<ActiveAppointment>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT citizen_national_id AS national_id, citizen_email AS email, procedure_code
           FROM case_summary
          WHERE status = 'booked' AND (citizen_national_id = $1 OR lower(citizen_email) = lower($2))
         UNION ALL
         SELECT r.national_id, r.email, r.procedure_code
           FROM recent_bookings r
          WHERE (r.national_id = $1 OR lower(r.email) = lower($2))
            AND NOT EXISTS (SELECT 1 FROM case_summary s WHERE s.request_id = r.request_id)",
    )
    .bind(national_id.as_str())
    .bind(email.as_str())
    .fetch_all(&mut **tx)
    .await?;
    // Rows that no longer parse (data from before a rule tightened) cannot be this person's
    // anyway: they are left out rather than failing every booking.
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(ActiveAppointment {
                national_id: NationalId::parse(row.try_get::<&str, _>("national_id").ok()?).ok()?,
                email: Email::parse(row.try_get::<&str, _>("email").ok()?).ok()?,
                procedure: ProcedureCode::parse(row.try_get::<&str, _>("procedure_code").ok()?)
                    .ok()?,
            })
        })
        .collect())
}
