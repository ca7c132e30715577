//! What the council tells a citizen, and through which channel. The kinds are fixed here because
//! `NotificationSent` events carry them and auditors read them back years later.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::citizen_request::{CitizenRequestEvent, SigningMethod};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The booking receipt (justificante), with the appointment as an iCalendar event.
    Receipt,
    /// The appointment moved: the new time, and the calendar event updated.
    Rescheduled,
    /// The appointment was cancelled: the calendar event cancelled.
    Cancelled,
    /// Documents were asked for: the link to the private upload space.
    UploadLink,
    /// The day before the appointment.
    Reminder,
    /// Shortly before the start: the link to join the call.
    CallLink,
    /// After the case is closed: what was done.
    Summary,
    /// A request or complaint awaits the citizen's signature: the sign link and the one-time code.
    SignCode,
    /// A signed request or complaint was entered in the registry: the registry receipt.
    RegistryReceipt,
    /// The citizen asked for the manage link again: the link, to the address on file.
    ManageLink,
}

impl NotificationKind {
    pub const ALL: [Self; 10] = [
        Self::Receipt,
        Self::Rescheduled,
        Self::Cancelled,
        Self::UploadLink,
        Self::Reminder,
        Self::CallLink,
        Self::Summary,
        Self::SignCode,
        Self::RegistryReceipt,
        Self::ManageLink,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Rescheduled => "rescheduled",
            Self::Cancelled => "cancelled",
            Self::UploadLink => "upload_link",
            Self::Reminder => "reminder",
            Self::CallLink => "call_link",
            Self::Summary => "summary",
            Self::SignCode => "sign_code",
            Self::RegistryReceipt => "registry_receipt",
            Self::ManageLink => "manage_link",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// Sent for an appointment time that may still change: such a message is dropped when the
    /// appointment moves, is cancelled or the case ends before it is due.
    pub fn is_scheduled(self) -> bool {
        matches!(self, Self::Reminder | Self::CallLink)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationChannel {
    Email,
}

impl NotificationChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
        }
    }
}

/// When the scheduled messages go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationPolicy {
    /// The council's time zone: "the day before" is a local day.
    pub timezone: Tz,
    /// The reminder goes out the day before the appointment at this local time.
    pub reminder_time: NaiveTime,
    /// The call link goes out this long before the start.
    pub call_link_lead: Duration,
}

/// One message an event calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedNotification {
    pub kind: NotificationKind,
    pub due_at: DateTime<Utc>,
    /// For a scheduled message, the appointment start it was planned for.
    pub slot_start: Option<DateTime<Utc>>,
}

/// What an event of a case means for its messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotificationPlan {
    /// Messages not sent yet of these kinds no longer apply and are dropped, before `send` is
    /// queued.
    pub drop_pending: Vec<NotificationKind>,
    pub send: Vec<PlannedNotification>,
}

