use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

mod calling;
mod erasure;
mod links;
mod reads;
mod retention;
mod sharing;
mod signing;

pub use retention::PurgedObject;

use super::call::{CallRecord, RecordingRecord};
use super::commands::{
    AttachDocument, BookAppointment, CancelAppointment, CitizenRequestCommand, CloseCase,
    RecordDocumentAccess, RecordNoShow, RecordNotification, RequestDocuments,
    RescheduleAppointment, ReviewDocument,
};
use super::documents::{
    AttachedDocument, DocumentReview, MAX_DOCUMENT_REASON_CHARS, MAX_DOCUMENTS_PER_CASE,
    MAX_FILE_NAME_CHARS,
};
use super::error::CitizenRequestError;
use super::events::{
    CancelledBy, CaseOutcome, Channel, Citizen, CitizenRequestEvent, RequestedDocument,
};
use super::identity::IdentityMethod;
use super::signature::SignatureRecord;
use crate::slot::Slot;
use crate::values::{Language, Personal, ProcedureCode};

pub const MAX_REASON_CHARS: usize = 500;
pub const MAX_SUMMARY_CHARS: usize = 4000;
pub const MAX_REFERENCE_CHARS: usize = 64;
pub const MAX_REQUESTED_DOCUMENTS: usize = 10;
pub const MAX_DOCUMENT_LABEL_CHARS: usize = 120;

/// Where a case stands. Documents, call, consent, identity and signature states join here as
/// their issues land; the terminal states already refuse what must not follow them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    #[default]
    New,
    Booked,
    Cancelled,
    NoShow,
    Closed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Booked => "booked",
            Self::Cancelled => "cancelled",
            Self::NoShow => "no_show",
            Self::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::New,
            Self::Booked,
            Self::Cancelled,
            Self::NoShow,
            Self::Closed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    pub procedure: ProcedureCode,
    pub slot: Slot,
    pub room: u8,
    pub channel: Channel,
    pub language: Language,
    pub citizen: Personal<Citizen>,
    pub external_reference: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CitizenRequest {
    status: CaseStatus,
    booking: Option<Booking>,
    outcome: Option<CaseOutcome>,
    /// Every document asked for so far, in the order asked.
    requested_documents: Vec<RequestedDocument>,
    documents_due: Option<DateTime<Utc>>,
    /// The messages recorded as sent, so a repeated record is a no-op.
    notifications: BTreeSet<uuid::Uuid>,
    /// The documents in the case's space, in the order attached.
    #[serde(default)]
    documents: Vec<AttachedDocument>,
    /// The latest identification of the citizen in this case.
    #[serde(default)]
    identity: Option<Identification>,
    /// Every signature asked for, in the order asked.
    #[serde(default)]
    signatures: Vec<SignatureRecord>,
    /// The last call, in progress or ended.
    #[serde(default)]
    call: Option<CallRecord>,
    #[serde(default)]
    recordings: Vec<RecordingRecord>,
    /// When the citizen asked for the manage link again (the last day's are what count).
    #[serde(default)]
    manage_link_requests: Vec<DateTime<Utc>>,
    /// When the case last reached an end (cancelled, no-show, closed): retention counts from it.
    #[serde(default)]
    ended_at: Option<DateTime<Utc>>,
    /// The stored versions deleted once their retention ended.
    #[serde(default)]
    purged: Vec<PurgedObject>,
    /// When the citizen's personal data was erased.
    #[serde(default)]
    personal_data_erased_at: Option<DateTime<Utc>>,
}

/// How and when the citizen was last identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identification {
    pub method: IdentityMethod,
    pub verified_at: DateTime<Utc>,
}

impl CitizenRequest {
    pub fn status(&self) -> CaseStatus {
        self.status
    }

    pub fn booking(&self) -> Option<&Booking> {
        self.booking.as_ref()
    }

    pub fn outcome(&self) -> Option<CaseOutcome> {
        self.outcome
    }

    pub fn requested_documents(&self) -> &[RequestedDocument] {
        &self.requested_documents
    }

    pub fn documents_due(&self) -> Option<DateTime<Utc>> {
        self.documents_due
    }

    pub fn documents(&self) -> &[AttachedDocument] {
        &self.documents
    }

    pub fn document(&self, document_id: uuid::Uuid) -> Option<&AttachedDocument> {
        self.documents.iter().find(|d| d.document_id == document_id)
    }

