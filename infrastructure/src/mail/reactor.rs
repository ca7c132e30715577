//! The mail reactor: follows the global log like a projector and plans each case event's
//! messages into the outbox, in the same transaction as its checkpoint. A crash either keeps the
//! event's rows and the checkpoint past it, or neither; message ids derive from the event, so a
//! replay cannot plan a message twice.

use async_trait::async_trait;
use domain::notification::{NotificationPolicy, plan};
use projections::LoggedEvent;
use sqlx::PgConnection;

use super::outbox;
use crate::projector::{ProjectionError, Projector};

pub const NAME: &str = "mail_outbox";

pub struct MailReactor {
    pub policy: NotificationPolicy,
}

#[async_trait]
impl Projector for MailReactor {
    fn name(&self) -> &'static str {
        NAME
    }

    /// None: the outbox is history (what was sent), never emptied and rebuilt, which would send
    /// every message again. `projections rebuild` does not know this reactor.
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
        let plan = plan(&payload, &self.policy);
        outbox::drop_pending(
            conn,
            request_id,
            &plan.drop_pending,
            &format!("superseded by {} (#{})", event.event_type, event.sequence),
        )
        .await?;
        for planned in &plan.send {
            outbox::enqueue(conn, request_id, event.sequence, planned).await?;
        }
        Ok(())
    }
}
