use super::identity::IdentityMismatch;

/// Why a command on a citizen request was refused. Each variant maps to one HTTP status and one
/// bilingual message in the api.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CitizenRequestError {
    #[error("there is no appointment booked for this request")]
    NotBooked,
    /// Personal data is erased, and stored objects purged, only once the case has ended.
    #[error(
        "the case has not ended: its personal data is not erased, nor its objects purged, before"
    )]
    CaseNotEnded,
    #[error("the citizen's personal data in this case was erased")]
    PersonalDataErased,
    #[error("the manage link was sent again {max} times in the last day")]
    ManageLinkRequestedOften { max: usize },
    #[error("this request already has another appointment booked")]
    AlreadyBooked,
    #[error("the appointment was cancelled")]
    Cancelled,
    #[error("the case is closed")]
    Closed,
    #[error("a no-show was recorded for this appointment")]
    NoShow,
    #[error("the appointment has already started")]
    AlreadyStarted,
    #[error("the appointment is over")]
    AppointmentOver,
    #[error("a no-show can only be recorded once the appointment has started")]
    NotStartedYet,
    #[error("the text is longer than {max} characters")]
    TextTooLong { max: usize },
    #[error("an external reference is 1 to 64 printable characters")]
    ExternalReference,
    #[error("ask for 1 to {max} documents")]
    DocumentCount { max: usize },
    #[error(
        "a document label is 1 to {max} characters in both languages, without control characters"
    )]
    DocumentLabel { max: usize },
    #[error("documents must be due after now and no later than the appointment")]
    DocumentsDue,
    #[error("there is no document {0} in this case")]
    DocumentNotFound(uuid::Uuid),
    #[error("this case already holds {max} documents")]
    TooManyDocuments { max: usize },
    #[error("the document was already reviewed otherwise")]
    AlreadyReviewed,
    #[error("a rejection needs a reason of 1 to {max} characters, without control characters")]
    ReviewReason { max: usize },
    #[error(
        "reading a document needs a reason of 1 to {max} characters, without control characters"
    )]
    AccessReason { max: usize },
    #[error(
        "the reason for reading the case is at most {max} characters, without control characters"
    )]
    CaseReadReason { max: usize },
    #[error("the document record is incomplete: {0}")]
    DocumentRecord(&'static str),
    #[error("the identification does not match the booking: {}", .0.as_str())]
    IdentityMismatch(IdentityMismatch),
    #[error("the evidence does not fit the identification method")]
    IdentityEvidence,
    #[error("the citizen's identity has not been verified in this case")]
    IdentityNotVerified,
    #[error("there is no signature {0} in this case")]
    SignatureNotFound(uuid::Uuid),
    #[error("another signature has this id")]
    SignatureExists,
    #[error("a rejected document cannot be signed")]
    DocumentRejected,
    #[error("{field} is 1 to {max} characters, without control characters")]
    SignatureText { field: &'static str, max: usize },
    #[error("the one-time code has expired")]
    CodeExpired,
    #[error("too many wrong codes: this signature is locked")]
    SignatureLocked,
    #[error("the document is already signed")]
    AlreadySigned,
    #[error("the document is not the one prepared for signature")]
    DocumentChanged,
    #[error("this signature is made another way")]
    WrongSigningMethod,
    #[error("the registry record is inconsistent: {0}")]
    RegistryRecord(&'static str),
    #[error(
        "the call can open from {early_join_minutes} minutes before the appointment until its end"
    )]
    CallOutsideWindow { early_join_minutes: i64 },
    #[error("another clerk's call is in progress")]
    CallInProgress,
    #[error("no call is in progress")]
    NoCallInProgress,
    #[error("the citizen has not consented to recording")]
    ConsentNotGiven,
    #[error("consent was given: withdraw it instead")]
    ConsentAlreadyGiven,
    #[error("the consent wording version is 1 to {max} characters")]
    ConsentWording { max: usize },
    #[error("there is no recording {0} in this case")]
    RecordingNotFound(uuid::Uuid),
    #[error("the recording record is inconsistent: {0}")]
    RecordingRecord(&'static str),
    #[error("not due for purge before {due_at}")]
    NotDueForPurge {
        due_at: chrono::DateTime<chrono::Utc>,
    },
    #[error("already purged")]
    AlreadyPurged,
    #[error("document {0} was purged at the end of its retention")]
    DocumentPurged(uuid::Uuid),
    #[error("this file of recording {0} was purged at the end of its retention")]
    RecordingPurged(uuid::Uuid),
}