    /// Whether a document may be attached now. Checked before any byte is stored (stored
    /// objects are locked and cannot be taken back), and again by the command itself.
    pub fn check_attach(&self) -> Result<(), CitizenRequestError> {
        self.require_booked()?;
        if self.documents.len() >= MAX_DOCUMENTS_PER_CASE {
            return Err(CitizenRequestError::TooManyDocuments {
                max: MAX_DOCUMENTS_PER_CASE,
            });
        }
        Ok(())
    }

    pub fn notification_recorded(&self, message_id: uuid::Uuid) -> bool {
        self.notifications.contains(&message_id)
    }

    /// The refusal for a command that needs a live booking, by the state the case is in.
    fn require_booked(&self) -> Result<&Booking, CitizenRequestError> {
        match (self.status, &self.booking) {
            (CaseStatus::Booked, Some(booking)) => Ok(booking),
            (CaseStatus::New, _) | (CaseStatus::Booked, None) => {
                Err(CitizenRequestError::NotBooked)
            }
            (CaseStatus::Cancelled, _) => Err(CitizenRequestError::Cancelled),
            (CaseStatus::NoShow, _) => Err(CitizenRequestError::NoShow),
            (CaseStatus::Closed, _) => Err(CitizenRequestError::Closed),
        }
    }

    /// Checks a reschedule without writing anything, so the booking process can refuse it before
    /// it reserves a room in another day's agenda.
    pub fn check_reschedule(&self, at: DateTime<Utc>) -> Result<&Booking, CitizenRequestError> {
        let booking = self.require_booked()?;
        if at >= booking.slot.start {
            return Err(CitizenRequestError::AlreadyStarted);
        }
        Ok(booking)
    }

    fn book(
        &self,
        command: BookAppointment,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        check_reference(command.external_reference.as_deref())?;
        let booking = Booking {
            procedure: command.procedure,
            slot: command.slot,
            room: command.room,
            channel: command.channel,
            language: command.language,
            citizen: Personal::Known(command.citizen),
            external_reference: command.external_reference,
        };
        match self.status {
            CaseStatus::New => {}
            // A retried booking (same request id, same content) changes nothing.
            CaseStatus::Booked if self.booking.as_ref() == Some(&booking) => return Ok(vec![]),
            CaseStatus::Booked => return Err(CitizenRequestError::AlreadyBooked),
            _ => return self.require_booked().map(|_| vec![]),
        }
        Ok(vec![CitizenRequestEvent::AppointmentBooked {
            procedure: booking.procedure,
            slot: booking.slot,
            room: booking.room,
            channel: booking.channel,
            language: booking.language,
            citizen: booking.citizen,
            external_reference: booking.external_reference,
            booked_at: command.at,
        }])
    }

    fn reschedule(
        &self,
        command: RescheduleAppointment,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let booking = self.check_reschedule(command.at)?;
        if booking.slot == command.slot && booking.room == command.room {
            return Ok(vec![]);
        }
        Ok(vec![CitizenRequestEvent::AppointmentRescheduled {
            previous: booking.slot,
            slot: command.slot,
            room: command.room,
            rescheduled_at: command.at,
        }])
    }

    fn cancel(
        &self,
        command: CancelAppointment,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        if self.status == CaseStatus::Cancelled {
            return Ok(vec![]);
        }
        let booking = self.require_booked()?;
        check_length(&command.reason, MAX_REASON_CHARS)?;
        if command.at >= booking.slot.end() {
            return Err(CitizenRequestError::AppointmentOver);
        }
        if command.cancelled_by == CancelledBy::Citizen && command.at >= booking.slot.start {
            return Err(CitizenRequestError::AlreadyStarted);
        }
        Ok(vec![CitizenRequestEvent::AppointmentCancelled {
            reason: Personal::Known(command.reason.trim().to_string()),
            cancelled_by: command.cancelled_by,
            cancelled_at: command.at,
        }])
    }

    fn record_no_show(
        &self,
        command: RecordNoShow,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        if self.status == CaseStatus::NoShow {
            return Ok(vec![]);
        }
        let booking = self.require_booked()?;
        if command.at < booking.slot.start {
            return Err(CitizenRequestError::NotStartedYet);
        }
        Ok(vec![CitizenRequestEvent::NoShowRecorded {
            recorded_at: command.at,
        }])
    }

    fn close(&self, command: CloseCase) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        if self.status != CaseStatus::NoShow {
            self.require_booked()?;
        }
        check_length(&command.summary, MAX_SUMMARY_CHARS)?;
        check_reference(command.registry_entry.as_deref())?;
        Ok(vec![CitizenRequestEvent::CaseClosed {
            outcome: command.outcome,
            summary: Personal::Known(command.summary.trim().to_string()),
            registry_entry: command.registry_entry,
            closed_at: command.at,
        }])
    }
}

