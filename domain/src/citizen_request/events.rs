use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::call::{ConsentWording, Participant, StoredRecording};
use super::documents::DocumentMediaType;
use super::identity::{IdentityEvidence, IdentityMethod};
use super::reads::CaseRead;
use super::signature::{SignableKind, SignatureEvidence, Signer, SigningMethod};
use crate::metadata::Role;
use crate::notification::{NotificationChannel, NotificationKind};
use crate::procedure::Bilingual;
use crate::slot::Slot;
use crate::values::{CitizenName, Email, Language, NationalId, Personal, Phone, ProcedureCode};

/// How the appointment was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    #[serde(rename = "phone_010")]
    Phone010,
    Counter,
    MunicipalSync,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Phone010 => "phone_010",
            Self::Counter => "counter",
            Self::MunicipalSync => "municipal_sync",
        }
    }

    /// Whether someone acting in `role` may book an appointment said to come by this channel.
    /// The channel records how the citizen asked, and reports count by it: a citizen's own
    /// booking is a web booking, and a 010 operator answers the phone only (the counter is the
    /// clerks'), so theirs is a phone booking. Clerks and supervisors work every channel.
    pub fn may_be_booked_by(self, role: Role) -> bool {
        match role {
            Role::Citizen => self == Self::Web,
            Role::Operator => self == Self::Phone010,
            _ => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citizen {
    pub name: CitizenName,
    pub national_id: NationalId,
    pub email: Email,
    pub phone: Option<Phone>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    Citizen,
    Council,
}

impl CancelledBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Council => "council",
        }
    }

    /// On whose behalf someone acting in `role` cancels. An operator holds no power of the
    /// council's own and cancels only because the caller asked, so it is the citizen's
    /// cancellation (the reports count the council's as the service's own doing); the actor in
    /// the event's metadata still names the operator.
    pub fn acting_as(role: Role) -> Self {
        match role {
            Role::Citizen | Role::Operator => Self::Citizen,
            _ => Self::Council,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseOutcome {
    /// The procedure was carried out.
    Resolved,
    /// Passed on to another service or needs an in-person visit.
    Referred,
    /// The citizen withdrew the request.
    Withdrawn,
    /// Closed after a no-show.
    Abandoned,
}

impl CaseOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resolved => "resolved",
            Self::Referred => "referred",
            Self::Withdrawn => "withdrawn",
            Self::Abandoned => "abandoned",
        }
    }
}

