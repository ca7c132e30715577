use chrono::{DateTime, Utc};

use super::call::{ConsentDecision, ConsentWording, Participant, StoredRecording};
use super::documents::DocumentMediaType;
use super::events::{CancelledBy, CaseOutcome, Channel, Citizen, RequestedDocument};
use super::identity::{IdentityEvidence, IdentityMethod};
use super::reads::CaseRead;
use super::signature::{OnBehalfConsent, RequestForm, SignableKind, SigningMethod};
use crate::metadata::Role;
use crate::notification::{NotificationChannel, NotificationKind};
use crate::retention::RetentionPeriods;
use crate::slot::Slot;
use crate::values::{Language, ProcedureCode};

/// Book the request into a slot whose room the day's Agenda has already reserved.
#[derive(Debug, Clone, PartialEq)]
pub struct BookAppointment {
    pub procedure: ProcedureCode,
    pub slot: Slot,
    pub room: u8,
    pub channel: Channel,
    pub language: Language,
    pub citizen: Citizen,
    pub external_reference: Option<String>,
    pub at: DateTime<Utc>,
}

/// Erase the citizen's personal data: the case's retention for it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct ErasePersonalData {
    pub at: DateTime<Utc>,
}

/// Send the manage link again (the citizen lost the mail).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestManageLink {
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RescheduleAppointment {
    pub slot: Slot,
    pub room: u8,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CancelAppointment {
    pub reason: String,
    pub cancelled_by: CancelledBy,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordNoShow {
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CloseCase {
    pub outcome: CaseOutcome,
    pub summary: String,
    pub registry_entry: Option<String>,
    pub at: DateTime<Utc>,
}

/// Ask the citizen for documents to upload before `due_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDocuments {
    pub documents: Vec<RequestedDocument>,
    pub due_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// Record that a message went out. Recording the same `message_id` again changes nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordNotification {
    pub message_id: uuid::Uuid,
    pub kind: NotificationKind,
    pub channel: NotificationChannel,
    pub sent_at: DateTime<Utc>,
}

/// Record a document already stored (streamed, hashed and locked) in the documents bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachDocument {
    pub document_id: uuid::Uuid,
    /// Already sanitised ([`super::sanitise_file_name`]).
    pub file_name: String,
    pub media_type: DocumentMediaType,
    pub size: u64,
    pub sha256: String,
    pub object_key: String,
    pub version_id: String,
    pub retain_until: DateTime<Utc>,
    pub uploaded_by: String,
    pub at: DateTime<Utc>,
}

/// Accept or reject a document. A rejection needs a reason.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewDocument {
    pub document_id: uuid::Uuid,
    pub accepted: bool,
    pub reason: Option<String>,
    pub reviewed_by: String,
    pub at: DateTime<Utc>,
}

/// Record a read of a document's content, before the content is handed out.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordDocumentAccess {
    pub document_id: uuid::Uuid,
    pub by: String,
    pub why: String,
    pub at: DateTime<Utc>,
}

/// Record the citizen's identification, checked against the booking.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyIdentity {
    pub method: IdentityMethod,
    pub evidence: IdentityEvidence,
    pub verified_by: String,
    pub at: DateTime<Utc>,
}

/// The document a signature is asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum DocumentToSign {
    /// One already in the case's space.
    Existing(uuid::Uuid),
    /// Rendered from the art. 66 form and already stored; attached with the request.
    Prepared {
        document: Box<AttachDocument>,
        form: RequestForm,
    },
}

/// Prepare a request or complaint for the citizen to sign.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSignature {
    pub signature_id: uuid::Uuid,
    pub kind: SignableKind,
    pub document: DocumentToSign,
    pub addressee: String,
    pub method: SigningMethod,
    /// How long the one-time code works (ignored for a clerk's signature on behalf).
    pub code_valid_for: chrono::Duration,
    pub requested_by: String,
    pub at: DateTime<Utc>,
}

/// The citizen typed a code through the sign link. Whether it is the code mailed for this
/// signature is decided outside (it is derived from a secret the domain does not hold);
/// `presented_sha256` is the digest of the stored document as read back just now.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmSignature {
    pub signature_id: uuid::Uuid,
    pub code_matches: bool,
    pub presented_sha256: String,
    pub seal: String,
    pub at: DateTime<Utc>,
}

