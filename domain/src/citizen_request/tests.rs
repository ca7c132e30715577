//! Given/when/then tests for every rule and refusal of CitizenRequest.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::*;
use crate::slot::Slot;
use crate::values::{CitizenName, Email, Language, NationalId, Personal, Phone, ProcedureCode};

type Case = TestFramework<CitizenRequest>;

mod calling;
mod erasure;
mod links;
mod reads;
mod retention;
mod signing;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0)
        .single()
        .expect("valid time")
}

fn slot() -> Slot {
    Slot::new(t(9, 0), 30)
}

fn citizen() -> Citizen {
    Citizen {
        name: CitizenName::parse("Miren Etxeberria").expect("name"),
        national_id: NationalId::parse("12345678Z").expect("dni"),
        email: Email::parse("miren@example.org").expect("email"),
        phone: Some(Phone::parse("600123456").expect("phone")),
    }
}

fn book_command() -> BookAppointment {
    BookAppointment {
        procedure: ProcedureCode::parse("PADRON-ALTA").expect("code"),
        slot: slot(),
        room: 1,
        channel: Channel::Web,
        language: Language::Eu,
        citizen: citizen(),
        external_reference: None,
        at: t(7, 0),
    }
}

fn booked() -> CitizenRequestEvent {
    let c = book_command();
    CitizenRequestEvent::AppointmentBooked {
        procedure: c.procedure,
        slot: c.slot,
        room: c.room,
        channel: c.channel,
        language: c.language,
        citizen: Personal::Known(c.citizen),
        external_reference: None,
        booked_at: c.at,
    }
}

fn cancelled() -> CitizenRequestEvent {
    CitizenRequestEvent::AppointmentCancelled {
        reason: "".into(),
        cancelled_by: CancelledBy::Citizen,
        cancelled_at: t(7, 30),
    }
}

fn closed() -> CitizenRequestEvent {
    CitizenRequestEvent::CaseClosed {
        outcome: CaseOutcome::Resolved,
        summary: "done".into(),
        registry_entry: None,
        closed_at: t(9, 30),
    }
}

fn reschedule(at: DateTime<Utc>) -> CitizenRequestCommand {
    CitizenRequestCommand::Reschedule(RescheduleAppointment {
        slot: Slot::new(t(11, 0), 30),
        room: 2,
        at,
    })
}

fn cancel(by: CancelledBy, at: DateTime<Utc>) -> CitizenRequestCommand {
    CitizenRequestCommand::Cancel(CancelAppointment {
        reason: " moved away ".into(),
        cancelled_by: by,
        at,
    })
}

fn close(at: DateTime<Utc>) -> CitizenRequestCommand {
    CitizenRequestCommand::Close(CloseCase {
        outcome: CaseOutcome::Resolved,
        summary: "done".into(),
        registry_entry: Some("2026-E-000123".into()),
        at,
    })
}

#[test]
fn booking_a_new_request_records_the_appointment() {
    Case::with(())
        .given_no_previous_events()
        .when(CitizenRequestCommand::Book(book_command()))
        .then_expect_events(vec![booked()]);
}

#[test]
fn retrying_the_same_booking_writes_nothing() {
    Case::with(())
        .given(vec![booked()])
        .when(CitizenRequestCommand::Book(book_command()))
        .then_expect_events(vec![]);
}

#[test]
fn booking_again_with_other_content_is_refused() {
    let mut other = book_command();
    other.slot = Slot::new(t(10, 0), 30);
    Case::with(())
        .given(vec![booked()])
        .when(CitizenRequestCommand::Book(other))
        .then_expect_error(CitizenRequestError::AlreadyBooked);
}

#[test]
fn booking_a_cancelled_request_is_refused() {
    Case::with(())
        .given(vec![booked(), cancelled()])
        .when(CitizenRequestCommand::Book(book_command()))
        .then_expect_error(CitizenRequestError::Cancelled);
}

