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

/// A clerk opens the video call of a reserved appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenCall {
    pub request_id: Uuid,
    /// The staff member in the call (`staff:<id>`).
    pub clerk: String,
    pub at: DateTime<Utc>,
}

/// The call of a request is over (or never got going: a compensation).
#[derive(Debug, Clone, PartialEq)]
pub struct CloseCall {
    pub request_id: Uuid,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AgendaCommand {
    Reserve(ReserveRoom),
    Release(ReleaseRoom),
    AssignClerk(AssignClerk),
    OpenCall(OpenCall),
    CloseCall(CloseCall),
}
