use async_trait::async_trait;
use domain::agenda::{Agenda, AgendaEvent};
use projections::LoggedEvent;
use projections::agenda::{AgendaChange, change};
use sqlx::PgConnection;

use super::{ProjectionError, Projector};

pub struct AgendaProjector;

#[async_trait]
impl Projector for AgendaProjector {
    fn name(&self) -> &'static str {
        "agenda"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["agenda_reservation"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &LoggedEvent,
    ) -> Result<(), ProjectionError> {
        if event.aggregate_type != <Agenda as cqrs_es::Aggregate>::TYPE {
            return Ok(());
        }
        let payload: AgendaEvent = event.decode()?;
        // Plain INSERT, not an upsert: a reservation applied twice is a bug and must fail loudly.
        let affected = match change(&payload) {
            AgendaChange::Insert(e) => sqlx::query(
                "INSERT INTO agenda_reservation (service_day, request_id, procedure_code, slot_start, \
                   slot_end, room, clerk_id, reserved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(e.day)
            .bind(e.request_id)
            .bind(&e.procedure)
            .bind(e.slot_start)
            .bind(e.slot_end)
            .bind(e.room)
            .bind(&e.clerk)
            .bind(e.reserved_at)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            AgendaChange::Remove {
                request_id,
                slot_start,
            } => sqlx::query("DELETE FROM agenda_reservation WHERE request_id = $1 AND slot_start = $2")
                .bind(request_id)
                .bind(slot_start)
                .execute(&mut *conn)
                .await?
                .rows_affected(),
            AgendaChange::AssignClerk {
                request_id,
                slot_start,
                clerk,
            } => sqlx::query(
                "UPDATE agenda_reservation SET clerk_id = $3 WHERE request_id = $1 AND slot_start = $2",
            )
            .bind(request_id)
            .bind(slot_start)
            .bind(clerk)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            AgendaChange::Nothing => return Ok(()),
        };
        if affected != 1 {
            return Err(ProjectionError::Fold(format!(
                "agenda {}#{}: {} touched {affected} rows, expected 1",
                event.aggregate_id, event.sequence, event.event_type
            )));
        }
        Ok(())
    }
}