impl CitizenRequest {
    fn request_documents(
        &self,
        command: RequestDocuments,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let booking = self.require_booked()?;
        if command.documents.is_empty() || command.documents.len() > MAX_REQUESTED_DOCUMENTS {
            return Err(CitizenRequestError::DocumentCount {
                max: MAX_REQUESTED_DOCUMENTS,
            });
        }
        let mut documents = Vec::with_capacity(command.documents.len());
        for document in command.documents {
            let mut label = document.label;
            for text in [&mut label.eu, &mut label.es] {
                *text = text.trim().to_string();
                let chars = text.chars().count();
                if chars == 0
                    || chars > MAX_DOCUMENT_LABEL_CHARS
                    || text.chars().any(char::is_control)
                {
                    return Err(CitizenRequestError::DocumentLabel {
                        max: MAX_DOCUMENT_LABEL_CHARS,
                    });
                }
            }
            documents.push(RequestedDocument { label });
        }
        // Due before the meeting, so the clerk can review what arrives.
        if command.due_at <= command.at || command.due_at > booking.slot.start {
            return Err(CitizenRequestError::DocumentsDue);
        }
        Ok(vec![CitizenRequestEvent::DocumentsRequested {
            documents,
            due_at: command.due_at,
            requested_at: command.at,
        }])
    }

    /// Accepted in every state once booked: a message sent just before a cancellation or a
    /// closing is still a fact of the case.
    fn record_notification(
        &self,
        command: RecordNotification,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let Some(booking) = &self.booking else {
            return Err(CitizenRequestError::NotBooked);
        };
        if self.notifications.contains(&command.message_id) {
            return Ok(vec![]);
        }
        Ok(vec![CitizenRequestEvent::NotificationSent {
            message_id: command.message_id,
            kind: command.kind,
            channel: command.channel,
            language: booking.language,
            sent_at: command.sent_at,
        }])
    }
}

impl CitizenRequest {
    /// Only while the case is open (booked: not cancelled, closed or after a no-show). A retry
    /// of the same document id writes nothing.
    fn attach_document(
        &self,
        command: AttachDocument,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        if let Some(existing) = self.document(command.document_id) {
            return if existing.sha256 == command.sha256 && existing.version_id == command.version_id
            {
                Ok(vec![])
            } else {
                Err(CitizenRequestError::DocumentRecord(
                    "another document has this id",
                ))
            };
        }
        self.check_attach()?;
        let name_chars = command.file_name.chars().count();
        if name_chars == 0
            || name_chars > MAX_FILE_NAME_CHARS
            || command
                .file_name
                .chars()
                .any(|c| c.is_control() || c == '/' || c == '\\')
        {
            return Err(CitizenRequestError::DocumentRecord(
                "the file name is not sanitised",
            ));
        }
        let is_digest = command.sha256.len() == 64
            && command
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !is_digest {
            return Err(CitizenRequestError::DocumentRecord(
                "the SHA-256 is not 64 lowercase hex digits",
            ));
        }
        if command.object_key.is_empty() || command.version_id.is_empty() {
            return Err(CitizenRequestError::DocumentRecord(
                "the object key and version are required",
            ));
        }
        if command.retain_until <= command.at {
            return Err(CitizenRequestError::DocumentRecord(
                "the retention must end after the upload",
            ));
        }
        Ok(vec![CitizenRequestEvent::DocumentAttached {
            document_id: command.document_id,
            file_name: command.file_name,
            media_type: command.media_type,
            size: command.size,
            sha256: command.sha256,
            object_key: command.object_key,
            version_id: command.version_id,
            retain_until: command.retain_until,
            uploaded_by: command.uploaded_by,
            attached_at: command.at,
        }])
    }

    /// One review per document: repeating the same verdict writes nothing, another verdict is
    /// refused (a rejected document is replaced by a new upload, which is a new document). Only
    /// while the case is open.
    fn review_document(
        &self,
        command: ReviewDocument,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        self.require_booked()?;
        let document = self
            .document(command.document_id)
            .ok_or(CitizenRequestError::DocumentNotFound(command.document_id))?;
        let reason = command
            .reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        let reason_ok = match &reason {
            None => command.accepted,
            Some(text) => {
                text.chars().count() <= MAX_DOCUMENT_REASON_CHARS
                    && !text.chars().any(|c| c.is_control() && c != '\n')
            }
        };
        if !reason_ok {
            return Err(CitizenRequestError::ReviewReason {
                max: MAX_DOCUMENT_REASON_CHARS,
            });
        }
        if let Some(review) = &document.review {
            return if review.accepted == command.accepted && review.reason == reason {
                Ok(vec![])
            } else {
                Err(CitizenRequestError::AlreadyReviewed)
            };
        }
        Ok(vec![CitizenRequestEvent::DocumentReviewed {
            document_id: command.document_id,
            accepted: command.accepted,
            reason,
            reviewed_by: command.reviewed_by,
            reviewed_at: command.at,
        }])
    }

