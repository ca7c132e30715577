//! Citizen capability links: what a link lets its holder do, and when it stops working.
//!
//! A link is bound to one request and one purpose. It is void once the case is closed or the
//! appointment cancelled; a join link is also void once the appointment moves, since it was
//! sent for the old time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::citizen_request::CaseStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// See and change or cancel the booking.
    Manage,
    /// Upload documents to the case's private space.
    Upload,
    /// Join the video call.
    Join,
    /// Sign a prepared request or complaint.
    Sign,
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [Self::Manage, Self::Upload, Self::Join, Self::Sign];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manage => "manage",
            Self::Upload => "upload",
            Self::Join => "join",
            Self::Sign => "sign",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the case is closed: its links no longer work")]
    CaseClosed,
    #[error("the appointment was cancelled: its links no longer work")]
    Cancelled,
    #[error("the appointment has moved: this join link was for the old time")]
    Rescheduled,
}

/// Whether a link issued for `purpose` (and, for a join link, for the slot starting at
/// `bound_start`) still works on a case in `status` whose appointment starts at `current_start`.
pub fn check_link(
    purpose: Purpose,
    bound_start: Option<DateTime<Utc>>,
    status: CaseStatus,
    current_start: DateTime<Utc>,
) -> Result<(), LinkError> {
    match status {
        CaseStatus::Closed => return Err(LinkError::CaseClosed),
        CaseStatus::Cancelled => return Err(LinkError::Cancelled),
        _ => {}
    }
    if purpose == Purpose::Join && bound_start != Some(current_start) {
        return Err(LinkError::Rescheduled);
    }
    Ok(())
}

/// Whether a link may still *read* the case (a `GET`). As `check_link`, except that the manage
/// link keeps showing a closed case: the citizen comes back to see the outcome and the registry
/// receipt. It changes nothing there (every change goes through `check_link`).
pub fn check_link_reading(
    purpose: Purpose,
    bound_start: Option<DateTime<Utc>>,
    status: CaseStatus,
    current_start: DateTime<Utc>,
) -> Result<(), LinkError> {
    if purpose == Purpose::Manage && status == CaseStatus::Closed {
        return Ok(());
    }
    check_link(purpose, bound_start, status, current_start)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn nine() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn a_link_works_while_the_case_is_open() {
        for purpose in Purpose::ALL {
            assert_eq!(
                check_link(purpose, Some(nine()), CaseStatus::Booked, nine()),
                Ok(())
            );
        }
        assert_eq!(
            check_link(Purpose::Manage, None, CaseStatus::NoShow, nine()),
            Ok(())
        );
    }

    #[test]
    fn given_a_closed_case_the_manage_link_still_reads_it_and_nothing_else_does() {
        assert_eq!(
            check_link_reading(Purpose::Manage, None, CaseStatus::Closed, nine()),
            Ok(())
        );
        assert_eq!(
            check_link(Purpose::Manage, None, CaseStatus::Closed, nine()),
            Err(LinkError::CaseClosed)
        );
        for purpose in [Purpose::Upload, Purpose::Join, Purpose::Sign] {
            assert_eq!(
                check_link_reading(purpose, Some(nine()), CaseStatus::Closed, nine()),
                Err(LinkError::CaseClosed)
            );
        }
        // A cancelled appointment is over for every link, reading included.
        assert_eq!(
            check_link_reading(Purpose::Manage, None, CaseStatus::Cancelled, nine()),
            Err(LinkError::Cancelled)
        );
    }

    #[test]
    fn every_link_is_void_after_close_or_cancel() {
        for purpose in Purpose::ALL {
            assert_eq!(
                check_link(purpose, Some(nine()), CaseStatus::Closed, nine()),
                Err(LinkError::CaseClosed)
            );
            assert_eq!(
                check_link(purpose, Some(nine()), CaseStatus::Cancelled, nine()),
                Err(LinkError::Cancelled)
            );
        }
    }

    #[test]
    fn a_join_link_is_void_once_the_appointment_moves_but_others_are_not() {
        let later = nine() + chrono::Duration::hours(2);
        assert_eq!(
            check_link(Purpose::Join, Some(nine()), CaseStatus::Booked, later),
            Err(LinkError::Rescheduled)
        );
        assert_eq!(
            check_link(Purpose::Join, None, CaseStatus::Booked, later),
            Err(LinkError::Rescheduled)
        );
        assert_eq!(
            check_link(Purpose::Manage, Some(nine()), CaseStatus::Booked, later),
            Ok(())
        );
        assert_eq!(
            check_link(Purpose::Upload, None, CaseStatus::Booked, later),
            Ok(())
        );
    }

    #[test]
    fn purposes_round_trip_through_text() {
        for purpose in Purpose::ALL {
            assert_eq!(Purpose::parse(purpose.as_str()), Some(purpose));
        }
        assert_eq!(Purpose::parse("admin"), None);
    }
}
