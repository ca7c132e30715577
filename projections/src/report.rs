//! Reporting figures per service day, procedure, channel and language, as a fold: each event of
//! a case adds to the counters of one or two rows.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::citizen_request::CitizenRequestEvent;

/// The case's attributes the report needs to attribute its later events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCase {
    pub procedure: String,
    pub channel: String,
    pub language: String,
    pub service_day: NaiveDate,
}

/// A row's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReportKey {
    pub service_day: NaiveDate,
    pub procedure: String,
    pub channel: String,
    pub language: String,
}

/// Additions to one row's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub booked: i32,
    pub rescheduled_in: i32,
    pub rescheduled_out: i32,
    pub cancelled: i32,
    pub no_shows: i32,
    pub closed: i32,
    pub waiting_days_total: i64,
}

/// What one event does to the report: additions to rows, and the case as it is after it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportChange {
    pub additions: Vec<(ReportKey, Counters)>,
    pub case: Option<ReportCase>,
}

fn key(case: &ReportCase, day: NaiveDate) -> ReportKey {
    ReportKey {
        service_day: day,
        procedure: case.procedure.clone(),
        channel: case.channel.clone(),
        language: case.language.clone(),
    }
}

/// Folds one event of a case (known as `case`, absent before its booking) into the report.
pub fn change(
    case: Option<&ReportCase>,
    event: &CitizenRequestEvent,
    timezone: Tz,
) -> ReportChange {
    let day = |instant: DateTime<Utc>| instant.with_timezone(&timezone).date_naive();
    let on_case_day = |counters: Counters| match case {
        Some(case) => ReportChange {
            additions: vec![(key(case, case.service_day), counters)],
            case: Some(case.clone()),
        },
        None => ReportChange {
            additions: vec![],
            case: None,
        },
    };
    match event {
        CitizenRequestEvent::AppointmentBooked {
            procedure,
            slot,
            channel,
            language,
            booked_at,
            ..
        } => {
            let booked = ReportCase {
                procedure: procedure.as_str().to_string(),
                channel: channel.as_str().to_string(),
                language: language.as_str().to_string(),
                service_day: day(slot.start),
            };
            let waiting = (booked.service_day - day(*booked_at)).num_days().max(0);
            ReportChange {
                additions: vec![(
                    key(&booked, booked.service_day),
                    Counters {
                        booked: 1,
                        waiting_days_total: waiting,
                        ..Counters::default()
                    },
                )],
                case: Some(booked),
            }
        }
        CitizenRequestEvent::AppointmentRescheduled { slot, .. } => match case {
            Some(case) => {
                let moved = ReportCase {
                    service_day: day(slot.start),
                    ..case.clone()
                };
                ReportChange {
                    additions: vec![
                        (
                            key(case, case.service_day),
                            Counters {
                                rescheduled_out: 1,
                                ..Counters::default()
                            },
                        ),
                        (
                            key(&moved, moved.service_day),
                            Counters {
                                rescheduled_in: 1,
                                ..Counters::default()
                            },
                        ),
                    ],
                    case: Some(moved),
                }
            }
            None => on_case_day(Counters::default()),
        },
        CitizenRequestEvent::AppointmentCancelled { .. } => on_case_day(Counters {
            cancelled: 1,
            ..Counters::default()
        }),
        CitizenRequestEvent::NoShowRecorded { .. } => on_case_day(Counters {
            no_shows: 1,
            ..Counters::default()
        }),
        CitizenRequestEvent::CaseClosed { .. } => on_case_day(Counters {
            closed: 1,
            ..Counters::default()
        }),
        CitizenRequestEvent::DocumentsRequested { .. }
        | CitizenRequestEvent::NotificationSent { .. }
        | CitizenRequestEvent::DocumentAttached { .. }
        | CitizenRequestEvent::DocumentReviewed { .. }
        | CitizenRequestEvent::DocumentAccessed { .. }
        | CitizenRequestEvent::IdentityVerified { .. }
        | CitizenRequestEvent::SignatureRequested { .. }
        | CitizenRequestEvent::SignatureCodeRejected { .. }
        | CitizenRequestEvent::DocumentSigned { .. }
        | CitizenRequestEvent::RegistryEntryMade { .. }
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
        | CitizenRequestEvent::RecordingPurged { .. }
        | CitizenRequestEvent::PersonalDataErased { .. } => on_case_day(Counters::default()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use domain::citizen_request::{Channel, Citizen};
    use domain::slot::Slot;
    use domain::values::{CitizenName, Email, Language, NationalId, ProcedureCode};

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
            .single()
            .expect("time")
    }

    fn booked() -> CitizenRequestEvent {
        CitizenRequestEvent::AppointmentBooked {
            procedure: ProcedureCode::parse("QUEJA").expect("code"),
            slot: Slot::new(at(10, 9), 30),
            room: 1,
            channel: Channel::Web,
            language: Language::Eu,
            citizen: Citizen {
                name: CitizenName::parse("Ane").expect("name"),
                national_id: NationalId::parse("12345678Z").expect("id"),
                email: Email::parse("ane@example.org").expect("email"),
                phone: None,
            }
            .into(),
            external_reference: None,
            booked_at: at(3, 12),
        }
    }

    #[test]
    fn a_booking_counts_on_its_service_day_with_its_wait() {
        let change = change(None, &booked(), chrono_tz::Europe::Madrid);
        let (key, counters) = &change.additions[0];
        assert_eq!(
            key.service_day,
            NaiveDate::from_ymd_opt(2026, 12, 10).expect("date")
        );
        assert_eq!((key.channel.as_str(), key.language.as_str()), ("web", "eu"));
        assert_eq!((counters.booked, counters.waiting_days_total), (1, 7));
    }

    #[test]
    fn a_move_counts_out_of_one_day_and_into_another_and_later_events_follow_it() {
        let tz = chrono_tz::Europe::Madrid;
        let case = change(None, &booked(), tz).case.expect("case");
        let moved = change(
            Some(&case),
            &CitizenRequestEvent::AppointmentRescheduled {
                previous: Slot::new(at(10, 9), 30),
                slot: Slot::new(at(12, 9), 30),
                room: 2,
                rescheduled_at: at(4, 9),
            },
            tz,
        );
        let days: Vec<_> = moved
            .additions
            .iter()
            .map(|(k, c)| {
                (
                    k.service_day.to_string(),
                    c.rescheduled_out,
                    c.rescheduled_in,
                )
            })
            .collect();
        assert_eq!(
            days,
            [
                ("2026-12-10".to_string(), 1, 0),
                ("2026-12-12".to_string(), 0, 1)
            ]
        );
        let cancelled = change(
            moved.case.as_ref(),
            &CitizenRequestEvent::AppointmentCancelled {
                reason: "".into(),
                cancelled_by: domain::citizen_request::CancelledBy::Citizen,
                cancelled_at: at(5, 9),
            },
            tz,
        );
        assert_eq!(
            cancelled.additions[0].0.service_day.to_string(),
            "2026-12-12"
        );
        assert_eq!(cancelled.additions[0].1.cancelled, 1);
    }
}
