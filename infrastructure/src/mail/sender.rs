//! The mail sender: takes messages that came due from the outbox, writes them from the case as
//! it stood when they were called for, hands them to the transport, and records each delivery
//! on the case as `NotificationSent`.
//!
//! Delivery is at least once with a stable Message-ID. A message is marked sent right after the
//! relay accepts it; only a crash inside that instant sends it again, with the same Message-ID.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use cqrs_es::Aggregate;
use domain::citizen_request::{
    CaseStatus, CitizenRequest, CitizenRequestEvent, RecordNotification,
};
use domain::metadata::EventMetadata;
use domain::notification::{NotificationChannel, NotificationKind};
use lettre::Message;
use sqlx::PgPool;
use tokio::sync::watch;

use super::compose::{Composer, Subject};
use super::outbox::{self, EndStatus, OutboxRow};
use super::settings::MailSettings;
use super::transport::{DeliveryError, MailTransport};
use crate::booking::BookingService;
use crate::clock::Clock;
use crate::global_log;
use crate::tokens::Authenticator;

/// Claims per round at most; the rest waits for the next round.
const MAX_PASSES: usize = 50;

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub dropped: usize,
    /// `NotificationSent` events written.
    pub recorded: usize,
}

/// Why a message is not written now.
enum NotNow {
    /// It no longer applies (the appointment moved, ended, or its time has passed).
    Drop(String),
    /// Something failed that may work later.
    Retry(String),
}

pub struct MailSender {
    pub pool: PgPool,
    pub booking: Arc<BookingService>,
    pub authenticator: Arc<Authenticator>,
    pub transport: Arc<MailTransport>,
    pub settings: MailSettings,
    pub clock: Arc<dyn Clock>,
}

