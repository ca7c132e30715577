//! Erasing the citizen's personal data when the case's retention for it ends.
//!
//! Only a case that has ended can lose its personal data: an open case still needs the
//! citizen's name, DNI/NIE and address to work. The retention schedule decides when; this rule
//! only refuses what can never be right, and makes a repeated erasure (a retry after a crash
//! between recording it and destroying the key) write nothing.

use super::{CaseStatus, CitizenRequest};
use crate::citizen_request::{CitizenRequestError, CitizenRequestEvent, ErasePersonalData};

impl CitizenRequest {
    pub(super) fn erase_personal_data(
        &self,
        command: ErasePersonalData,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        if self.personal_data_erased_at.is_some() {
            return Ok(vec![]);
        }
        match self.status {
            CaseStatus::Closed | CaseStatus::Cancelled | CaseStatus::NoShow => {
                Ok(vec![CitizenRequestEvent::PersonalDataErased {
                    erased_at: command.at,
                }])
            }
            CaseStatus::New | CaseStatus::Booked => Err(CitizenRequestError::CaseNotEnded),
        }
    }

    /// When the citizen's personal data was erased, if it was.
    pub fn personal_data_erased_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.personal_data_erased_at
    }
}