#[test]
fn a_malformed_external_reference_is_refused() {
    let mut command = book_command();
    command.external_reference = Some("ref\nwith newline".into());
    Case::with(())
        .given_no_previous_events()
        .when(CitizenRequestCommand::Book(command))
        .then_expect_error(CitizenRequestError::ExternalReference);
}

#[test]
fn rescheduling_moves_the_slot_and_remembers_the_previous_one() {
    Case::with(())
        .given(vec![booked()])
        .when(reschedule(t(8, 0)))
        .then_expect_events(vec![CitizenRequestEvent::AppointmentRescheduled {
            previous: slot(),
            slot: Slot::new(t(11, 0), 30),
            room: 2,
            rescheduled_at: t(8, 0),
        }]);
}

#[test]
fn rescheduling_to_the_same_slot_and_room_writes_nothing() {
    Case::with(())
        .given(vec![booked()])
        .when(CitizenRequestCommand::Reschedule(RescheduleAppointment {
            slot: slot(),
            room: 1,
            at: t(8, 0),
        }))
        .then_expect_events(vec![]);
}

#[test]
fn rescheduling_refusals() {
    Case::with(())
        .given_no_previous_events()
        .when(reschedule(t(8, 0)))
        .then_expect_error(CitizenRequestError::NotBooked);
    Case::with(())
        .given(vec![booked()])
        .when(reschedule(t(9, 0)))
        .then_expect_error(CitizenRequestError::AlreadyStarted);
    Case::with(())
        .given(vec![booked(), cancelled()])
        .when(reschedule(t(8, 0)))
        .then_expect_error(CitizenRequestError::Cancelled);
    Case::with(())
        .given(vec![booked(), closed()])
        .when(reschedule(t(8, 0)))
        .then_expect_error(CitizenRequestError::Closed);
}

#[test]
fn a_citizen_cancels_before_the_start_with_a_trimmed_reason() {
    Case::with(())
        .given(vec![booked()])
        .when(cancel(CancelledBy::Citizen, t(8, 0)))
        .then_expect_events(vec![CitizenRequestEvent::AppointmentCancelled {
            reason: "moved away".into(),
            cancelled_by: CancelledBy::Citizen,
            cancelled_at: t(8, 0),
        }]);
}

#[test]
fn a_citizen_cannot_cancel_once_started_but_the_council_can_until_the_end() {
    Case::with(())
        .given(vec![booked()])
        .when(cancel(CancelledBy::Citizen, t(9, 5)))
        .then_expect_error(CitizenRequestError::AlreadyStarted);
    Case::with(())
        .given(vec![booked()])
        .when(cancel(CancelledBy::Council, t(9, 5)))
        .inspect_result()
        .expect("the council may cancel a started appointment");
    Case::with(())
        .given(vec![booked()])
        .when(cancel(CancelledBy::Council, t(9, 30)))
        .then_expect_error(CitizenRequestError::AppointmentOver);
}

#[test]
fn cancelling_twice_writes_nothing_the_second_time() {
    Case::with(())
        .given(vec![booked(), cancelled()])
        .when(cancel(CancelledBy::Citizen, t(8, 0)))
        .then_expect_events(vec![]);
}

#[test]
fn an_overlong_reason_is_refused() {
    Case::with(())
        .given(vec![booked()])
        .when(CitizenRequestCommand::Cancel(CancelAppointment {
            reason: "x".repeat(501),
            cancelled_by: CancelledBy::Council,
            at: t(8, 0),
        }))
        .then_expect_error(CitizenRequestError::TextTooLong { max: 500 });
}

#[test]
fn a_no_show_is_recorded_only_once_the_slot_has_started() {
    Case::with(())
        .given(vec![booked()])
        .when(CitizenRequestCommand::RecordNoShow(RecordNoShow {
            at: t(8, 59),
        }))
        .then_expect_error(CitizenRequestError::NotStartedYet);
    Case::with(())
        .given(vec![booked()])
        .when(CitizenRequestCommand::RecordNoShow(RecordNoShow {
            at: t(9, 10),
        }))
        .then_expect_events(vec![CitizenRequestEvent::NoShowRecorded {
            recorded_at: t(9, 10),
        }]);
    Case::with(())
        .given(vec![booked(), cancelled()])
        .when(CitizenRequestCommand::RecordNoShow(RecordNoShow {
            at: t(9, 10),
        }))
        .then_expect_error(CitizenRequestError::Cancelled);
}

