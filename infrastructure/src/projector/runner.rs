use std::sync::Arc;
use std::time::Duration;

use projections::LogPosition;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool, Row};
use tokio::sync::watch;

use super::{ProjectionError, Projector};
use crate::global_log;
use crate::personal_data::PersonalData;

/// The advisory-lock key of a projector: stable across processes and versions.
const LOCK_SQL: &str = "hashtextextended('arreta.projector.' || $1, 0)";

/// Where a projector stands (START when it has never run).
pub async fn checkpoint(conn: &mut PgConnection, name: &str) -> Result<LogPosition, sqlx::Error> {
    let row = sqlx::query(
        "SELECT transaction_id, global_position FROM projector_checkpoints WHERE projector = $1",
    )
    .bind(name)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(row) => LogPosition {
            transaction_id: row.try_get("transaction_id")?,
            position: row.try_get("global_position")?,
        },
        None => LogPosition::START,
    })
}

async fn save_checkpoint(
    conn: &mut PgConnection,
    name: &str,
    at: LogPosition,
    applied: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projector_checkpoints (projector, transaction_id, global_position, events_applied, updated_at) \
         VALUES ($1, $2, $3, $4, now()) \
         ON CONFLICT (projector) DO UPDATE SET transaction_id = $2, global_position = $3, \
           events_applied = projector_checkpoints.events_applied + $4, updated_at = now()",
    )
    .bind(name)
    .bind(at.transaction_id)
    .bind(at.position)
    .bind(applied)
    .execute(conn)
    .await?;
    Ok(())
}

/// For a reactor put onto a log that already has history: starts its checkpoint at the end of
/// what is readable now instead of replaying everything (for mail, every past message would go
/// out again). Does nothing when the checkpoint exists; returns whether it made one.
pub async fn start_at_end_if_new(pool: &PgPool, name: &str) -> Result<bool, sqlx::Error> {
    let started = sqlx::query(
        "INSERT INTO projector_checkpoints (projector, transaction_id, global_position, events_applied, updated_at) \
         SELECT $1, COALESCE(last.transaction_id, 0), COALESCE(last.global_position, 0), 0, now() \
         FROM (SELECT 1) AS one LEFT JOIN LATERAL ( \
           SELECT transaction_id::text::bigint AS transaction_id, global_position FROM events \
           WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
           ORDER BY transaction_id DESC, global_position DESC LIMIT 1) AS last ON true \
         ON CONFLICT (projector) DO NOTHING",
    )
    .bind(name)
    .execute(pool)
    .await?;
    Ok(started.rows_affected() == 1)
}

/// Applies the next batch of at most `batch` events in one transaction, with the checkpoint.
/// Returns how many were applied (0 when there was nothing, or another instance holds the lock).
pub async fn catch_up(
    pool: &PgPool,
    personal: &PersonalData,
    projector: &dyn Projector,
    batch: i64,
) -> Result<usize, ProjectionError> {
    let mut tx = pool.begin().await?;
    // An advisory lock takes no transaction id, so it does not hold back pg_snapshot_xmin.
    let locked: bool = sqlx::query_scalar(&format!("SELECT pg_try_advisory_xact_lock({LOCK_SQL})"))
        .bind(projector.name())
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(0);
    }
    let from = checkpoint(&mut tx, projector.name()).await?;
    let events = global_log::read_after(&mut tx, personal, from, batch).await?;
    let Some(last) = events.last().map(|e| e.log) else {
        return Ok(0);
    };
    for event in &events {
        projector.apply(&mut tx, event).await?;
    }
    save_checkpoint(&mut tx, projector.name(), last, events.len() as i64).await?;
    tx.commit().await?;
    Ok(events.len())
}

/// Rebuilds a read model from position zero in one transaction: readers see the old rows until
/// the new ones are complete. Events committed after the rebuild's own transaction began are
/// left past its checkpoint, for the runner to apply as usual.
pub async fn rebuild(
    pool: &PgPool,
    personal: &PersonalData,
    projector: &dyn Projector,
    batch: i64,
) -> Result<u64, ProjectionError> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("SELECT pg_advisory_xact_lock({LOCK_SQL})"))
        .bind(projector.name())
        .execute(&mut *tx)
        .await?;
    for table in projector.tables() {
        sqlx::query(&format!("TRUNCATE {table}"))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM projector_checkpoints WHERE projector = $1")
        .bind(projector.name())
        .execute(&mut *tx)
        .await?;
    let mut from = LogPosition::START;
    let mut total = 0u64;
    loop {
        let events = global_log::read_after(&mut tx, personal, from, batch).await?;
        let Some(last) = events.last().map(|e| e.log) else {
            break;
        };
        for event in &events {
            projector.apply(&mut tx, event).await?;
        }
        save_checkpoint(&mut tx, projector.name(), last, events.len() as i64).await?;
        total += events.len() as u64;
        from = last;
    }
    tx.commit().await?;
    Ok(total)
}

/// Runs every projector in the background: woken by the `arreta_events` notification that a
/// commit of events sends, and by a fallback poll (a notification can be missed while the
/// listener reconnects, and an event can be held back by an older transaction still in flight).
pub struct ProjectorRunner {
    pub pool: PgPool,
    pub personal: PersonalData,
    pub projectors: Vec<Arc<dyn Projector>>,
    pub batch: i64,
    pub poll: Duration,
}

impl ProjectorRunner {
    pub fn spawn(self, mut shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut listener = connect_listener(&self.pool).await;
            loop {
                for projector in &self.projectors {
                    self.drain(projector.as_ref()).await;
                }
                let notified = async {
                    match listener.as_mut() {
                        Some(l) => l.recv().await.map(|_| ()),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = shutdown.changed() => return,
                    result = notified => {
                        if let Err(error) = result {
                            tracing::warn!(%error, "event notifications lost; reconnecting");
                            listener = connect_listener(&self.pool).await;
                        }
                    }
                    _ = tokio::time::sleep(self.poll) => {
                        if listener.is_none() {
                            listener = connect_listener(&self.pool).await;
                        }
                    }
                }
                if *shutdown.borrow() {
                    return;
                }
            }
        })
    }

    async fn drain(&self, projector: &dyn Projector) {
        loop {
            match catch_up(&self.pool, &self.personal, projector, self.batch).await {
                Ok(n) if (n as i64) < self.batch => return,
                Ok(_) => continue,
                Err(error) => {
                    // The batch rolled back with its checkpoint: it is retried whole next round.
                    tracing::error!(projector = projector.name(), %error, "projection batch failed");
                    return;
                }
            }
        }
    }
}

async fn connect_listener(pool: &PgPool) -> Option<PgListener> {
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, "cannot listen for events; polling only");
            return None;
        }
    };
    match listener.listen("arreta_events").await {
        Ok(()) => Some(listener),
        Err(error) => {
            tracing::warn!(%error, "cannot listen for events; polling only");
            None
        }
    }
}
