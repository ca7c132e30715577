//! CitizenRequest: one per citizen request (a case, "expediente").

mod aggregate;
mod call;
mod commands;
mod documents;
mod error;
mod events;
mod identity;
mod reads;
mod signature;
#[cfg(test)]
mod tests;

pub use aggregate::{
    Booking, CaseStatus, CitizenRequest, Identification, MAX_DOCUMENT_LABEL_CHARS,
    MAX_REQUESTED_DOCUMENTS, PurgedObject,
};
pub use call::{
    CallRecord, ConsentDecision, ConsentState, ConsentWording, FailedRecording,
    MAX_CONSENT_WORDING_CHARS, MAX_RECORDING_REASON_CHARS, Participant, RecordingRecord,
    StoredRecording,
};
pub use commands::{
    AttachDocument, BookAppointment, CancelAppointment, CitizenRequestCommand, CloseCase,
    ConfirmSignature, DocumentToSign, EndCall, ErasePersonalData, PurgeDocument, PurgeRecording,
    RecordCaseFileAccess, RecordConsent, RecordDocumentAccess, RecordNoShow, RecordNotification,
    RecordRecordingAccess, RecordRecordingFailed, RecordRecordingStored, RecordRegistryEntry,
    RequestDocuments, RequestManageLink, RequestSignature, RescheduleAppointment, ReviewDocument,
    SignOnBehalf, StartCall, StartRecording, VerifyIdentity,
};
pub use documents::{
    AttachedDocument, DocumentMediaType, DocumentReview, MAX_DOCUMENT_REASON_CHARS,
    MAX_DOCUMENTS_PER_CASE, MAX_FILE_NAME_CHARS, SNIFF_BYTES, sanitise_file_name,
};
pub use error::CitizenRequestError;
pub use events::{
    CancelledBy, CaseOutcome, Channel, Citizen, CitizenRequestEvent, RequestedDocument,
};
pub use identity::{
    IdentityDocumentKind, IdentityEvidence, IdentityMethod, IdentityMismatch,
    MAX_EVIDENCE_TEXT_CHARS, check_identity, folded_name,
};
pub use reads::{CaseRead, MAX_CASE_READ_REASON_CHARS};
pub use signature::{
    MAX_ADDRESSEE_CHARS, MAX_CODE_ATTEMPTS, MAX_FORM_TEXT_CHARS, MAX_PLACE_CHARS,
    MAX_WORDING_VERSION_CHARS, OnBehalfConsent, RequestForm, SignableKind, SignatureEvidence,
    SignatureRecord, SignatureStatus, Signer, SigningMethod, check_text, render_form,
};
