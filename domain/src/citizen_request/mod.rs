//! CitizenRequest: one per citizen request (a case, "expediente").

mod aggregate;
mod commands;
mod documents;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{
    Booking, CaseStatus, CitizenRequest, MAX_DOCUMENT_LABEL_CHARS, MAX_REQUESTED_DOCUMENTS,
};
pub use commands::{
    AttachDocument, BookAppointment, CancelAppointment, CitizenRequestCommand, CloseCase,
    RecordDocumentAccess, RecordNoShow, RecordNotification, RequestDocuments,
    RescheduleAppointment, ReviewDocument,
};
pub use documents::{
    AttachedDocument, DocumentMediaType, DocumentReview, MAX_DOCUMENT_REASON_CHARS,
    MAX_DOCUMENTS_PER_CASE, MAX_FILE_NAME_CHARS, SNIFF_BYTES, sanitise_file_name,
};
pub use error::CitizenRequestError;
pub use events::{
    CancelledBy, CaseOutcome, Channel, Citizen, CitizenRequestEvent, RequestedDocument,
};
