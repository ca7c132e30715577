use chrono::{DateTime, Utc};

use super::documents::DocumentMediaType;
use super::events::{CancelledBy, CaseOutcome, Channel, Citizen, RequestedDocument};
use crate::notification::{NotificationChannel, NotificationKind};
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
}
