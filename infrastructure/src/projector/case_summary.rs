use async_trait::async_trait;
use projections::LoggedEvent;
use projections::case_summary::{self, CaseSummary};
use sqlx::PgConnection;

use super::{ProjectionError, Projector};
use crate::read_models;

pub struct CaseSummaryProjector;

#[async_trait]
impl Projector for CaseSummaryProjector {
    fn name(&self) -> &'static str {
        "case_summary"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["case_summary"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &LoggedEvent,
    ) -> Result<(), ProjectionError> {
        let Some((request_id, payload)) = super::citizen_request_event(event)? else {
            return Ok(());
        };
        let current = read_models::case_summary(conn, request_id).await?;
        let summary = case_summary::apply(
            current,
            request_id,
            event.sequence,
            &payload,
            event.recorded_at,
        )
        .map_err(|e| ProjectionError::Fold(e.to_string()))?;
        upsert(conn, &summary).await?;
        Ok(())
    }
}

async fn upsert(conn: &mut PgConnection, s: &CaseSummary) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_summary (request_id, version, events_applied, status, procedure_code, \
           slot_start, slot_minutes, room, channel, language, citizen_name, citizen_national_id, \
           citizen_email, citizen_phone, external_reference, reschedule_count, cancellation_reason, \
           cancelled_by, outcome, closing_summary, registry_entry, booked_at, updated_at, \
           personal_data_erased) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24) \
         ON CONFLICT (request_id) DO UPDATE SET version = $2, events_applied = $3, status = $4, \
           procedure_code = $5, slot_start = $6, slot_minutes = $7, room = $8, channel = $9, \
           language = $10, citizen_name = $11, citizen_national_id = $12, citizen_email = $13, \
           citizen_phone = $14, external_reference = $15, reschedule_count = $16, \
           cancellation_reason = $17, cancelled_by = $18, outcome = $19, closing_summary = $20, \
           registry_entry = $21, booked_at = $22, updated_at = $23, personal_data_erased = $24",
    )
    .bind(s.request_id)
    .bind(s.version)
    .bind(s.events_applied)
    .bind(s.status.as_str())
    .bind(&s.procedure)
    .bind(s.slot_start)
    .bind(s.slot_minutes)
    .bind(s.room)
    .bind(&s.channel)
    .bind(&s.language)
    .bind(&s.citizen_name)
    .bind(&s.citizen_national_id)
    .bind(&s.citizen_email)
    .bind(&s.citizen_phone)
    .bind(&s.external_reference)
    .bind(s.reschedule_count)
    .bind(&s.cancellation_reason)
    .bind(&s.cancelled_by)
    .bind(&s.outcome)
    .bind(&s.closing_summary)
    .bind(&s.registry_entry)
    .bind(s.booked_at)
    .bind(s.updated_at)
    .bind(s.personal_data_erased)
    .execute(conn)
    .await?;
    Ok(())
}
