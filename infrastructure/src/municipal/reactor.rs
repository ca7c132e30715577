//! The webhook reactor: follows the global log and, for each appointment change made here, writes
//! the CloudEvent to push into `webhook_outbox`, in the same transaction as its checkpoint.
//! Changes that came from the municipal system itself are not pushed back (no echo).

use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::citizen_request::{CitizenRequest, CitizenRequestEvent};
use domain::metadata::Role;
use projections::LoggedEvent;
use sqlx::PgConnection;

use super::cloud_event;
use crate::global_log;
use crate::projector::{ProjectionError, Projector};

pub const NAME: &str = "webhook_outbox";

pub struct WebhookReactor {
    pub source: String,
    pub personal: crate::personal_data::PersonalData,
}

#[async_trait]
impl Projector for WebhookReactor {
    fn name(&self) -> &'static str {
        NAME
    }

    /// None: what was pushed is history, never emptied and pushed again.
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &LoggedEvent,
    ) -> Result<(), ProjectionError> {
        let Some((request_id, payload)) = crate::projector::citizen_request_event(event)? else {
            return Ok(());
        };
        let Some(kind) = cloud_event::kind(&payload) else {
            return Ok(());
        };
        if event.metadata.get("role").and_then(|r| r.as_str()) == Some(Role::MunicipalSync.as_str())
        {
            return Ok(());
        }
        // The case as of this event, for what the event itself does not carry.
        let mut case = CitizenRequest::default();
        for logged in global_log::aggregate_events(
            conn,
            &self.personal,
            CitizenRequest::TYPE,
            &event.aggregate_id,
            Some(event.sequence),
        )
        .await?
        {
            let past: CitizenRequestEvent = logged.decode()?;
            case.apply(past);
        }
        let Some(document) = cloud_event::document(
            &self.source,
            request_id,
            event.sequence,
            event.recorded_at,
            &payload,
            &case,
        ) else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO webhook_outbox (event_id, request_id, sequence, event_type, body, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(cloud_event::event_id(request_id, event.sequence))
        .bind(request_id)
        .bind(event.sequence)
        .bind(kind)
        .bind(document.to_string())
        .bind(event.recorded_at)
        .execute(conn)
        .await?;
        Ok(())
    }
}
