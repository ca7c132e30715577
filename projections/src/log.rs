//! The global event log as projectors see it.
//!
//! Order is `(transaction_id, position)`: a row's position is taken when it is inserted, but
//! transactions commit in any order, so a lower position can become visible after a higher one.
//! Readers only read rows whose transaction is below the oldest transaction still in flight
//! (`pg_snapshot_xmin`), where the set of rows can no longer grow; within that set the order by
//! transaction id, then position, is final. A projector's checkpoint is the last `LogPosition` it
//! applied, stored in the same transaction as its read-model writes, so after a crash it resumes
//! exactly after what it committed: nothing skipped, nothing applied twice.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct LogPosition {
    /// The writing transaction's id (`xid8`).
    pub transaction_id: i64,
    /// The event's global position (an identity column).
    pub position: i64,
}

impl LogPosition {
    pub const START: LogPosition = LogPosition {
        transaction_id: 0,
        position: 0,
    };
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub log: LogPosition,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: serde_json::Value,
    pub metadata: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "event {aggregate_type}/{aggregate_id}#{sequence} ({event_type} v{event_version}) does not decode: {source}"
)]
pub struct DecodeError {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    #[source]
    pub source: serde_json::Error,
}

impl LoggedEvent {
    /// Decodes the payload into the aggregate's event type.
    pub fn decode<E: DeserializeOwned>(&self) -> Result<E, DecodeError> {
        E::deserialize(&self.payload).map_err(|source| DecodeError {
            aggregate_type: self.aggregate_type.clone(),
            aggregate_id: self.aggregate_id.clone(),
            sequence: self.sequence,
            event_type: self.event_type.clone(),
            event_version: self.event_version.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_order_is_transaction_first_then_position() {
        let earlier_tx_later_position = LogPosition {
            transaction_id: 10,
            position: 7,
        };
        let later_tx_earlier_position = LogPosition {
            transaction_id: 11,
            position: 6,
        };
        assert!(earlier_tx_later_position < later_tx_earlier_position);
        assert!(LogPosition::START < earlier_tx_later_position);
    }
}
