//! Recording a read of the whole case (history, export, case file).

use super::CitizenRequest;
use crate::citizen_request::commands::RecordCaseFileAccess;
use crate::citizen_request::error::CitizenRequestError;
use crate::citizen_request::events::CitizenRequestEvent;
use crate::citizen_request::reads::{CaseRead, MAX_CASE_READ_REASON_CHARS};
use crate::citizen_request::signature::check_text;

impl CitizenRequest {
    /// Recorded in every state once booked: an auditor replaying a closed or cancelled case is
    /// still a fact of it. Every read is recorded, a reader's second page included. The reason
    /// is optional (the route's caller may give none), but one given is checked as a document
    /// read's is. The citizen's own read records nothing.
    pub(super) fn record_case_file_access(
        &self,
        command: RecordCaseFileAccess,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        if self.booking.is_none() {
            return Err(CitizenRequestError::NotBooked);
        }
        let why = match command.why.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(check_text(text, MAX_CASE_READ_REASON_CHARS, false).ok_or(
                CitizenRequestError::CaseReadReason {
                    max: MAX_CASE_READ_REASON_CHARS,
                },
            )?),
        };
        if !CaseRead::is_recorded(command.role) {
            return Ok(vec![]);
        }
        Ok(vec![CitizenRequestEvent::CaseFileAccessed {
            what: command.what,
            by: command.by,
            role: command.role,
            why,
            at: command.at,
        }])
    }
}