    /// Recorded in every state: an auditor reading a closed case's document is still a fact
    /// of the case. Every read is recorded, the same reader's included.
    fn record_document_access(
        &self,
        command: RecordDocumentAccess,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        if self.booking.is_none() {
            return Err(CitizenRequestError::NotBooked);
        }
        if self.document(command.document_id).is_none() {
            return Err(CitizenRequestError::DocumentNotFound(command.document_id));
        }
        // Its bytes are gone: recording a read that cannot happen would be false.
        if self.document_purged_at(command.document_id).is_some() {
            return Err(CitizenRequestError::DocumentPurged(command.document_id));
        }
        let why = command.why.trim().to_string();
        let chars = why.chars().count();
        if chars == 0 || chars > MAX_DOCUMENT_REASON_CHARS || why.chars().any(char::is_control) {
            return Err(CitizenRequestError::AccessReason {
                max: MAX_DOCUMENT_REASON_CHARS,
            });
        }
        Ok(vec![CitizenRequestEvent::DocumentAccessed {
            document_id: command.document_id,
            by: command.by,
            why,
            at: command.at,
        }])
    }
}

fn check_length(text: &str, max: usize) -> Result<(), CitizenRequestError> {
    if text.trim().chars().count() > max {
        return Err(CitizenRequestError::TextTooLong { max });
    }
    Ok(())
}

fn check_reference(reference: Option<&str>) -> Result<(), CitizenRequestError> {
    match reference {
        Some(r)
            if r.is_empty()
                || r.chars().count() > MAX_REFERENCE_CHARS
                || r.chars().any(char::is_control) =>
        {
            Err(CitizenRequestError::ExternalReference)
        }
        _ => Ok(()),
    }
}

