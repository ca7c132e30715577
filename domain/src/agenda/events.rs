use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::ClerkId;
use crate::slot::Slot;
use crate::values::ProcedureCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    Cancelled,
    Rescheduled,
    /// The request could not be booked after its room was reserved (compensation).
    BookingFailed,
    /// Found orphaned by the reconciler (a crash between reserving and booking).
    Orphaned,
}

impl ReleaseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancelled => "cancelled",
            Self::Rescheduled => "rescheduled",
            Self::BookingFailed => "booking_failed",
            Self::Orphaned => "orphaned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AgendaEvent {
    RoomReserved {
        day: NaiveDate,
        request_id: Uuid,
        procedure: ProcedureCode,
        slot: Slot,
        room: u8,
        reserved_at: DateTime<Utc>,
    },
    RoomReleased {
        request_id: Uuid,
        slot_start: DateTime<Utc>,
        room: u8,
        reason: ReleaseReason,
    },
    ClerkAssigned {
        request_id: Uuid,
        slot_start: DateTime<Utc>,
        clerk: ClerkId,
    },
    /// A video call is in progress for the request: it holds one of the day's call places.
    CallOpened {
        request_id: Uuid,
        clerk: String,
        opened_at: DateTime<Utc>,
    },
    CallClosed {
        request_id: Uuid,
        closed_at: DateTime<Utc>,
    },
}

impl DomainEvent for AgendaEvent {
    fn event_type(&self) -> String {
        match self {
            Self::RoomReserved { .. } => "RoomReserved",
            Self::RoomReleased { .. } => "RoomReleased",
            Self::ClerkAssigned { .. } => "ClerkAssigned",
            Self::CallOpened { .. } => "CallOpened",
            Self::CallClosed { .. } => "CallClosed",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