/// Everything that happened to a citizen request, in the past tense. Payloads are versioned by
/// `event_version`; a change of shape gets a new version and an upcaster, never an edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CitizenRequestEvent {
    AppointmentBooked {
        procedure: ProcedureCode,
        slot: Slot,
        room: u8,
        channel: Channel,
        language: Language,
        /// Stored encrypted under the case's key; `Erased` once that key was erased.
        citizen: Personal<Citizen>,
        external_reference: Option<String>,
        booked_at: DateTime<Utc>,
    },
    AppointmentRescheduled {
        previous: Slot,
        slot: Slot,
        room: u8,
        rescheduled_at: DateTime<Utc>,
    },
    AppointmentCancelled {
        /// Free text, which may name people or circumstances: sealed like the citizen.
        reason: Personal<String>,
        cancelled_by: CancelledBy,
        cancelled_at: DateTime<Utc>,
    },
    NoShowRecorded {
        recorded_at: DateTime<Utc>,
    },
    CaseClosed {
        outcome: CaseOutcome,
        /// Free text about the citizen's matter: sealed like the citizen.
        summary: Personal<String>,
        registry_entry: Option<String>,
        closed_at: DateTime<Utc>,
    },
    /// The clerk asked the citizen for documents, to upload before `due_at`.
    DocumentsRequested {
        documents: Vec<RequestedDocument>,
        due_at: DateTime<Utc>,
        requested_at: DateTime<Utc>,
    },
    /// A message reached the citizen's mail server (or the local mail folder). `message_id` is
    /// the stable id of the message, the same on every attempt.
    NotificationSent {
        message_id: uuid::Uuid,
        kind: NotificationKind,
        channel: NotificationChannel,
        language: Language,
        sent_at: DateTime<Utc>,
    },
    /// A document was stored in the case's space: the object's key and version in the documents
    /// bucket, its size, type (from its content) and SHA-256, and until when it is locked.
    DocumentAttached {
        document_id: uuid::Uuid,
        /// As the uploader named it ("DNI_Miren_Etxeberria.pdf"): sealed like the citizen.
        file_name: Personal<String>,
        media_type: DocumentMediaType,
        size: u64,
        sha256: String,
        object_key: String,
        version_id: String,
        retain_until: DateTime<Utc>,
        /// The actor: `citizen:<request>` through the upload link, `staff:<id>` for a clerk.
        uploaded_by: String,
        attached_at: DateTime<Utc>,
    },
    /// The clerk accepted or rejected a document; a rejection says why.
    DocumentReviewed {
        document_id: uuid::Uuid,
        accepted: bool,
        reason: Option<String>,
        reviewed_by: String,
        reviewed_at: DateTime<Utc>,
    },
    /// Someone read a document's content: who, when and why.
    DocumentAccessed {
        document_id: uuid::Uuid,
        by: String,
        why: String,
        at: DateTime<Utc>,
    },
    /// The citizen was identified, matching the booked DNI/NIE and name.
    IdentityVerified {
        method: IdentityMethod,
        evidence: IdentityEvidence,
        /// `staff:<id>` of the clerk who checked or received the identification.
        verified_by: String,
        verified_at: DateTime<Utc>,
    },
    /// A request or complaint was prepared for the citizen to sign: the signature binds the
    /// document's SHA-256.
    SignatureRequested {
        signature_id: uuid::Uuid,
        kind: SignableKind,
        document_id: uuid::Uuid,
        sha256: String,
        addressee: String,
        signer: Signer,
        method: SigningMethod,
        requested_by: String,
        /// For a one-time code: until when the code mailed for it works.
        code_expires_at: Option<DateTime<Utc>>,
        requested_at: DateTime<Utc>,
    },
    /// A wrong one-time code was typed; `locked` once too many were.
    SignatureCodeRejected {
        signature_id: uuid::Uuid,
        failed_attempts: u8,
        locked: bool,
        at: DateTime<Utc>,
    },
    /// The document was signed. `seal` is the council's detached JWS over the signature's claims
    /// (case, signature, document, digest, signer, method, time).
    DocumentSigned {
        signature_id: uuid::Uuid,
        document_id: uuid::Uuid,
        sha256: String,
        signer: Signer,
        evidence: SignatureEvidence,
        seal: String,
        signed_at: DateTime<Utc>,
    },
    /// The signed document was entered in the council's registry under `number`.
    RegistryEntryMade {
        signature_id: uuid::Uuid,
        number: u64,
        registered_at: DateTime<Utc>,
    },
    /// A clerk opened the video call in the appointment's room.
    CallStarted {
        call_id: uuid::Uuid,
        clerk: String,
        room: u8,
        started_at: DateTime<Utc>,
    },
    /// The citizen agreed to the call being recorded, after being shown `wording`.
    RecordingConsentGiven {
        call_id: uuid::Uuid,
        wording: ConsentWording,
        by: String,
        at: DateTime<Utc>,
    },
    RecordingConsentDeclined {
        call_id: uuid::Uuid,
        wording: ConsentWording,
        by: String,
        at: DateTime<Utc>,
    },
    /// The citizen took consent back: recording stops; what was recorded before is kept.
    RecordingConsentWithdrawn {
        call_id: uuid::Uuid,
        wording: ConsentWording,
        by: String,
        at: DateTime<Utc>,
    },
    CallEnded {
        call_id: uuid::Uuid,
        ended_by: String,
        ended_at: DateTime<Utc>,
    },
    /// The recorder began recording this consented stretch of the call.
    RecordingStarted {
        recording_id: uuid::Uuid,
        call_id: uuid::Uuid,
        started_at: DateTime<Utc>,
    },
    /// One participant's file of the recording is stored, locked until `retain_until`.
    RecordingStored {
        recording_id: uuid::Uuid,
        stored: StoredRecording,
    },
    /// One publication's file (or, without `publication`, the whole recording) could not be
    /// stored. Each publication fails on its own: a participant who reconnected may lose one
    /// file and keep the other.
    RecordingFailed {
        recording_id: uuid::Uuid,
        participant: Option<Participant>,
        /// The WHIP publication whose file failed; absent in events written before it was kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        publication: Option<uuid::Uuid>,
        reason: String,
        failed_at: DateTime<Utc>,
    },
    /// Someone read a recording's file: who, when and why.
    RecordingAccessed {
        recording_id: uuid::Uuid,
        object_key: String,
        by: String,
        why: String,
        at: DateTime<Utc>,
    },
    /// Someone other than the citizen read the whole case (`what`: its history, its export or
    /// its case file): who, in what role, when, and why when they said. Written before the
    /// answer is sent, in every state of the case.
    CaseFileAccessed {
        what: CaseRead,
        by: String,
        role: Role,
        why: Option<String>,
        at: DateTime<Utc>,
    },
    /// The citizen lost the mail and asked, with their DNI/NIE and email, for the link to manage
    /// the appointment again: it goes to the address on file.
    ManageLinkRequested {
        requested_at: DateTime<Utc>,
    },
    /// The document's stored version was deleted from the documents bucket once the retention
    /// schedule and its own lock allowed it. Its record stays; its bytes are gone.
    DocumentPurged {
        document_id: uuid::Uuid,
        object_key: String,
        version_id: String,
        purged_at: DateTime<Utc>,
    },
    /// One file of a recording was deleted from the recordings bucket once the retention
    /// schedule and its own lock (at least four years) allowed it.
    RecordingPurged {
        recording_id: uuid::Uuid,
        object_key: String,
        version_id: String,
        purged_at: DateTime<Utc>,
    },
    /// The case's retention for personal data ended and its key was erased: from here on the
    /// citizen's data in every event of the case reads as erased. Written before the key goes,
    /// so the record of the erasure never depends on the erasure having worked.
    PersonalDataErased {
        erased_at: DateTime<Utc>,
    },
}

