//! CitizenRequest: one per citizen request (a case, "expediente").

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{Booking, CaseStatus, CitizenRequest};
pub use commands::{
    BookAppointment, CancelAppointment, CitizenRequestCommand, CloseCase, RecordNoShow,
    RescheduleAppointment,
};
pub use error::CitizenRequestError;
pub use events::{CancelledBy, CaseOutcome, Channel, Citizen, CitizenRequestEvent};
