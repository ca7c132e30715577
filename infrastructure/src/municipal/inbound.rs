//! Appointments made in the council's own appointment system, applied here by its reference:
//! the municipal system sends an appointment's current state, and the case converges to it.

use domain::citizen_request::{CancelledBy, CaseStatus, CitizenRequestError};
use domain::metadata::EventMetadata;
use uuid::Uuid;

use crate::booking::{BookingError, BookingService, CaseState, NewBooking};

/// The namespace of request ids derived from municipal references.
const REFERENCE_NAMESPACE: Uuid = Uuid::from_u128(0x6d75_6e69_6369_7061_6c2d_7379_6e63_0001);

/// The case id of a municipal reference: the same reference always names the same case, so a
/// replayed create cannot open a second one.
pub fn request_id(reference: &str) -> Uuid {
    Uuid::new_v5(&REFERENCE_NAMESPACE, reference.as_bytes())
}

/// An appointment as the municipal system has it.
#[derive(Debug, Clone)]
pub struct MunicipalAppointment {
    pub reference: String,
    /// Everything a booking needs; its `request_id` is `request_id(reference)` and its
    /// `external_reference` the reference.
    pub booking: NewBooking,
    /// `Some(reason)` when the appointment is cancelled there.
    pub cancelled: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    Created,
    Rescheduled,
    Cancelled,
    /// Already in that state: a replay.
    Unchanged,
}

impl SyncOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Rescheduled => "rescheduled",
            Self::Cancelled => "cancelled",
            Self::Unchanged => "unchanged",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Booking(#[from] BookingError),
    #[error("reference {reference}: the case is for {current}, not {requested}")]
    ProcedureChanged {
        reference: String,
        current: String,
        requested: String,
    },
}

impl BookingService {
    /// Makes the case of `appointment.reference` match it: books, moves or cancels, or does
    /// nothing when it already matches. A change of citizen details alone is not applied: the
    /// booking keeps the details it was made with.
    pub async fn sync_municipal(
        &self,
        appointment: MunicipalAppointment,
        metadata: &EventMetadata,
    ) -> Result<(SyncOutcome, CaseState), SyncError> {
        let id = appointment.booking.request_id;
        let existing = match self.load(id).await {
            Ok((case, version)) => Some(CaseState {
                request_id: id,
                version,
                case,
            }),
            Err(BookingError::NotFound(_)) => None,
            Err(error) => return Err(error.into()),
        };
        let Some(existing) = existing else {
            if appointment.cancelled.is_some() {
                return Err(BookingError::NotFound(id).into());
            }
            // Identical first deliveries at once: one books, the others find its booking and
            // answer as a replay would.
            let (state, booked_now) = self.book_telling(appointment.booking, metadata).await?;
            let outcome = if booked_now {
                SyncOutcome::Created
            } else {
                SyncOutcome::Unchanged
            };
            return Ok((outcome, state));
        };
        if let Some(reason) = appointment.cancelled {
            if existing.case.status() == CaseStatus::Cancelled {
                return Ok((SyncOutcome::Unchanged, existing));
            }
            let done = self
                .cancel(id, reason, CancelledBy::Council, metadata, None)
                .await?;
            return Ok((SyncOutcome::Cancelled, done));
        }
        let Some(booking) = existing.case.booking().cloned() else {
            return Err(BookingError::Request(CitizenRequestError::NotBooked).into());
        };
        if booking.procedure != appointment.booking.procedure {
            return Err(SyncError::ProcedureChanged {
                reference: appointment.reference,
                current: booking.procedure.as_str().into(),
                requested: appointment.booking.procedure.as_str().into(),
            });
        }
        match existing.case.status() {
            CaseStatus::Booked if booking.slot.start == appointment.booking.start => {
                Ok((SyncOutcome::Unchanged, existing))
            }
            CaseStatus::Booked => {
                let done = self
                    .reschedule(id, appointment.booking.start, metadata, None)
                    .await?;
                Ok((SyncOutcome::Rescheduled, done))
            }
            // Cancelled, closed or no-show here: the domain says why it cannot be booked again.
            _ => {
                let refused = existing
                    .case
                    .check_reschedule(appointment.booking.start)
                    .err()
                    .unwrap_or(CitizenRequestError::NotBooked);
                Err(BookingError::Request(refused).into())
            }
        }
    }
}
