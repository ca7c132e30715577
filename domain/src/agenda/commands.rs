use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::events::ReleaseReason;
use crate::calendar::ClerkId;
use crate::slot::Slot;
use crate::values::ProcedureCode;

#[derive(Debug, Clone, PartialEq)]
pub struct ReserveRoom {
    pub day: NaiveDate,
    pub request_id: Uuid,
    pub procedure: ProcedureCode,
    pub slot: Slot,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseRoom {
    pub request_id: Uuid,
    pub slot_start: DateTime<Utc>,
    pub reason: ReleaseReason,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssignClerk {
    pub request_id: Uuid,
    pub clerk: ClerkId,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AgendaCommand {
    Reserve(ReserveRoom),
    Release(ReleaseRoom),
    AssignClerk(AssignClerk),
}