impl Aggregate for CitizenRequest {
    const TYPE: &'static str = "CitizenRequest";
    type Command = CitizenRequestCommand;
    type Event = CitizenRequestEvent;
    type Error = CitizenRequestError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let events = match command {
            CitizenRequestCommand::Book(c) => self.book(c)?,
            CitizenRequestCommand::Reschedule(c) => self.reschedule(c)?,
            CitizenRequestCommand::Cancel(c) => self.cancel(c)?,
            CitizenRequestCommand::RecordNoShow(c) => self.record_no_show(c)?,
            CitizenRequestCommand::Close(c) => self.close(c)?,
            CitizenRequestCommand::RequestDocuments(c) => self.request_documents(c)?,
            CitizenRequestCommand::RecordNotification(c) => self.record_notification(c)?,
            CitizenRequestCommand::AttachDocument(c) => self.attach_document(c)?,
            CitizenRequestCommand::ReviewDocument(c) => self.review_document(c)?,
            CitizenRequestCommand::RecordDocumentAccess(c) => self.record_document_access(c)?,
            CitizenRequestCommand::VerifyIdentity(c) => self.verify_identity(c)?,
            CitizenRequestCommand::RequestSignature(c) => self.request_signature(c)?,
            CitizenRequestCommand::ConfirmSignature(c) => self.confirm_signature(c)?,
            CitizenRequestCommand::SignOnBehalf(c) => self.sign_on_behalf(c)?,
            CitizenRequestCommand::RecordRegistryEntry(c) => self.record_registry_entry(c)?,
            CitizenRequestCommand::StartCall(c) => self.start_call(c)?,
            CitizenRequestCommand::RecordConsent(c) => self.record_consent(c)?,
            CitizenRequestCommand::EndCall(c) => self.end_call(c)?,
            CitizenRequestCommand::StartRecording(c) => self.start_recording(c)?,
            CitizenRequestCommand::RecordRecordingStored(c) => self.record_recording_stored(c)?,
            CitizenRequestCommand::RecordRecordingFailed(c) => self.record_recording_failed(c)?,
            CitizenRequestCommand::RecordRecordingAccess(c) => self.record_recording_access(c)?,
            CitizenRequestCommand::RecordCaseFileAccess(c) => self.record_case_file_access(c)?,
            CitizenRequestCommand::RequestManageLink(c) => self.request_manage_link(c)?,
            CitizenRequestCommand::PurgeDocument(c) => self.purge_document(c)?,
            CitizenRequestCommand::PurgeRecording(c) => self.purge_recording(c)?,
            CitizenRequestCommand::ErasePersonalData(c) => self.erase_personal_data(c)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            CitizenRequestEvent::AppointmentBooked {
                procedure,
                slot,
                room,
                channel,
                language,
                citizen,
                external_reference,
                ..
            } => {
                self.status = CaseStatus::Booked;
                self.booking = Some(Booking {
                    procedure,
                    slot,
                    room,
                    channel,
                    language,
                    citizen,
                    external_reference,
                });
            }
            CitizenRequestEvent::AppointmentRescheduled { slot, room, .. } => {
                if let Some(booking) = self.booking.as_mut() {
                    booking.slot = slot;
                    booking.room = room;
                }
            }
            CitizenRequestEvent::AppointmentCancelled { cancelled_at, .. } => {
                self.status = CaseStatus::Cancelled;
                self.ended_at = Some(cancelled_at);
            }
            CitizenRequestEvent::NoShowRecorded { recorded_at } => {
                self.status = CaseStatus::NoShow;
                self.ended_at = Some(recorded_at);
            }
            // A case closed after a no-show ends at its closing: the later end keeps it longer.
            CitizenRequestEvent::CaseClosed {
                outcome, closed_at, ..
            } => {
                self.status = CaseStatus::Closed;
                self.outcome = Some(outcome);
                self.ended_at = Some(closed_at);
            }
            CitizenRequestEvent::DocumentsRequested {
                documents, due_at, ..
            } => {
                self.requested_documents.extend(documents);
                self.documents_due = Some(due_at);
            }
            CitizenRequestEvent::NotificationSent { message_id, .. } => {
                self.notifications.insert(message_id);
            }
            CitizenRequestEvent::DocumentAttached {
                document_id,
                file_name,
                media_type,
                size,
                sha256,
                object_key,
                version_id,
                retain_until,
                uploaded_by,
                attached_at,
            } => self.documents.push(AttachedDocument {
                document_id,
                file_name,
                media_type,
                size,
                sha256,
                object_key,
                version_id,
                retain_until,
                uploaded_by,
                attached_at,
                review: None,
                purged_at: None,
            }),
            CitizenRequestEvent::DocumentReviewed {
                document_id,
                accepted,
                reason,
                reviewed_by,
                reviewed_at,
            } => {
                if let Some(document) = self
                    .documents
                    .iter_mut()
                    .find(|d| d.document_id == document_id)
                {
                    document.review = Some(DocumentReview {
                        accepted,
                        reason,
                        reviewed_by,
                        reviewed_at,
                    });
                }
            }
            CitizenRequestEvent::DocumentAccessed { .. }
            | CitizenRequestEvent::CaseFileAccessed { .. } => {}
            signing @ (CitizenRequestEvent::IdentityVerified { .. }
            | CitizenRequestEvent::SignatureRequested { .. }
            | CitizenRequestEvent::SignatureCodeRejected { .. }
            | CitizenRequestEvent::DocumentSigned { .. }
            | CitizenRequestEvent::RegistryEntryMade { .. }) => self.apply_signing(signing),
            calling @ (CitizenRequestEvent::CallStarted { .. }
            | CitizenRequestEvent::RecordingConsentGiven { .. }
            | CitizenRequestEvent::RecordingConsentDeclined { .. }
            | CitizenRequestEvent::RecordingConsentWithdrawn { .. }
            | CitizenRequestEvent::CallEnded { .. }
            | CitizenRequestEvent::RecordingStarted { .. }
            | CitizenRequestEvent::RecordingStored { .. }
            | CitizenRequestEvent::RecordingFailed { .. }
            | CitizenRequestEvent::RecordingAccessed { .. }) => self.apply_calling(calling),
            CitizenRequestEvent::ManageLinkRequested { requested_at } => {
                self.manage_link_requests.push(requested_at);
            }
            purge @ (CitizenRequestEvent::DocumentPurged { .. }
            | CitizenRequestEvent::RecordingPurged { .. }) => self.apply_retention(purge),
            CitizenRequestEvent::PersonalDataErased { erased_at } => {
                self.personal_data_erased_at = Some(erased_at);
                if let Some(booking) = self.booking.as_mut() {
                    booking.citizen = Personal::Erased;
                }
            }
        }
    }
}