#[test]
fn closing_a_booked_or_no_show_case() {
    Case::with(())
        .given(vec![booked()])
        .when(close(t(9, 30)))
        .then_expect_events(vec![CitizenRequestEvent::CaseClosed {
            outcome: CaseOutcome::Resolved,
            summary: "done".into(),
            registry_entry: Some("2026-E-000123".into()),
            closed_at: t(9, 30),
        }]);
    Case::with(())
        .given(vec![
            booked(),
            CitizenRequestEvent::NoShowRecorded {
                recorded_at: t(9, 10),
            },
        ])
        .when(close(t(10, 0)))
        .inspect_result()
        .expect("a no-show case can be closed");
}

#[test]
fn after_closing_or_cancelling_nothing_else_is_accepted() {
    for terminal in [closed(), cancelled()] {
        let expected = if terminal == closed() {
            CitizenRequestError::Closed
        } else {
            CitizenRequestError::Cancelled
        };
        Case::with(())
            .given(vec![booked(), terminal.clone()])
            .when(close(t(10, 0)))
            .then_expect_error(expected.clone());
        Case::with(())
            .given(vec![booked(), terminal])
            .when(CitizenRequestCommand::RecordNoShow(RecordNoShow {
                at: t(9, 10),
            }))
            .then_expect_error(expected);
    }
    Case::with(())
        .given(vec![booked(), closed()])
        .when(cancel(CancelledBy::Council, t(9, 10)))
        .then_expect_error(CitizenRequestError::Closed);
}

#[test]
fn closing_an_unbooked_request_is_refused() {
    Case::with(())
        .given_no_previous_events()
        .when(close(t(9, 30)))
        .then_expect_error(CitizenRequestError::NotBooked);
}

#[test]
fn replaying_events_gives_the_state() {
    let mut case = CitizenRequest::default();
    for event in [booked(), cancelled()] {
        cqrs_es::Aggregate::apply(&mut case, event);
    }
    assert_eq!(case.status(), CaseStatus::Cancelled);
    assert_eq!(case.booking().map(|b| b.slot), Some(slot()));
    assert_eq!(slot().end(), t(9, 0) + Duration::minutes(30));
}

mod documents_requested {
    use super::*;
    use crate::procedure::Bilingual;

    fn document(eu: &str, es: &str) -> RequestedDocument {
        RequestedDocument {
            label: Bilingual::new(eu, es),
        }
    }

    fn ask(documents: Vec<RequestedDocument>, due: DateTime<Utc>) -> CitizenRequestCommand {
        CitizenRequestCommand::RequestDocuments(RequestDocuments {
            documents,
            due_at: due,
            at: t(7, 0),
        })
    }

    #[test]
    fn asking_for_documents_records_trimmed_labels_and_the_due_time() {
        Case::with(())
            .given(vec![booked()])
            .when(ask(vec![document(" NANa ", "DNI ")], t(8, 30)))
            .then_expect_events(vec![CitizenRequestEvent::DocumentsRequested {
                documents: vec![document("NANa", "DNI")],
                due_at: t(8, 30),
                requested_at: t(7, 0),
            }]);
    }

    #[test]
    fn documents_are_due_before_the_appointment_and_after_now() {
        for due in [t(9, 1), t(7, 0), t(6, 0)] {
            Case::with(())
                .given(vec![booked()])
                .when(ask(vec![document("NANa", "DNI")], due))
                .then_expect_error(CitizenRequestError::DocumentsDue);
        }
    }

