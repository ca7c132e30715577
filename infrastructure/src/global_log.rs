//! Reading the global event log in its final order. See `projections::log` for why the order is
//! `(transaction_id, global_position)` and why only rows below `pg_snapshot_xmin` are read.
//! Events come out with the citizen's data opened (`personal_data`): as given, or erased.

use projections::{LogPosition, LoggedEvent};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::personal_data::{PersonalData, PersonalDataError};

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("reading the event log: {0}")]
    Database(#[from] sqlx::Error),
    #[error("opening personal data in the event log: {0}")]
    PersonalData(#[from] PersonalDataError),
}

const COLUMNS: &str = "global_position, transaction_id::text::bigint AS transaction_id, \
     aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at";

/// Up to `limit` events after `after`, from transactions that can no longer add rows before them.
pub async fn read_after(
    conn: &mut PgConnection,
    personal: &PersonalData,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<LoggedEvent>, LogError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events \
         WHERE (transaction_id, global_position) > (($1::bigint)::text::xid8, $2) \
           AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY transaction_id, global_position LIMIT $3"
    );
    let mut events = sqlx::query(&sql)
        .bind(after.transaction_id)
        .bind(after.position)
        .bind(limit)
        .try_map(|row: PgRow| logged_event(&row))
        .fetch_all(&mut *conn)
        .await?;
    personal.open_logged(conn, &mut events).await?;
    Ok(events)
}

/// One aggregate's events in sequence order, optionally only up to `up_to` (inclusive).
pub async fn aggregate_events(
    conn: &mut PgConnection,
    personal: &PersonalData,
    aggregate_type: &str,
    aggregate_id: &str,
    up_to: Option<i64>,
) -> Result<Vec<LoggedEvent>, LogError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events \
         WHERE aggregate_type = $1 AND aggregate_id = $2 AND ($3::bigint IS NULL OR sequence <= $3) \
         ORDER BY sequence"
    );
    let mut events = sqlx::query(&sql)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(up_to)
        .try_map(|row: PgRow| logged_event(&row))
        .fetch_all(&mut *conn)
        .await?;
    personal.open_logged(conn, &mut events).await?;
    Ok(events)
}

fn logged_event(row: &PgRow) -> Result<LoggedEvent, sqlx::Error> {
    Ok(LoggedEvent {
        log: LogPosition {
            transaction_id: row.try_get("transaction_id")?,
            position: row.try_get("global_position")?,
        },
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: row.try_get("sequence")?,
        event_type: row.try_get("event_type")?,
        event_version: row.try_get("event_version")?,
        payload: row.try_get("payload")?,
        metadata: row.try_get("metadata")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}