/// One document the clerk asks for, named in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedDocument {
    pub label: Bilingual,
}

impl DomainEvent for CitizenRequestEvent {
    fn event_type(&self) -> String {
        match self {
            Self::AppointmentBooked { .. } => "AppointmentBooked",
            Self::AppointmentRescheduled { .. } => "AppointmentRescheduled",
            Self::AppointmentCancelled { .. } => "AppointmentCancelled",
            Self::NoShowRecorded { .. } => "NoShowRecorded",
            Self::CaseClosed { .. } => "CaseClosed",
            Self::DocumentsRequested { .. } => "DocumentsRequested",
            Self::NotificationSent { .. } => "NotificationSent",
            Self::DocumentAttached { .. } => "DocumentAttached",
            Self::DocumentReviewed { .. } => "DocumentReviewed",
            Self::DocumentAccessed { .. } => "DocumentAccessed",
            Self::IdentityVerified { .. } => "IdentityVerified",
            Self::SignatureRequested { .. } => "SignatureRequested",
            Self::SignatureCodeRejected { .. } => "SignatureCodeRejected",
            Self::DocumentSigned { .. } => "DocumentSigned",
            Self::RegistryEntryMade { .. } => "RegistryEntryMade",
            Self::CallStarted { .. } => "CallStarted",
            Self::RecordingConsentGiven { .. } => "RecordingConsentGiven",
            Self::RecordingConsentDeclined { .. } => "RecordingConsentDeclined",
            Self::RecordingConsentWithdrawn { .. } => "RecordingConsentWithdrawn",
            Self::CallEnded { .. } => "CallEnded",
            Self::RecordingStarted { .. } => "RecordingStarted",
            Self::RecordingStored { .. } => "RecordingStored",
            Self::RecordingFailed { .. } => "RecordingFailed",
            Self::RecordingAccessed { .. } => "RecordingAccessed",
            Self::CaseFileAccessed { .. } => "CaseFileAccessed",
            Self::ManageLinkRequested { .. } => "ManageLinkRequested",
            Self::DocumentPurged { .. } => "DocumentPurged",
            Self::RecordingPurged { .. } => "RecordingPurged",
            Self::PersonalDataErased { .. } => "PersonalDataErased",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

#[cfg(test)]
mod who_books_and_cancels {
    use super::*;

    const CHANNELS: [Channel; 4] = [
        Channel::Web,
        Channel::Phone010,
        Channel::Counter,
        Channel::MunicipalSync,
    ];

    fn channels_for(role: Role) -> Vec<Channel> {
        CHANNELS
            .into_iter()
            .filter(|c| c.may_be_booked_by(role))
            .collect()
    }

    #[test]
    fn an_operator_books_by_phone_only_and_a_citizen_on_the_web_only() {
        assert_eq!(channels_for(Role::Operator), [Channel::Phone010]);
        assert_eq!(channels_for(Role::Citizen), [Channel::Web]);
        assert_eq!(channels_for(Role::Clerk), CHANNELS);
        assert_eq!(channels_for(Role::Supervisor), CHANNELS);
    }

    #[test]
    fn an_operators_cancellation_is_the_callers_and_a_clerks_the_councils() {
        assert_eq!(CancelledBy::acting_as(Role::Operator), CancelledBy::Citizen);
        assert_eq!(CancelledBy::acting_as(Role::Citizen), CancelledBy::Citizen);
        assert_eq!(CancelledBy::acting_as(Role::Clerk), CancelledBy::Council);
        assert_eq!(
            CancelledBy::acting_as(Role::Supervisor),
            CancelledBy::Council
        );
    }
}