    #[test]
    fn no_documents_or_too_many_are_refused() {
        let many = vec![document("a", "b"); MAX_REQUESTED_DOCUMENTS + 1];
        for documents in [vec![], many] {
            Case::with(())
                .given(vec![booked()])
                .when(ask(documents, t(8, 0)))
                .then_expect_error(CitizenRequestError::DocumentCount {
                    max: MAX_REQUESTED_DOCUMENTS,
                });
        }
    }

    #[test]
    fn a_label_missing_in_one_language_or_too_long_is_refused() {
        let long = "x".repeat(MAX_DOCUMENT_LABEL_CHARS + 1);
        for bad in [
            document("NANa", "  "),
            document("", "DNI"),
            document(&long, "DNI"),
            document("NA\u{0}Na", "DNI"),
        ] {
            Case::with(())
                .given(vec![booked()])
                .when(ask(vec![bad], t(8, 0)))
                .then_expect_error(CitizenRequestError::DocumentLabel {
                    max: MAX_DOCUMENT_LABEL_CHARS,
                });
        }
    }

    #[test]
    fn documents_cannot_be_asked_for_on_a_cancelled_or_closed_case() {
        Case::with(())
            .given(vec![booked(), cancelled()])
            .when(ask(vec![document("NANa", "DNI")], t(8, 0)))
            .then_expect_error(CitizenRequestError::Cancelled);
        Case::with(())
            .given(vec![booked(), closed()])
            .when(ask(vec![document("NANa", "DNI")], t(8, 0)))
            .then_expect_error(CitizenRequestError::Closed);
    }
}

mod notification_sent {
    use super::*;
    use crate::notification::{NotificationChannel, NotificationKind};

    fn message() -> uuid::Uuid {
        uuid::Uuid::from_u128(0x5e17)
    }

    fn record(kind: NotificationKind) -> CitizenRequestCommand {
        CitizenRequestCommand::RecordNotification(RecordNotification {
            message_id: message(),
            kind,
            channel: NotificationChannel::Email,
            sent_at: t(7, 1),
        })
    }

    fn sent(kind: NotificationKind) -> CitizenRequestEvent {
        CitizenRequestEvent::NotificationSent {
            message_id: message(),
            kind,
            channel: NotificationChannel::Email,
            language: Language::Eu,
            sent_at: t(7, 1),
        }
    }

    #[test]
    fn a_sent_message_is_recorded_in_the_case_language() {
        Case::with(())
            .given(vec![booked()])
            .when(record(NotificationKind::Receipt))
            .then_expect_events(vec![sent(NotificationKind::Receipt)]);
    }

    #[test]
    fn recording_the_same_message_again_writes_nothing() {
        Case::with(())
            .given(vec![booked(), sent(NotificationKind::Receipt)])
            .when(record(NotificationKind::Receipt))
            .then_expect_events(vec![]);
    }

    #[test]
    fn notifications_are_still_recorded_after_a_cancellation_or_closing() {
        Case::with(())
            .given(vec![booked(), cancelled()])
            .when(record(NotificationKind::Cancelled))
            .then_expect_events(vec![sent(NotificationKind::Cancelled)]);
        Case::with(())
            .given(vec![booked(), closed()])
            .when(record(NotificationKind::Summary))
            .then_expect_events(vec![sent(NotificationKind::Summary)]);
    }

    #[test]
    fn nothing_is_recorded_for_a_request_never_booked() {
        Case::with(())
            .given_no_previous_events()
            .when(record(NotificationKind::Receipt))
            .then_expect_error(CitizenRequestError::NotBooked);
    }
}

mod documents {
    use super::*;

    fn doc_id() -> uuid::Uuid {
        uuid::Uuid::from_u128(0xd0c)
    }

    fn attach_command(id: uuid::Uuid) -> AttachDocument {
        AttachDocument {
            document_id: id,
            file_name: "NAN.pdf".into(),
            media_type: DocumentMediaType::Pdf,
            size: 1234,
            sha256: "ab".repeat(32),
            object_key: format!("request/{id}"),
            version_id: "v1".into(),
            retain_until: t(8, 0) + Duration::days(1461),
            uploaded_by: "citizen:r".into(),
            at: t(8, 0),
        }
    }