impl MailSender {
    /// Records deliveries a crash left unrecorded, then sends what is due.
    pub async fn run_once(&self) -> Result<Round, sqlx::Error> {
        let mut round = Round::default();
        for (row, sent_at) in outbox::sent_unrecorded(&self.pool, self.settings.batch_size).await? {
            self.record(&row, sent_at, &mut round).await?;
        }
        let now = self.clock.now();
        // Long enough for a slow relay to answer (connect and data each within the timeout); a
        // crashed sender's messages are taken again once it runs out.
        let lease = Duration::seconds(2 * self.settings.smtp.timeout_seconds as i64 + 5);
        // Again until nothing is due: a case's next message becomes due once the one before it
        // is settled. Each pass settles or postpones what it took, so this ends.
        for _ in 0..MAX_PASSES {
            let rows = outbox::claim_due(&self.pool, now, lease, self.settings.batch_size).await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                self.deliver(row, &mut round).await?;
            }
        }
        Ok(round)
    }

    /// Runs rounds until shutdown; a round under way finishes first.
    pub fn spawn(self, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let poll = std::time::Duration::from_millis(self.settings.poll_interval_ms);
        let sender = Arc::new(self);
        crate::rounds::spawn_rounds("mail", poll, shutdown, move || {
            let sender = sender.clone();
            async move { sender.run_once().await }
        })
    }

    async fn deliver(&self, row: OutboxRow, round: &mut Round) -> Result<(), sqlx::Error> {
        let now = self.clock.now();
        let message = match self.prepare(&row, now).await {
            Ok(message) => message,
            Err(NotNow::Drop(reason)) => {
                tracing::info!(message_id = %row.message_id, kind = row.kind.as_str(), %reason, "message dropped");
                outbox::mark_ended(&self.pool, row.message_id, EndStatus::Dropped, &reason).await?;
                round.dropped += 1;
                return Ok(());
            }
            Err(NotNow::Retry(reason)) => return self.retry(&row, &reason, now, round).await,
        };
        match self.transport.deliver(row.message_id, &message).await {
            Ok(()) => {
                outbox::mark_sent(&self.pool, row.message_id, now).await?;
                round.sent += 1;
                self.record(&row, now, round).await
            }
            Err(DeliveryError::Transient(reason)) => self.retry(&row, &reason, now, round).await,
            Err(DeliveryError::Permanent(reason)) => {
                tracing::error!(message_id = %row.message_id, request_id = %row.request_id, %reason, "message refused for good");
                outbox::mark_ended(&self.pool, row.message_id, EndStatus::Failed, &reason).await?;
                round.failed += 1;
                Ok(())
            }
        }
    }

    /// Backs off exponentially; gives up after `max_attempts`.
    async fn retry(
        &self,
        row: &OutboxRow,
        reason: &str,
        now: DateTime<Utc>,
        round: &mut Round,
    ) -> Result<(), sqlx::Error> {
        if row.attempts >= self.settings.max_attempts {
            tracing::error!(message_id = %row.message_id, request_id = %row.request_id, attempts = row.attempts, %reason, "message given up");
            outbox::mark_ended(&self.pool, row.message_id, EndStatus::Failed, reason).await?;
            round.failed += 1;
            return Ok(());
        }
        let wait = crate::retry::backoff(
            row.attempts,
            self.settings.retry_base_seconds,
            self.settings.retry_max_seconds,
        );
        tracing::warn!(message_id = %row.message_id, attempts = row.attempts, retry_in_s = wait.num_seconds(), %reason, "delivery failed");
        outbox::mark_retry(&self.pool, row.message_id, reason, now + wait).await?;
        round.retried += 1;
        Ok(())
    }

    async fn record(
        &self,
        row: &OutboxRow,
        sent_at: DateTime<Utc>,
        round: &mut Round,
    ) -> Result<(), sqlx::Error> {
        let metadata = EventMetadata::system("mail", self.clock.now(), row.message_id);
        let recorded = self
            .booking
            .record_notification(
                row.request_id,
                RecordNotification {
                    message_id: row.message_id,
                    kind: row.kind,
                    channel: NotificationChannel::Email,
                    sent_at,
                },
                &metadata,
            )
            .await;
        match recorded {
            Ok(()) => {
                outbox::mark_recorded(&self.pool, row.message_id, self.clock.now()).await?;
                round.recorded += 1;
            }
            // Left for the next round's sweep of sent, unrecorded messages.
            Err(error) => {
                tracing::warn!(message_id = %row.message_id, %error, "recording a sent message failed")
            }
        }
        Ok(())
    }

    /// The message as of its triggering event, unless it no longer applies.
    async fn prepare(&self, row: &OutboxRow, now: DateTime<Utc>) -> Result<Message, NotNow> {
        let retry = |e: &dyn std::fmt::Display| NotNow::Retry(e.to_string());
        let mut conn = self.pool.acquire().await.map_err(|e| retry(&e))?;
        let events = global_log::aggregate_events(
            &mut conn,
            self.booking.personal(),
            CitizenRequest::TYPE,
            &row.request_id.to_string(),
            None,
        )
        .await
        .map_err(|e| retry(&e))?;
        drop(conn);
        let mut current = CitizenRequest::default();
        let mut then = None;
        let mut reschedules = 0u32;
        for logged in &events {
            let event: CitizenRequestEvent = logged.decode().map_err(|e| retry(&e))?;
            if logged.sequence <= row.trigger_sequence
                && matches!(event, CitizenRequestEvent::AppointmentRescheduled { .. })
            {
                reschedules += 1;
            }
            current.apply(event.clone());
            if logged.sequence == row.trigger_sequence {
                then = Some((current.clone(), event));
            }
        }
        let Some((case, trigger)) = then else {
            return Err(NotNow::Retry(format!(
                "event #{} of request {} is not in the store",
                row.trigger_sequence, row.request_id
            )));
        };
        still_applies(row, &current, now).map_err(NotNow::Drop)?;
        if current.personal_data_erased_at().is_some() {
            return Err(NotNow::Drop(
                "the citizen's data was erased: there is no address to write to".into(),
            ));
        }
        let composer = Composer {
            settings: &self.settings,
            catalogue: self.booking.catalogue(),
            timezone: self.booking.calendar().timezone,
            authenticator: &self.authenticator,
        };
        composer
            .compose(
                &Subject {
                    message_id: row.message_id,
                    kind: row.kind,
                    request_id: row.request_id,
                    case: &case,
                    trigger: &trigger,
                    trigger_sequence: row.trigger_sequence,
                    reschedules,
                },
                now,
            )
            .map_err(|e| retry(&e))
    }
}

/// Whether a message still makes sense for the case as it is now. The reactor drops pending
/// messages when the appointment moves or ends; this catches what changed since, and messages
/// that came due too late to help.
fn still_applies(
    row: &OutboxRow,
    current: &CitizenRequest,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let booking = current.booking();
    let live = current.status() == CaseStatus::Booked;
    match row.kind {
        NotificationKind::Reminder | NotificationKind::CallLink => {
            let Some(booking) = booking.filter(|_| live) else {
                return Err(format!("the case is {}", current.status().as_str()));
            };
            if Some(booking.slot.start) != row.slot_start {
                return Err("the appointment moved".into());
            }
            let too_late = match row.kind {
                NotificationKind::Reminder => booking.slot.start,
                _ => booking.slot.end(),
            };
            if now >= too_late {
                return Err("its time has passed".into());
            }
            Ok(())
        }
        NotificationKind::UploadLink if !live => {
            Err(format!("the case is {}", current.status().as_str()))
        }
        _ => Ok(()),
    }
}