/// The messages a case event calls for. Times derive from the event's own timestamps, never from
/// the clock, so replaying the log plans the same messages.
pub fn plan(event: &CitizenRequestEvent, policy: &NotificationPolicy) -> NotificationPlan {
    let now = |kind: NotificationKind, at: DateTime<Utc>| PlannedNotification {
        kind,
        due_at: at,
        slot_start: None,
    };
    // Pending reminders, call links and upload links are about an appointment that is no more.
    let appointment_gone = vec![
        NotificationKind::Reminder,
        NotificationKind::CallLink,
        NotificationKind::UploadLink,
    ];
    match event {
        CitizenRequestEvent::AppointmentBooked {
            slot, booked_at, ..
        } => NotificationPlan {
            drop_pending: vec![],
            send: std::iter::once(now(NotificationKind::Receipt, *booked_at))
                .chain(scheduled(slot.start, *booked_at, policy))
                .collect(),
        },
        CitizenRequestEvent::AppointmentRescheduled {
            slot,
            rescheduled_at,
            ..
        } => NotificationPlan {
            drop_pending: vec![NotificationKind::Reminder, NotificationKind::CallLink],
            send: std::iter::once(now(NotificationKind::Rescheduled, *rescheduled_at))
                .chain(scheduled(slot.start, *rescheduled_at, policy))
                .collect(),
        },
        CitizenRequestEvent::AppointmentCancelled { cancelled_at, .. } => NotificationPlan {
            drop_pending: appointment_gone,
            send: vec![now(NotificationKind::Cancelled, *cancelled_at)],
        },
        CitizenRequestEvent::NoShowRecorded { .. } => NotificationPlan {
            drop_pending: appointment_gone,
            send: vec![],
        },
        CitizenRequestEvent::CaseClosed { closed_at, .. } => NotificationPlan {
            drop_pending: appointment_gone,
            send: vec![now(NotificationKind::Summary, *closed_at)],
        },
        CitizenRequestEvent::DocumentsRequested { requested_at, .. } => NotificationPlan {
            drop_pending: vec![],
            send: vec![now(NotificationKind::UploadLink, *requested_at)],
        },
        CitizenRequestEvent::SignatureRequested {
            method: SigningMethod::OneTimeCode,
            requested_at,
            ..
        } => NotificationPlan {
            drop_pending: vec![],
            send: vec![now(NotificationKind::SignCode, *requested_at)],
        },
        CitizenRequestEvent::RegistryEntryMade { registered_at, .. } => NotificationPlan {
            drop_pending: vec![],
            send: vec![now(NotificationKind::RegistryReceipt, *registered_at)],
        },
        CitizenRequestEvent::ManageLinkRequested { requested_at } => NotificationPlan {
            drop_pending: vec![],
            send: vec![now(NotificationKind::ManageLink, *requested_at)],
        },
        // Without the address on file nothing can be sent any more: whatever is still queued
        // goes.
        CitizenRequestEvent::PersonalDataErased { .. } => NotificationPlan {
            drop_pending: NotificationKind::ALL.to_vec(),
            send: vec![],
        },
        // Once the call is open, a reminder or call link still queued is too late.
        CitizenRequestEvent::CallStarted { .. } => NotificationPlan {
            drop_pending: vec![NotificationKind::Reminder, NotificationKind::CallLink],
            send: vec![],
        },
        // Documents arriving, reviewed or read, the identification, a wrong code or a signature
        // on the citizen's behalf (the citizen is in the call) send nothing.
        CitizenRequestEvent::NotificationSent { .. }
        | CitizenRequestEvent::DocumentAttached { .. }
        | CitizenRequestEvent::DocumentReviewed { .. }
        | CitizenRequestEvent::DocumentAccessed { .. }
        | CitizenRequestEvent::IdentityVerified { .. }
        | CitizenRequestEvent::SignatureRequested { .. }
        | CitizenRequestEvent::SignatureCodeRejected { .. }
        | CitizenRequestEvent::DocumentSigned { .. }
        | CitizenRequestEvent::RecordingConsentGiven { .. }
        | CitizenRequestEvent::RecordingConsentDeclined { .. }
        | CitizenRequestEvent::RecordingConsentWithdrawn { .. }
        | CitizenRequestEvent::CallEnded { .. }
        | CitizenRequestEvent::RecordingStarted { .. }
        | CitizenRequestEvent::RecordingStored { .. }
        | CitizenRequestEvent::RecordingFailed { .. }
        | CitizenRequestEvent::RecordingAccessed { .. }
        | CitizenRequestEvent::DocumentPurged { .. }
        | CitizenRequestEvent::RecordingPurged { .. }
        | CitizenRequestEvent::CaseFileAccessed { .. } => NotificationPlan::default(),
    }
}