    fn attach(id: uuid::Uuid) -> CitizenRequestCommand {
        CitizenRequestCommand::AttachDocument(attach_command(id))
    }

    fn attached(id: uuid::Uuid) -> CitizenRequestEvent {
        let c = attach_command(id);
        CitizenRequestEvent::DocumentAttached {
            document_id: c.document_id,
            file_name: c.file_name,
            media_type: c.media_type,
            size: c.size,
            sha256: c.sha256,
            object_key: c.object_key,
            version_id: c.version_id,
            retain_until: c.retain_until,
            uploaded_by: c.uploaded_by,
            attached_at: c.at,
        }
    }

    fn review(accepted: bool, reason: Option<&str>) -> CitizenRequestCommand {
        CitizenRequestCommand::ReviewDocument(ReviewDocument {
            document_id: doc_id(),
            accepted,
            reason: reason.map(str::to_string),
            reviewed_by: "staff:clerk-01".into(),
            at: t(8, 30),
        })
    }

    fn reviewed(accepted: bool, reason: Option<&str>) -> CitizenRequestEvent {
        CitizenRequestEvent::DocumentReviewed {
            document_id: doc_id(),
            accepted,
            reason: reason.map(str::to_string),
            reviewed_by: "staff:clerk-01".into(),
            reviewed_at: t(8, 30),
        }
    }

    fn access(id: uuid::Uuid, why: &str) -> CitizenRequestCommand {
        CitizenRequestCommand::RecordDocumentAccess(RecordDocumentAccess {
            document_id: id,
            by: "staff:auditor-01".into(),
            why: why.into(),
            at: t(12, 0),
        })
    }

    #[test]
    fn a_document_is_attached_while_the_case_is_open() {
        Case::with(())
            .given(vec![booked()])
            .when(attach(doc_id()))
            .then_expect_events(vec![attached(doc_id())]);
    }

    #[test]
    fn attaching_the_same_document_again_writes_nothing() {
        Case::with(())
            .given(vec![booked(), attached(doc_id())])
            .when(attach(doc_id()))
            .then_expect_events(vec![]);
        let mut other = attach_command(doc_id());
        other.sha256 = "cd".repeat(32);
        Case::with(())
            .given(vec![booked(), attached(doc_id())])
            .when(CitizenRequestCommand::AttachDocument(other))
            .then_expect_error(CitizenRequestError::DocumentRecord(
                "another document has this id",
            ));
    }

    #[test]
    fn no_document_is_attached_once_the_case_is_cancelled_closed_or_a_no_show() {
        let no_show = CitizenRequestEvent::NoShowRecorded {
            recorded_at: t(9, 10),
        };
        for (terminal, error) in [
            (cancelled(), CitizenRequestError::Cancelled),
            (closed(), CitizenRequestError::Closed),
            (no_show, CitizenRequestError::NoShow),
        ] {
            let mut case = CitizenRequest::default();
            for event in [booked(), terminal.clone()] {
                cqrs_es::Aggregate::apply(&mut case, event);
            }
            assert_eq!(case.check_attach(), Err(error.clone()));
            Case::with(())
                .given(vec![booked(), terminal])
                .when(attach(doc_id()))
                .then_expect_error(error);
        }
        Case::with(())
            .given_no_previous_events()
            .when(attach(doc_id()))
            .then_expect_error(CitizenRequestError::NotBooked);
    }

    #[test]
    fn a_case_holds_a_bounded_number_of_documents() {
        let mut given = vec![booked()];
        given.extend(
            (0..MAX_DOCUMENTS_PER_CASE as u128).map(|n| attached(uuid::Uuid::from_u128(n + 1))),
        );
        Case::with(())
            .given(given)
            .when(attach(doc_id()))
            .then_expect_error(CitizenRequestError::TooManyDocuments {
                max: MAX_DOCUMENTS_PER_CASE,
            });
    }

