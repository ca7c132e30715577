//! The webhook sender: pushes `webhook_outbox` rows to the municipal system, signed, in order per
//! case, retrying with backoff until it answers 2xx.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use tokio::sync::watch;
use uuid::Uuid;

use super::cloud_event::signature;
use super::settings::MunicipalSettings;
use crate::clock::Clock;

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pushed {
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
}

pub struct WebhookSender {
    pub pool: PgPool,
    pub client: reqwest::Client,
    pub url: String,
    pub secret: Vec<u8>,
    pub settings: MunicipalSettings,
    pub clock: Arc<dyn Clock>,
}

struct Claimed {
    event_id: Uuid,
    body: String,
    attempts: i32,
}

impl WebhookSender {
    pub fn new(
        pool: PgPool,
        settings: &MunicipalSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<Self>, String> {
        let (Some(url), Some(secret)) = (&settings.webhook_url, &settings.webhook_secret) else {
            return Ok(None);
        };
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(settings.timeout_seconds))
            // A redirect is an answer other than 2xx: retried, never followed. Following one
            // turned the POST into a GET elsewhere, dropped the body and marked it delivered.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Some(Self {
            pool,
            client,
            url: url.clone(),
            secret: secret.as_bytes().to_vec(),
            settings: settings.clone(),
            clock,
        }))
    }

    /// Pushes what is due, case by case in sequence order, until nothing is.
    pub async fn run_once(&self) -> Result<Pushed, sqlx::Error> {
        let mut pushed = Pushed::default();
        loop {
            let rows = self.claim().await?;
            if rows.is_empty() {
                return Ok(pushed);
            }
            for row in rows {
                self.push(row, &mut pushed).await?;
            }
        }
    }

    /// Runs rounds until shutdown; a round under way finishes first.
    pub fn spawn(self, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let poll = std::time::Duration::from_millis(self.settings.poll_interval_ms);
        let sender = Arc::new(self);
        crate::rounds::spawn_rounds("webhook", poll, shutdown, move || {
            let sender = sender.clone();
            async move { sender.run_once().await }
        })
    }

    /// Leases the oldest pending event of each case that is due (a case's later events wait
    /// until it is delivered), committed before anything is sent.
    async fn claim(&self) -> Result<Vec<Claimed>, sqlx::Error> {
        let now = self.clock.now();
        let lease = Duration::seconds(2 * self.settings.timeout_seconds as i64 + 5);
        sqlx::query(
            "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = $2 \
             WHERE event_id IN ( \
               SELECT o.event_id FROM webhook_outbox o \
               WHERE o.status = 'pending' AND o.next_attempt_at <= $1 \
                 AND NOT EXISTS (SELECT 1 FROM webhook_outbox e \
                   WHERE e.request_id = o.request_id AND e.status = 'pending' AND e.sequence < o.sequence) \
               ORDER BY o.created_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING event_id, body, attempts",
        )
        .bind(now)
        .bind(now + lease)
        .bind(self.settings.batch_size)
        .try_map(|r: PgRow| {
            Ok(Claimed {
                event_id: r.try_get("event_id")?,
                body: r.try_get("body")?,
                attempts: r.try_get("attempts")?,
            })
        })
        .fetch_all(&self.pool)
        .await
    }

    async fn push(&self, row: Claimed, pushed: &mut Pushed) -> Result<(), sqlx::Error> {
        let sent = self
            .client
            .post(&self.url)
            .header("content-type", "application/cloudevents+json")
            .header("x-arreta-event-id", row.event_id.to_string())
            .header(
                "x-arreta-signature",
                signature(&self.secret, row.body.as_bytes()),
            )
            .body(row.body.clone())
            .send()
            .await;
        let failure = match sent {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(format!("answered {}", response.status())),
            Err(error) if error.is_timeout() => Some("timed out".to_string()),
            Err(error) => Some(format!("unreachable: {error}")),
        };
        let now = self.clock.now();
        match failure {
            None => {
                sqlx::query(
                    "UPDATE webhook_outbox SET status = 'delivered', delivered_at = $2, last_error = NULL \
                     WHERE event_id = $1 AND status = 'pending'",
                )
                .bind(row.event_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                pushed.delivered += 1;
            }
            Some(reason) if row.attempts >= self.settings.max_attempts => {
                tracing::error!(event_id = %row.event_id, %reason, "webhook given up");
                self.settle(row.event_id, "failed", &reason, now).await?;
                pushed.failed += 1;
            }
            Some(reason) => {
                let retry_at = now
                    + crate::retry::backoff(
                        row.attempts,
                        self.settings.retry_base_seconds,
                        self.settings.retry_max_seconds,
                    );
                tracing::warn!(event_id = %row.event_id, attempts = row.attempts, %reason, "webhook failed");
                self.settle(row.event_id, "pending", &reason, retry_at)
                    .await?;
                pushed.retried += 1;
            }
        }
        Ok(())
    }

    async fn settle(
        &self,
        event_id: Uuid,
        status: &str,
        reason: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE webhook_outbox SET status = $2, last_error = $3, next_attempt_at = $4 \
             WHERE event_id = $1 AND status = 'pending'",
        )
        .bind(event_id)
        .bind(status)
        .bind(reason)
        .bind(next_attempt_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
