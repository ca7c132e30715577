//! The agenda of a day: which request holds which room when, and which clerk attends it.

use chrono::{DateTime, NaiveDate, Utc};
use domain::agenda::AgendaEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaEntry {
    pub day: NaiveDate,
    pub request_id: Uuid,
    pub procedure: String,
    pub slot_start: DateTime<Utc>,
    pub slot_end: DateTime<Utc>,
    pub room: i16,
    pub clerk: Option<String>,
    pub reserved_at: DateTime<Utc>,
}

/// What one agenda event does to the rows.
#[derive(Debug, Clone, PartialEq)]
pub enum AgendaChange {
    Insert(AgendaEntry),
    Remove {
        request_id: Uuid,
        slot_start: DateTime<Utc>,
    },
    AssignClerk {
        request_id: Uuid,
        slot_start: DateTime<Utc>,
        clerk: String,
    },
    /// Calls opening and closing hold call places in the aggregate, not rows here.
    Nothing,
}

pub fn change(event: &AgendaEvent) -> AgendaChange {
    match event {
        AgendaEvent::RoomReserved {
            day,
            request_id,
            procedure,
            slot,
            room,
            reserved_at,
        } => AgendaChange::Insert(AgendaEntry {
            day: *day,
            request_id: *request_id,
            procedure: procedure.as_str().to_string(),
            slot_start: slot.start,
            slot_end: slot.end(),
            room: i16::from(*room),
            clerk: None,
            reserved_at: *reserved_at,
        }),
        AgendaEvent::RoomReleased {
            request_id,
            slot_start,
            ..
        } => AgendaChange::Remove {
            request_id: *request_id,
            slot_start: *slot_start,
        },
        AgendaEvent::ClerkAssigned {
            request_id,
            slot_start,
            clerk,
        } => AgendaChange::AssignClerk {
            request_id: *request_id,
            slot_start: *slot_start,
            clerk: clerk.0.clone(),
        },
        AgendaEvent::CallOpened { .. } | AgendaEvent::CallClosed { .. } => AgendaChange::Nothing,
    }
}
