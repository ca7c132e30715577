use chrono::NaiveDate;

use crate::calendar::SlotError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgendaError {
    #[error("unknown procedure {0}")]
    UnknownProcedure(String),
    #[error("the procedure takes {expected} minutes, not {given}")]
    WrongDuration { expected: u16, given: u16 },
    #[error(transparent)]
    Slot(#[from] SlotError),
    #[error("the slot belongs to {slot_day}, not to the agenda of {agenda_day}")]
    WrongDay {
        agenda_day: NaiveDate,
        slot_day: NaiveDate,
    },
    #[error("no video room is free for that slot")]
    SlotFull,
    #[error("there is no reservation for that request on this day")]
    NotReserved,
    #[error("unknown clerk {0}")]
    UnknownClerk(String),
    #[error("the clerk already has an appointment at that time")]
    ClerkBusy,
    #[error("{max} video calls are already in progress")]
    CallsFull { max: u8 },
    #[error("the clerk is already in another call")]
    ClerkInCall,
}
