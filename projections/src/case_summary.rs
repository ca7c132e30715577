//! The case summary: one row per citizen request, what a clerk or the citizen sees first.

use chrono::{DateTime, Utc};
use domain::citizen_request::{CaseStatus, CitizenRequestEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub request_id: Uuid,
    /// The aggregate's version: the sequence of the last event applied.
    pub version: i64,
    /// How many events were folded in; equals `version` unless an event was applied twice or
    /// skipped, which the crash tests check.
    pub events_applied: i64,
    pub status: CaseStatus,
    pub procedure: String,
    pub slot_start: DateTime<Utc>,
    pub slot_minutes: i32,
    pub room: i16,
    pub channel: String,
    pub language: String,
    pub citizen_name: String,
    pub citizen_national_id: String,
    pub citizen_email: String,
    pub citizen_phone: Option<String>,
    /// The citizen's data was erased: the four fields above are empty.
    pub personal_data_erased: bool,
    pub external_reference: Option<String>,
    pub reschedule_count: i32,
    pub cancellation_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub outcome: Option<String>,
    pub closing_summary: Option<String>,
    pub registry_entry: Option<String>,
    pub booked_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FoldError {
    #[error("request {0}: an event arrived before the appointment was booked")]
    NotBookedYet(Uuid),
    #[error("request {request_id}: event #{sequence} does not follow #{version}")]
    OutOfOrder {
        request_id: Uuid,
        version: i64,
        sequence: i64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FoldLogError {
    #[error(transparent)]
    Decode(#[from] crate::DecodeError),
    #[error(transparent)]
    Fold(#[from] FoldError),
}

/// The summary of a request folded from its logged events, in sequence order from the first
/// (`None` when there are none).
pub fn fold_log(
    request_id: Uuid,
    events: &[crate::LoggedEvent],
) -> Result<Option<CaseSummary>, FoldLogError> {
    let mut summary = None;
    for event in events {
        let payload: CitizenRequestEvent = event.decode()?;
        summary = Some(apply(
            summary,
            request_id,
            event.sequence,
            &payload,
            event.recorded_at,
        )?);
    }
    Ok(summary)
}

/// Folds one event of a request into its summary. `at` is when the event was recorded.
pub fn apply(
    current: Option<CaseSummary>,
    request_id: Uuid,
    sequence: i64,
    event: &CitizenRequestEvent,
    at: DateTime<Utc>,
) -> Result<CaseSummary, FoldError> {
    if let Some(summary) = &current
        && sequence != summary.version + 1
    {
        return Err(FoldError::OutOfOrder {
            request_id,
            version: summary.version,
            sequence,
        });
    }
    let mut summary = match (current, event) {
        (
            None,
            CitizenRequestEvent::AppointmentBooked {
                procedure,
                slot,
                room,
                channel,
                language,
                citizen,
                external_reference,
                booked_at,
            },
        ) => CaseSummary {
            request_id,
            version: 0,
            events_applied: 0,
            status: CaseStatus::Booked,
            procedure: procedure.as_str().to_string(),
            slot_start: slot.start,
            slot_minutes: i32::from(slot.minutes),
            room: i16::from(*room),
            channel: channel.as_str().to_string(),
            language: language.as_str().to_string(),
            citizen_name: citizen
                .known()
                .map(|c| c.name.as_str().to_string())
                .unwrap_or_default(),
            citizen_national_id: citizen
                .known()
                .map(|c| c.national_id.as_str().to_string())
                .unwrap_or_default(),
            citizen_email: citizen
                .known()
                .map(|c| c.email.as_str().to_string())
                .unwrap_or_default(),
            citizen_phone: citizen
                .known()
                .and_then(|c| c.phone.as_ref())
                .map(|p| p.as_str().to_string()),
            personal_data_erased: citizen.is_erased(),
            external_reference: external_reference.clone(),
            reschedule_count: 0,
            cancellation_reason: None,
            cancelled_by: None,
            outcome: None,
            closing_summary: None,
            registry_entry: None,
            booked_at: *booked_at,
            updated_at: at,
        },
        (None, _) => return Err(FoldError::NotBookedYet(request_id)),
        (Some(mut summary), event) => {
            match event {
                CitizenRequestEvent::AppointmentBooked { .. } => {}
                CitizenRequestEvent::AppointmentRescheduled { slot, room, .. } => {
                    summary.slot_start = slot.start;
                    summary.slot_minutes = i32::from(slot.minutes);
                    summary.room = i16::from(*room);
                    summary.reschedule_count += 1;
                }
                CitizenRequestEvent::AppointmentCancelled {
                    reason,
                    cancelled_by,
                    ..
                } => {
                    summary.status = CaseStatus::Cancelled;
                    summary.cancellation_reason = Some(reason.known().cloned().unwrap_or_default());
                    summary.cancelled_by = Some(cancelled_by.as_str().to_string());
                }
                CitizenRequestEvent::NoShowRecorded { .. } => summary.status = CaseStatus::NoShow,
                CitizenRequestEvent::CaseClosed {
                    outcome,
                    summary: text,
                    registry_entry,
                    ..
                } => {
                    summary.status = CaseStatus::Closed;
                    summary.outcome = Some(outcome.as_str().to_string());
                    summary.closing_summary = Some(text.known().cloned().unwrap_or_default());
                    // A number the clerk gives at closing wins; otherwise the entry the registry
                    // made for a signed document stays.
                    if registry_entry.is_some() {
                        summary.registry_entry = registry_entry.clone();
                    }
                }
                CitizenRequestEvent::RegistryEntryMade { number, .. } => {
                    summary.registry_entry = Some(number.to_string());
                }
                CitizenRequestEvent::PersonalDataErased { .. } => {
                    summary.citizen_name.clear();
                    summary.citizen_national_id.clear();
                    summary.citizen_email.clear();
                    summary.citizen_phone = None;
                    // Free texts said something about the citizen's matter: they go too.
                    if let Some(reason) = summary.cancellation_reason.as_mut() {
                        reason.clear();
                    }
                    if let Some(text) = summary.closing_summary.as_mut() {
                        text.clear();
                    }
                    summary.personal_data_erased = true;
                }
                // Documents and messages are listed by their own views; the summary only moves
                // to the new version.
                CitizenRequestEvent::DocumentsRequested { .. }
                | CitizenRequestEvent::NotificationSent { .. }
                | CitizenRequestEvent::DocumentAttached { .. }
                | CitizenRequestEvent::DocumentReviewed { .. }
                | CitizenRequestEvent::DocumentAccessed { .. }
                | CitizenRequestEvent::IdentityVerified { .. }
                | CitizenRequestEvent::SignatureRequested { .. }
                | CitizenRequestEvent::SignatureCodeRejected { .. }
                | CitizenRequestEvent::DocumentSigned { .. }
                | CitizenRequestEvent::CallStarted { .. }
                | CitizenRequestEvent::RecordingConsentGiven { .. }
                | CitizenRequestEvent::RecordingConsentDeclined { .. }
                | CitizenRequestEvent::RecordingConsentWithdrawn { .. }
                | CitizenRequestEvent::CallEnded { .. }
                | CitizenRequestEvent::RecordingStarted { .. }
                | CitizenRequestEvent::RecordingStored { .. }
                | CitizenRequestEvent::RecordingFailed { .. }
                | CitizenRequestEvent::RecordingAccessed { .. }
                | CitizenRequestEvent::CaseFileAccessed { .. }
                | CitizenRequestEvent::ManageLinkRequested { .. }
                | CitizenRequestEvent::DocumentPurged { .. }
                | CitizenRequestEvent::RecordingPurged { .. } => {}
            }
            summary.updated_at = at;
            summary
        }
    };
    summary.version = sequence;
    summary.events_applied += 1;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use domain::citizen_request::{CancelledBy, Channel, Citizen};
    use domain::slot::Slot;
    use domain::values::{CitizenName, Email, Language, NationalId, Personal, ProcedureCode};

    use super::*;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, 0, 0)
            .single()
            .expect("time")
    }

    fn booked() -> CitizenRequestEvent {
        CitizenRequestEvent::AppointmentBooked {
            procedure: ProcedureCode::parse("PADRON-ALTA").expect("code"),
            slot: Slot::new(t(9), 30),
            room: 2,
            channel: Channel::Phone010,
            language: Language::Eu,
            citizen: Personal::Known(Citizen {
                name: CitizenName::parse("Ane Ruiz").expect("name"),
                national_id: NationalId::parse("12345678Z").expect("id"),
                email: Email::parse("ane@example.org").expect("email"),
                phone: None,
            }),
            external_reference: Some("CITA-1".into()),
            booked_at: t(7),
        }
    }

    #[test]
    fn an_erasure_empties_the_citizen_and_a_rebuild_after_it_agrees() {
        let id = Uuid::from_u128(1);
        let booked_summary = apply(None, id, 1, &booked(), t(7)).expect("fold");
        assert_eq!(booked_summary.citizen_name, "Ane Ruiz");
        let erased = apply(
            Some(booked_summary),
            id,
            2,
            &CitizenRequestEvent::PersonalDataErased { erased_at: t(8) },
            t(8),
        )
        .expect("fold");
        assert!(erased.personal_data_erased);
        assert_eq!(
            (
                erased.citizen_name.as_str(),
                erased.citizen_national_id.as_str()
            ),
            ("", "")
        );
        assert_eq!(erased.external_reference.as_deref(), Some("CITA-1"));
        // Rebuilt after the key is gone, the booking itself decodes with the citizen erased.
        let mut rebuilt_booking = booked();
        if let CitizenRequestEvent::AppointmentBooked { citizen, .. } = &mut rebuilt_booking {
            *citizen = Personal::Erased;
        }
        let rebuilt = apply(None, id, 1, &rebuilt_booking, t(7)).expect("fold");
        assert!(rebuilt.personal_data_erased);
        assert_eq!(rebuilt.citizen_email, "");
        assert_eq!(rebuilt.citizen_phone, None);
    }

    #[test]
    fn booking_creates_the_summary() {
        let id = Uuid::from_u128(1);
        let summary = apply(None, id, 1, &booked(), t(7)).expect("fold");
        assert_eq!(summary.status, CaseStatus::Booked);
        assert_eq!((summary.version, summary.events_applied), (1, 1));
        assert_eq!(summary.channel, "phone_010");
        assert_eq!(summary.room, 2);
    }

    #[test]
    fn later_events_update_it_in_order() {
        let id = Uuid::from_u128(1);
        let booked = apply(None, id, 1, &booked(), t(7)).expect("fold");
        let moved = apply(
            Some(booked),
            id,
            2,
            &CitizenRequestEvent::AppointmentRescheduled {
                previous: Slot::new(t(9), 30),
                slot: Slot::new(t(11), 30),
                room: 1,
                rescheduled_at: t(8),
            },
            t(8),
        )
        .expect("fold");
        assert_eq!(
            (moved.slot_start, moved.room, moved.reschedule_count),
            (t(11), 1, 1)
        );
        let cancelled = apply(
            Some(moved),
            id,
            3,
            &CitizenRequestEvent::AppointmentCancelled {
                reason: "ill".into(),
                cancelled_by: CancelledBy::Citizen,
                cancelled_at: t(8),
            },
            t(8),
        )
        .expect("fold");
        assert_eq!(cancelled.status, CaseStatus::Cancelled);
        assert_eq!(cancelled.cancelled_by.as_deref(), Some("citizen"));
        assert_eq!((cancelled.version, cancelled.events_applied), (3, 3));
    }

    #[test]
    fn a_gap_or_a_repeat_is_refused() {
        let id = Uuid::from_u128(1);
        let summary = apply(None, id, 1, &booked(), t(7)).expect("fold");
        let repeat = CitizenRequestEvent::NoShowRecorded { recorded_at: t(9) };
        assert_eq!(
            apply(Some(summary.clone()), id, 1, &repeat, t(9)),
            Err(FoldError::OutOfOrder {
                request_id: id,
                version: 1,
                sequence: 1
            })
        );
        assert!(apply(Some(summary), id, 3, &repeat, t(9)).is_err());
        assert_eq!(
            apply(None, id, 1, &repeat, t(9)),
            Err(FoldError::NotBookedYet(id))
        );
    }
}
