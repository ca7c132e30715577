//! The mail outbox table: rows planned by the reactor, taken and settled by the sender.

use chrono::{DateTime, Duration, Utc};
use domain::notification::{NotificationKind, PlannedNotification};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

/// The namespace of message ids (a v5 UUID of request, kind and triggering event).
const MESSAGE_NAMESPACE: Uuid = Uuid::from_u128(0x6d61696c_2d6f_7574_626f_786172726574);

/// The stable id of the message `kind` that event `trigger_sequence` of a request calls for.
pub fn message_id(request_id: Uuid, kind: NotificationKind, trigger_sequence: i64) -> Uuid {
    Uuid::new_v5(
        &MESSAGE_NAMESPACE,
        format!("{request_id}/{}/{trigger_sequence}", kind.as_str()).as_bytes(),
    )
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub message_id: Uuid,
    pub request_id: Uuid,
    pub kind: NotificationKind,
    pub trigger_sequence: i64,
    pub slot_start: Option<DateTime<Utc>>,
    pub due_at: DateTime<Utc>,
    /// Including the attempt under way.
    pub attempts: i32,
}

fn row(row: &PgRow) -> Result<OutboxRow, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(OutboxRow {
        message_id: row.try_get("message_id")?,
        request_id: row.try_get("request_id")?,
        kind: NotificationKind::parse(&kind).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "kind".into(),
            source: format!("unknown notification kind {kind:?}").into(),
        })?,
        trigger_sequence: row.try_get("trigger_sequence")?,
        slot_start: row.try_get("slot_start")?,
        due_at: row.try_get("due_at")?,
        attempts: row.try_get("attempts")?,
    })
}

/// Plans a message; planning the same one again (a replayed event) changes nothing.
pub async fn enqueue(
    conn: &mut PgConnection,
    request_id: Uuid,
    trigger_sequence: i64,
    planned: &PlannedNotification,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mail_outbox (message_id, request_id, kind, trigger_sequence, slot_start, due_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING",
    )
    .bind(message_id(request_id, planned.kind, trigger_sequence))
    .bind(request_id)
    .bind(planned.kind.as_str())
    .bind(trigger_sequence)
    .bind(planned.slot_start)
    .bind(planned.due_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Drops a request's messages of these kinds that have not gone out yet.
pub async fn drop_pending(
    conn: &mut PgConnection,
    request_id: Uuid,
    kinds: &[NotificationKind],
    reason: &str,
) -> Result<u64, sqlx::Error> {
    if kinds.is_empty() {
        return Ok(0);
    }
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let done = sqlx::query(
        "UPDATE mail_outbox SET status = 'dropped', last_error = $3 \
         WHERE request_id = $1 AND status = 'pending' AND kind = ANY($2)",
    )
    .bind(request_id)
    .bind(&kinds)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Takes up to `limit` messages due at `now`, each leased for `lease` so that no other sender
/// takes it meanwhile. A case's messages go out in the order they were due: a message waits
/// while an earlier one of its case is still pending.
///
/// The lease is committed before anything is sent, so no transaction stays open across the
/// network call (an open transaction would hold every projector behind it).
pub async fn claim_due(
    pool: &PgPool,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    sqlx::query(
        "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $2 \
         WHERE message_id IN ( \
           SELECT o.message_id FROM mail_outbox o \
           WHERE o.status = 'pending' AND o.next_attempt_at <= $1 \
             AND NOT EXISTS (SELECT 1 FROM mail_outbox e \
               WHERE e.request_id = o.request_id AND e.status = 'pending' \
                 AND (e.due_at, e.trigger_sequence, e.kind) < (o.due_at, o.trigger_sequence, o.kind)) \
           ORDER BY o.due_at, o.trigger_sequence LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING message_id, request_id, kind, trigger_sequence, slot_start, due_at, attempts",
    )
    .bind(now)
    .bind(now + lease)
    .bind(limit)
    .try_map(|r: PgRow| row(&r))
    .fetch_all(pool)
    .await
    .map(|mut rows| {
        rows.sort_by_key(|r| (r.due_at, r.trigger_sequence));
        rows
    })
}

/// The relay took the message.
pub async fn mark_sent(
    pool: &PgPool,
    message_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mail_outbox SET status = 'sent', sent_at = $2, last_error = NULL \
         WHERE message_id = $1 AND status = 'pending'",
    )
    .bind(message_id)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Tries again at `retry_at`.
pub async fn mark_retry(
    pool: &PgPool,
    message_id: Uuid,
    error: &str,
    retry_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mail_outbox SET last_error = $2, next_attempt_at = $3 \
         WHERE message_id = $1 AND status = 'pending'",
    )
    .bind(message_id)
    .bind(error)
    .bind(retry_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Ends a message without sending it: `failed` (given up) or `dropped` (no longer applies).
pub async fn mark_ended(
    pool: &PgPool,
    message_id: Uuid,
    status: EndStatus,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mail_outbox SET status = $2, last_error = $3 WHERE message_id = $1 AND status = 'pending'",
    )
    .bind(message_id)
    .bind(status.as_str())
    .bind(reason)
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndStatus {
    Failed,
    Dropped,
}

impl EndStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Dropped => "dropped",
        }
    }
}

/// `NotificationSent` is on the case.
pub async fn mark_recorded(
    pool: &PgPool,
    message_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mail_outbox SET recorded_at = $2 WHERE message_id = $1")
        .bind(message_id)
        .bind(at)
        .execute(pool)
        .await?;
    Ok(())
}

/// Sent messages whose `NotificationSent` is not on the case yet (a crash between the two).
pub async fn sent_unrecorded(
    pool: &PgPool,
    limit: i64,
) -> Result<Vec<(OutboxRow, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query(
        "SELECT message_id, request_id, kind, trigger_sequence, slot_start, due_at, attempts, sent_at \
         FROM mail_outbox WHERE status = 'sent' AND recorded_at IS NULL ORDER BY sent_at LIMIT $1",
    )
    .bind(limit)
    .try_map(|r: PgRow| Ok((row(&r)?, r.try_get("sent_at")?)))
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_and_distinct_per_request_kind_and_event() {
        let request = Uuid::from_u128(7);
        let id = message_id(request, NotificationKind::Receipt, 1);
        assert_eq!(id, message_id(request, NotificationKind::Receipt, 1));
        assert_ne!(id, message_id(request, NotificationKind::Reminder, 1));
        assert_ne!(id, message_id(request, NotificationKind::Receipt, 2));
        assert_ne!(
            id,
            message_id(Uuid::from_u128(8), NotificationKind::Receipt, 1)
        );
    }
}