/// The reminder (the day before at the policy's local time, unless that is already past) and the
/// call link (the lead time before the start, or at once when that is already past).
fn scheduled(
    start: DateTime<Utc>,
    decided_at: DateTime<Utc>,
    policy: &NotificationPolicy,
) -> Vec<PlannedNotification> {
    let mut planned = Vec::with_capacity(2);
    let day_before = start.with_timezone(&policy.timezone).date_naive() - Duration::days(1);
    let reminder = day_before
        .and_time(policy.reminder_time)
        .and_local_timezone(policy.timezone)
        // A reminder time inside a DST gap moves to the first instant after it.
        .earliest()
        .or_else(|| {
            (day_before.and_time(policy.reminder_time) + Duration::hours(1))
                .and_local_timezone(policy.timezone)
                .earliest()
        })
        .map(|local| local.with_timezone(&Utc));
    if let Some(reminder) = reminder.filter(|due| *due > decided_at) {
        planned.push(PlannedNotification {
            kind: NotificationKind::Reminder,
            due_at: reminder,
            slot_start: Some(start),
        });
    }
    if decided_at < start {
        planned.push(PlannedNotification {
            kind: NotificationKind::CallLink,
            due_at: (start - policy.call_link_lead).max(decided_at),
            slot_start: Some(start),
        });
    }
    planned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).expect("serialise");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(NotificationKind::parse("sms"), None);
    }

    #[test]
    fn only_reminders_and_call_links_depend_on_the_slot_staying_put() {
        let scheduled: Vec<_> = NotificationKind::ALL
            .into_iter()
            .filter(|k| k.is_scheduled())
            .collect();
        assert_eq!(
            scheduled,
            vec![NotificationKind::Reminder, NotificationKind::CallLink]
        );
    }
}

#[cfg(test)]
mod plan_tests {
    use chrono::TimeZone;

    use super::*;
    use crate::citizen_request::{CancelledBy, CaseOutcome, Channel, Citizen, RequestedDocument};
    use crate::procedure::Bilingual;
    use crate::slot::Slot;
    use crate::values::{CitizenName, Email, Language, NationalId, Personal, ProcedureCode};

    fn policy() -> NotificationPolicy {
        NotificationPolicy {
            timezone: chrono_tz::Europe::Madrid,
            reminder_time: NaiveTime::from_hms_opt(10, 0, 0).expect("time"),
            call_link_lead: Duration::minutes(15),
        }
    }