    #[test]
    fn an_unsanitised_name_or_a_malformed_digest_is_refused() {
        let mut path = attach_command(doc_id());
        path.file_name = "../x.pdf".into();
        let mut digest = attach_command(doc_id());
        digest.sha256 = "AB".repeat(32);
        for command in [path, digest] {
            let result = Case::with(())
                .given(vec![booked()])
                .when(CitizenRequestCommand::AttachDocument(command))
                .inspect_result();
            assert!(
                matches!(result, Err(CitizenRequestError::DocumentRecord(_))),
                "{result:?}"
            );
        }
    }

    #[test]
    fn a_clerk_accepts_or_rejects_with_a_reason() {
        Case::with(())
            .given(vec![booked(), attached(doc_id())])
            .when(review(true, None))
            .then_expect_events(vec![reviewed(true, None)]);
        Case::with(())
            .given(vec![booked(), attached(doc_id())])
            .when(review(false, Some(" blurred ")))
            .then_expect_events(vec![reviewed(false, Some("blurred"))]);
        Case::with(())
            .given(vec![booked(), attached(doc_id())])
            .when(review(false, Some("  ")))
            .then_expect_error(CitizenRequestError::ReviewReason {
                max: MAX_DOCUMENT_REASON_CHARS,
            });
    }

    #[test]
    fn only_an_attached_document_is_reviewed_and_only_once() {
        Case::with(())
            .given(vec![booked()])
            .when(review(true, None))
            .then_expect_error(CitizenRequestError::DocumentNotFound(doc_id()));
        // The same verdict again (a retry) writes nothing; another verdict is refused.
        Case::with(())
            .given(vec![booked(), attached(doc_id()), reviewed(true, None)])
            .when(review(true, None))
            .then_expect_events(vec![]);
        Case::with(())
            .given(vec![booked(), attached(doc_id()), reviewed(true, None)])
            .when(review(false, Some("wrong document")))
            .then_expect_error(CitizenRequestError::AlreadyReviewed);
        Case::with(())
            .given(vec![booked(), attached(doc_id()), closed()])
            .when(review(true, None))
            .then_expect_error(CitizenRequestError::Closed);
    }

    #[test]
    fn every_access_is_recorded_even_on_a_closed_case() {
        let accessed = CitizenRequestEvent::DocumentAccessed {
            document_id: doc_id(),
            by: "staff:auditor-01".into(),
            why: "annual audit".into(),
            at: t(12, 0),
        };
        Case::with(())
            .given(vec![booked(), attached(doc_id()), closed()])
            .when(access(doc_id(), " annual audit "))
            .then_expect_events(vec![accessed.clone()]);
        Case::with(())
            .given(vec![
                booked(),
                attached(doc_id()),
                cancelled(),
                accessed.clone(),
            ])
            .when(access(doc_id(), "annual audit"))
            .then_expect_events(vec![accessed]);
    }

    #[test]
    fn an_access_needs_a_known_document_and_a_reason() {
        Case::with(())
            .given(vec![booked(), attached(doc_id())])
            .when(access(uuid::Uuid::from_u128(7), "audit"))
            .then_expect_error(CitizenRequestError::DocumentNotFound(
                uuid::Uuid::from_u128(7),
            ));
        for why in ["", "  ", "a\u{7}b"] {
            Case::with(())
                .given(vec![booked(), attached(doc_id())])
                .when(access(doc_id(), why))
                .then_expect_error(CitizenRequestError::AccessReason {
                    max: MAX_DOCUMENT_REASON_CHARS,
                });
        }
    }

    #[test]
    fn replaying_keeps_the_documents_and_their_reviews() {
        let mut case = CitizenRequest::default();
        for event in [
            booked(),
            attached(doc_id()),
            reviewed(false, Some("blurred")),
        ] {
            cqrs_es::Aggregate::apply(&mut case, event);
        }
        let document = case.document(doc_id()).expect("attached");
        assert_eq!(document.file_name, "NAN.pdf");
        let review = document.review.as_ref().expect("reviewed");
        assert!(!review.accepted);
        assert_eq!(review.reason.as_deref(), Some("blurred"));
    }
}
