/// Why a command on a citizen request was refused. Each variant maps to one HTTP status and one
/// bilingual message in the api.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CitizenRequestError {
    #[error("there is no appointment booked for this request")]
    NotBooked,
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
    #[error("the document record is incomplete: {0}")]
    DocumentRecord(&'static str),
}