    /// A UTC instant given as Madrid wall time in December (UTC+1).
    fn madrid(day: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, h - 1, m, 0)
            .single()
            .expect("time")
    }

    fn booked(start: DateTime<Utc>, at: DateTime<Utc>) -> CitizenRequestEvent {
        CitizenRequestEvent::AppointmentBooked {
            procedure: ProcedureCode::parse("PADRON-ALTA").expect("code"),
            slot: Slot::new(start, 30),
            room: 1,
            channel: Channel::Web,
            language: Language::Eu,
            citizen: Personal::Known(Citizen {
                name: CitizenName::parse("Miren Etxeberria").expect("name"),
                national_id: NationalId::parse("12345678Z").expect("dni"),
                email: Email::parse("miren@example.org").expect("email"),
                phone: None,
            }),
            external_reference: None,
            booked_at: at,
        }
    }

    fn kinds_and_times(plan: &NotificationPlan) -> Vec<(NotificationKind, DateTime<Utc>)> {
        plan.send.iter().map(|p| (p.kind, p.due_at)).collect()
    }

    #[test]
    fn a_booking_sends_the_receipt_now_the_reminder_the_day_before_and_the_call_link_before_the_start()
     {
        let start = madrid(9, 9, 0);
        let plan = plan(&booked(start, madrid(2, 12, 0)), &policy());
        assert!(plan.drop_pending.is_empty());
        assert_eq!(
            kinds_and_times(&plan),
            vec![
                (NotificationKind::Receipt, madrid(2, 12, 0)),
                (NotificationKind::Reminder, madrid(8, 10, 0)),
                (NotificationKind::CallLink, madrid(9, 8, 45)),
            ]
        );
        assert!(plan.send[1..].iter().all(|p| p.slot_start == Some(start)));
    }

    #[test]
    fn no_reminder_when_its_time_has_passed_and_the_call_link_at_once_when_the_lead_has() {
        let start = madrid(9, 9, 0);
        let plan = plan(&booked(start, madrid(9, 8, 50)), &policy());
        assert_eq!(
            kinds_and_times(&plan),
            vec![
                (NotificationKind::Receipt, madrid(9, 8, 50)),
                (NotificationKind::CallLink, madrid(9, 8, 50)),
            ]
        );
    }

    #[test]
    fn the_reminder_follows_local_time_across_a_daylight_saving_change() {
        // 29 March 2027 09:00 CEST; the day before is the change day, 10:00 CEST = 08:00 UTC.
        let start = Utc
            .with_ymd_and_hms(2027, 3, 29, 7, 0, 0)
            .single()
            .expect("t");
        let plan = plan(&booked(start, madrid(2, 12, 0)), &policy());
        let reminder = Utc
            .with_ymd_and_hms(2027, 3, 28, 8, 0, 0)
            .single()
            .expect("t");
        assert_eq!(plan.send[1].due_at, reminder);
    }

    #[test]
    fn a_reschedule_drops_pending_scheduled_messages_and_plans_new_ones() {
        let event = CitizenRequestEvent::AppointmentRescheduled {
            previous: Slot::new(madrid(9, 9, 0), 30),
            slot: Slot::new(madrid(11, 12, 0), 30),
            room: 2,
            rescheduled_at: madrid(3, 8, 0),
        };
        let plan = plan(&event, &policy());
        assert_eq!(
            plan.drop_pending,
            vec![NotificationKind::Reminder, NotificationKind::CallLink]
        );
        assert_eq!(
            kinds_and_times(&plan),
            vec![
                (NotificationKind::Rescheduled, madrid(3, 8, 0)),
                (NotificationKind::Reminder, madrid(10, 10, 0)),
                (NotificationKind::CallLink, madrid(11, 11, 45)),
            ]
        );
    }

    #[test]
    fn cancelling_no_show_and_closing_drop_every_pending_appointment_message() {
        let gone = vec![
            NotificationKind::Reminder,
            NotificationKind::CallLink,
            NotificationKind::UploadLink,
        ];
        let cancelled = CitizenRequestEvent::AppointmentCancelled {
            reason: "".into(),
            cancelled_by: CancelledBy::Citizen,
            cancelled_at: madrid(3, 8, 0),
        };
        let no_show = CitizenRequestEvent::NoShowRecorded {
            recorded_at: madrid(9, 9, 20),
        };
        let closed = CitizenRequestEvent::CaseClosed {
            outcome: CaseOutcome::Resolved,
            summary: "done".into(),
            registry_entry: None,
            closed_at: madrid(9, 9, 40),
        };
        let cancel_plan = plan(&cancelled, &policy());
        assert_eq!(cancel_plan.drop_pending, gone);
        assert_eq!(
            kinds_and_times(&cancel_plan),
            vec![(NotificationKind::Cancelled, madrid(3, 8, 0))]
        );
        assert_eq!(plan(&no_show, &policy()).drop_pending, gone);
        assert!(plan(&no_show, &policy()).send.is_empty());
        assert_eq!(
            kinds_and_times(&plan(&closed, &policy())),
            vec![(NotificationKind::Summary, madrid(9, 9, 40))]
        );
    }

    #[test]
    fn asking_for_documents_sends_the_upload_link_and_a_sent_message_sends_nothing() {
        let asked = CitizenRequestEvent::DocumentsRequested {
            documents: vec![RequestedDocument {
                label: Bilingual::new("NANa", "DNI"),
            }],
            due_at: madrid(8, 14, 0),
            requested_at: madrid(3, 8, 0),
        };
        assert_eq!(
            kinds_and_times(&plan(&asked, &policy())),
            vec![(NotificationKind::UploadLink, madrid(3, 8, 0))]
        );
        let sent = CitizenRequestEvent::NotificationSent {
            message_id: uuid::Uuid::nil(),
            kind: NotificationKind::Receipt,
            channel: NotificationChannel::Email,
            language: Language::Eu,
            sent_at: madrid(3, 8, 0),
        };
        assert_eq!(plan(&sent, &policy()), NotificationPlan::default());
    }
}
