//! Tamper evidence: the per-aggregate hash chain the database writes (migration 0004),
//! recomputed here to name the first event that no longer matches.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

/// The hash before an aggregate's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event as stored, with the exact text of its payload and metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub global_position: i64,
    pub event_type: String,
    pub event_version: String,
    pub recorded_at: DateTime<Utc>,
    pub payload: String,
    pub metadata: String,
    pub chain_hash: String,
}

/// The chain hash of `event` after `previous`, exactly as `events_chain_input` in SQL.
pub fn chain_hash(previous: &str, event: &StoredEvent) -> String {
    let input = format!(
        "{previous}\n{}\n{}\n{}\n{}\n{}\n{}\n{}:{}\n{}:{}",
        event.aggregate_type,
        event.aggregate_id,
        event.sequence,
        event.event_type,
        event.event_version,
        event.recorded_at.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
        event.payload.len(),
        event.payload,
        event.metadata.len(),
        event.metadata,
    );
    hex::encode(Sha256::digest(input.as_bytes()))
}

/// What is wrong with an aggregate's chain, at its first bad event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The event's content (payload, metadata, type, time...) is not what was hashed.
    Altered { sequence: i64, global_position: i64 },
    /// The event with this sequence is gone.
    Missing { sequence: i64 },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Altered {
                sequence,
                global_position,
            } => {
                write!(
                    f,
                    "event #{sequence} (global position {global_position}) was altered"
                )
            }
            Self::Missing { sequence } => write!(f, "event #{sequence} is missing"),
        }
    }
}

/// Walks one aggregate's events in order; gives how many there are and the first finding.
pub fn verify_chain(events: &[StoredEvent]) -> Option<Finding> {
    let mut previous = GENESIS.to_string();
    for (expected, event) in (1i64..).zip(events) {
        if event.sequence != expected {
            return Some(Finding::Missing { sequence: expected });
        }
        let hash = chain_hash(&previous, event);
        if hash != event.chain_hash {
            return Some(Finding::Altered {
                sequence: event.sequence,
                global_position: event.global_position,
            });
        }
        previous = hash;
    }
    None
}

const COLUMNS: &str = "aggregate_type, aggregate_id, sequence, global_position, event_type, event_version, \
     recorded_at, payload::text AS payload, metadata::text AS metadata, chain_hash";

fn stored(row: &PgRow) -> Result<StoredEvent, sqlx::Error> {
    Ok(StoredEvent {
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: row.try_get("sequence")?,
        global_position: row.try_get("global_position")?,
        event_type: row.try_get("event_type")?,
        event_version: row.try_get("event_version")?,
        recorded_at: row.try_get("recorded_at")?,
        payload: row.try_get("payload")?,
        metadata: row.try_get("metadata")?,
        chain_hash: row.try_get("chain_hash")?,
    })
}

pub async fn stored_events(
    conn: &mut PgConnection,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence"
    ))
    .bind(aggregate_type)
    .bind(aggregate_id)
    .try_map(|row: PgRow| stored(&row))
    .fetch_all(conn)
    .await
}

/// One aggregate whose chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub finding: Finding,
}

/// Verifies every aggregate's chain; gives the number of events read and every broken chain.
pub async fn verify_all(conn: &mut PgConnection) -> Result<(u64, Vec<Break>), sqlx::Error> {
    let mut breaks = Vec::new();
    let mut read = 0u64;
    let mut after: (String, String) = (String::new(), String::new());
    loop {
        // A page of whole aggregates at a time, in key order.
        let ids: Vec<(String, String)> = sqlx::query_as(
            "SELECT DISTINCT aggregate_type, aggregate_id FROM events \
             WHERE (aggregate_type, aggregate_id) > ($1, $2) ORDER BY aggregate_type, aggregate_id LIMIT 500",
        )
        .bind(&after.0)
        .bind(&after.1)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = ids.last().cloned() else {
            break;
        };
        for (aggregate_type, aggregate_id) in ids {
            let events = stored_events(conn, &aggregate_type, &aggregate_id).await?;
            read += events.len() as u64;
            if let Some(finding) = verify_chain(&events) {
                breaks.push(Break {
                    aggregate_type,
                    aggregate_id,
                    finding,
                });
            }
        }
        after = last;
    }
    Ok((read, breaks))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn event(sequence: i64, previous: &str) -> StoredEvent {
        let mut e = StoredEvent {
            aggregate_type: "CitizenRequest".into(),
            aggregate_id: "r-1".into(),
            sequence,
            global_position: sequence * 10,
            event_type: "NoShowRecorded".into(),
            event_version: "1.0".into(),
            recorded_at: Utc
                .with_ymd_and_hms(2026, 12, 2, 9, 0, 0)
                .single()
                .expect("time"),
            payload: format!("{{\"n\":{sequence}}}"),
            metadata: "{\"actor\":\"staff:c1\"}".into(),
            chain_hash: String::new(),
        };
        e.chain_hash = chain_hash(previous, &e);
        e
    }

    fn chain(n: i64) -> Vec<StoredEvent> {
        let mut events: Vec<StoredEvent> = Vec::new();
        for sequence in 1..=n {
            let previous = events
                .last()
                .map_or(GENESIS.to_string(), |e| e.chain_hash.clone());
            events.push(event(sequence, &previous));
        }
        events
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5)), None);
        assert_eq!(verify_chain(&[]), None);
    }

    #[test]
    fn an_altered_payload_or_metadata_is_named() {
        let mut events = chain(5);
        events[2].payload = "{\"n\":99}".into();
        assert_eq!(
            verify_chain(&events),
            Some(Finding::Altered {
                sequence: 3,
                global_position: 30
            })
        );
        let mut events = chain(5);
        events[3].metadata = "{\"actor\":\"staff:c2\"}".into();
        assert_eq!(
            verify_chain(&events),
            Some(Finding::Altered {
                sequence: 4,
                global_position: 40
            })
        );
    }

    #[test]
    fn a_deleted_event_is_named() {
        let mut events = chain(5);
        events.remove(1);
        assert_eq!(
            verify_chain(&events),
            Some(Finding::Missing { sequence: 2 })
        );
    }

    #[test]
    fn the_length_prefix_keeps_payload_and_metadata_apart() {
        let mut a = event(1, GENESIS);
        let mut b = a.clone();
        a.payload = "{}\n2:{}".into();
        a.metadata = "{}".into();
        b.payload = "{}".into();
        b.metadata = "{}\n2:{}".into();
        assert_ne!(chain_hash(GENESIS, &a), chain_hash(GENESIS, &b));
    }
}
