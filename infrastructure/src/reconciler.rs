//! Releases agenda reservations left without their booking: a crash between reserving a room
//! and booking the case, or between moving a booking and releasing its old room. Runs beside the
//! projectors, under its own advisory lock so one instance works at a time.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use domain::metadata::EventMetadata;
use domain::slot::Slot;
use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

use crate::booking::{BookingError, BookingService};
use crate::read_models;

pub struct Reconciler {
    pub pool: PgPool,
    pub booking: Arc<BookingService>,
    pub grace: Duration,
    pub interval: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Booking(#[from] BookingError),
}

impl Reconciler {
    /// One pass; gives how many reservations were released.
    pub async fn run_once(&self) -> Result<usize, ReconcileError> {
        let mut lock_conn = self.pool.acquire().await?;
        let locked: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_lock(hashtextextended('arreta.reconciler', 0))",
        )
        .fetch_one(&mut *lock_conn)
        .await?;
        if !locked {
            return Ok(0);
        }
        let result = self.release_orphans().await;
        sqlx::query("SELECT pg_advisory_unlock(hashtextextended('arreta.reconciler', 0))")
            .execute(&mut *lock_conn)
            .await?;
        result
    }

    async fn release_orphans(&self) -> Result<usize, ReconcileError> {
        let now = Utc::now();
        let grace = ChronoDuration::from_std(self.grace).unwrap_or(ChronoDuration::minutes(2));
        let mut conn = self.pool.acquire().await?;
        let suspects = read_models::suspect_reservations(&mut conn, now - grace, 100).await?;
        drop(conn);
        let mut released = 0;
        for entry in suspects {
            let minutes =
                u16::try_from((entry.slot_end - entry.slot_start).num_minutes()).unwrap_or(0);
            let metadata = EventMetadata::system("reconciler", Utc::now(), Uuid::now_v7());
            let slot = Slot::new(entry.slot_start, minutes);
            if self
                .booking
                .release_if_orphaned(entry.request_id, slot, &metadata)
                .await?
            {
                tracing::info!(request_id = %entry.request_id, slot = %entry.slot_start, "released an orphaned reservation");
                released += 1;
            }
        }
        Ok(released)
    }

    pub fn spawn(self, mut shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.changed() => return,
                    _ = tokio::time::sleep(self.interval) => {}
                }
                if let Err(error) = self.run_once().await {
                    tracing::warn!(%error, "reconciliation pass failed");
                }
            }
        })
    }
}