/// The clerk signs on the citizen's behalf, with the citizen's express consent.
#[derive(Debug, Clone, PartialEq)]
pub struct SignOnBehalf {
    pub signature_id: uuid::Uuid,
    pub clerk: String,
    pub consent: OnBehalfConsent,
    pub presented_sha256: String,
    pub seal: String,
    pub at: DateTime<Utc>,
}

/// Record the registry entry made for a signed document.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRegistryEntry {
    pub signature_id: uuid::Uuid,
    pub number: u64,
    pub registered_at: DateTime<Utc>,
}

/// A clerk opens the video call. `early_join` is how long before the start it may open.
#[derive(Debug, Clone, PartialEq)]
pub struct StartCall {
    pub call_id: uuid::Uuid,
    pub clerk: String,
    pub early_join: chrono::Duration,
    pub at: DateTime<Utc>,
}

/// The citizen's answer to recording, with the wording shown.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordConsent {
    pub decision: ConsentDecision,
    pub wording: ConsentWording,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EndCall {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The recorder starts recording the current consented stretch of the call.
#[derive(Debug, Clone, PartialEq)]
pub struct StartRecording {
    pub recording_id: uuid::Uuid,
    pub at: DateTime<Utc>,
}

/// The recorder stored a participant's file.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRecordingStored {
    pub recording_id: uuid::Uuid,
    pub stored: StoredRecording,
}

/// The recorder could not store a participant's file (or the whole recording).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRecordingFailed {
    pub recording_id: uuid::Uuid,
    pub participant: Option<Participant>,
    /// The publication whose file failed (one event each).
    pub publication: Option<uuid::Uuid>,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// Record a read of a recording's file, before it is handed out.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRecordingAccess {
    pub recording_id: uuid::Uuid,
    pub object_key: String,
    pub by: String,
    pub why: String,
    pub at: DateTime<Utc>,
}

/// Record that a document's stored version was deleted. `periods` is the retention schedule of
/// the case's procedure: the case checks with it that the document was due.
#[derive(Debug, Clone, PartialEq)]
pub struct PurgeDocument {
    pub document_id: uuid::Uuid,
    pub periods: RetentionPeriods,
    pub at: DateTime<Utc>,
}

/// Record that one file of a recording was deleted (see [`PurgeDocument`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PurgeRecording {
    pub recording_id: uuid::Uuid,
    pub object_key: String,
    pub periods: RetentionPeriods,
    pub at: DateTime<Utc>,
}

/// Record a read of the whole case (history, export, case file), before it is answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordCaseFileAccess {
    pub what: CaseRead,
    pub by: String,
    /// The role the reader acts in; a citizen's own read records nothing.
    pub role: Role,
    /// The reason given, if any (at most 500 characters, without control characters).
    pub why: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CitizenRequestCommand {
    Book(BookAppointment),
    Reschedule(RescheduleAppointment),
    Cancel(CancelAppointment),
    RecordNoShow(RecordNoShow),
    Close(CloseCase),
    RequestDocuments(RequestDocuments),
    RecordNotification(RecordNotification),
    AttachDocument(AttachDocument),
    ReviewDocument(ReviewDocument),
    RecordDocumentAccess(RecordDocumentAccess),
    VerifyIdentity(VerifyIdentity),
    RequestSignature(RequestSignature),
    ConfirmSignature(ConfirmSignature),
    SignOnBehalf(SignOnBehalf),
    RecordRegistryEntry(RecordRegistryEntry),
    StartCall(StartCall),
    RecordConsent(RecordConsent),
    EndCall(EndCall),
    StartRecording(StartRecording),
    RecordRecordingStored(RecordRecordingStored),
    RecordRecordingFailed(RecordRecordingFailed),
    RecordRecordingAccess(RecordRecordingAccess),
    RecordCaseFileAccess(RecordCaseFileAccess),
    RequestManageLink(RequestManageLink),
    PurgeDocument(PurgeDocument),
    PurgeRecording(PurgeRecording),
    ErasePersonalData(ErasePersonalData),
}
