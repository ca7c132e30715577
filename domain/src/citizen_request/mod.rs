//! CitizenRequest: one per citizen request (a case, "expediente").

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{
    Booking, CaseStatus, CitizenRequest, MAX_DOCUMENT_LABEL_CHARS, MAX_REQUESTED_DOCUMENTS,
};
pub use commands::{
    BookAppointment, CancelAppointment, CitizenRequestCommand, CloseCase, RecordNoShow,
    RecordNotification, RequestDocuments, RescheduleAppointment,
};
pub use error::CitizenRequestError;
pub use events::{
    CancelledBy, CaseOutcome, Channel, Citizen, CitizenRequestEvent, RequestedDocument,
};
