//! Sending the manage link again. A citizen who lost the mail asks for it with their DNI/NIE
//! and email; the link goes to the address on file, never in the answer. A few times a day is
//! enough for a person and keeps the form from mail-bombing someone's inbox.

use chrono::Duration;

use super::CitizenRequest;
use crate::citizen_request::{CitizenRequestError, CitizenRequestEvent, RequestManageLink};

/// Resends of the manage link allowed in any 24 hours.
pub const MAX_MANAGE_LINK_REQUESTS_PER_DAY: usize = 3;

impl CitizenRequest {
    pub(super) fn request_manage_link(
        &self,
        command: RequestManageLink,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        self.require_booked()?;
        let since = command.at - Duration::hours(24);
        let recent = self
            .manage_link_requests
            .iter()
            .filter(|at| **at > since)
            .count();
        if recent >= MAX_MANAGE_LINK_REQUESTS_PER_DAY {
            return Err(CitizenRequestError::ManageLinkRequestedOften {
                max: MAX_MANAGE_LINK_REQUESTS_PER_DAY,
            });
        }
        Ok(vec![CitizenRequestEvent::ManageLinkRequested {
            requested_at: command.at,
        }])
    }
}
