//! Given/when/then: purging a case's documents and recordings at the end of their retention.

use super::*;
use crate::retention::RetentionPeriods;

fn doc_id() -> uuid::Uuid {
    uuid::Uuid::from_u128(0xd0c)
}

fn rec_id() -> uuid::Uuid {
    uuid::Uuid::from_u128(0x4ec)
}

fn call_id() -> uuid::Uuid {
    uuid::Uuid::from_u128(0xca11)
}

/// Documents a year after the end, recordings four years, case data five.
fn periods() -> RetentionPeriods {
    RetentionPeriods {
        documents: Duration::days(365),
        recordings: Duration::days(1461),
        case_data: Duration::days(1826),
    }
}

/// Locked for 30 days from the upload at 08:00.
fn attached() -> CitizenRequestEvent {
    CitizenRequestEvent::DocumentAttached {
        document_id: doc_id(),
        file_name: "NAN.pdf".into(),
        media_type: DocumentMediaType::Pdf,
        size: 1234,
        sha256: "ab".repeat(32),
        object_key: format!("r/{}", doc_id()),
        version_id: "v1".into(),
        retain_until: t(8, 0) + Duration::days(30),
        uploaded_by: "citizen:r".into(),
        attached_at: t(8, 0),
    }
}

fn doc_purged(at: DateTime<Utc>) -> CitizenRequestEvent {
    CitizenRequestEvent::DocumentPurged {
        document_id: doc_id(),
        object_key: format!("r/{}", doc_id()),
        version_id: "v1".into(),
        purged_at: at,
    }
}

fn purge_document(at: DateTime<Utc>) -> CitizenRequestCommand {
    CitizenRequestCommand::PurgeDocument(PurgeDocument {
        document_id: doc_id(),
        periods: periods(),
        at,
    })
}

/// The end of the case in `closed()`: 09:30.
fn document_due() -> DateTime<Utc> {
    t(9, 30) + Duration::days(365)
}

fn recording_history() -> Vec<CitizenRequestEvent> {
    vec![
        booked(),
        CitizenRequestEvent::CallStarted {
            call_id: call_id(),
            clerk: "staff:clerk-1".into(),
            room: 1,
            started_at: t(8, 55),
        },
        CitizenRequestEvent::RecordingStarted {
            recording_id: rec_id(),
            call_id: call_id(),
            started_at: t(9, 2),
        },
        CitizenRequestEvent::RecordingStored {
            recording_id: rec_id(),
            stored: StoredRecording {
                participant: Participant::Citizen,
                object_key: "r/rec/citizen.webm".into(),
                version_id: "rv1".into(),
                sha256: "cd".repeat(32),
                size: 1000,
                duration_ms: 60_000,
                // Locked five years: longer than the schedule's four.
                retain_until: t(9, 20) + Duration::days(1826),
                stored_at: t(9, 20),
            },
        },
        closed(),
    ]
}

fn purge_recording(key: &str, at: DateTime<Utc>) -> CitizenRequestCommand {
    CitizenRequestCommand::PurgeRecording(PurgeRecording {
        recording_id: rec_id(),
        object_key: key.into(),
        periods: periods(),
        at,
    })
}

#[test]
fn a_document_is_purged_once_the_case_has_ended_and_its_retention_passed() {
    Case::with(())
        .given(vec![booked(), attached(), closed()])
        .when(purge_document(document_due()))
        .then_expect_events(vec![doc_purged(document_due())]);
}

#[test]
fn a_document_is_not_purged_before_it_is_due_or_while_the_case_is_open() {
    Case::with(())
        .given(vec![booked(), attached(), closed()])
        .when(purge_document(document_due() - Duration::seconds(1)))
        .then_expect_error(CitizenRequestError::NotDueForPurge {
            due_at: document_due(),
        });
    Case::with(())
        .given(vec![booked(), attached()])
        .when(purge_document(document_due()))
        .then_expect_error(CitizenRequestError::CaseNotEnded);
    Case::with(())
        .given(vec![booked(), closed()])
        .when(purge_document(document_due()))
        .then_expect_error(CitizenRequestError::DocumentNotFound(doc_id()));
}

#[test]
fn a_document_locked_longer_than_the_schedule_waits_for_its_lock() {
    let locked_until = t(8, 0) + Duration::days(800);
    let CitizenRequestEvent::DocumentAttached {
        document_id,
        file_name,
        media_type,
        size,
        sha256,
        object_key,
        version_id,
        uploaded_by,
        attached_at,
        ..
    } = attached()
    else {
        unreachable!("attached() is a DocumentAttached")
    };
    let long = CitizenRequestEvent::DocumentAttached {
        document_id,
        file_name,
        media_type,
        size,
        sha256,
        object_key,
        version_id,
        retain_until: locked_until,
        uploaded_by,
        attached_at,
    };
    Case::with(())
        .given(vec![booked(), long.clone(), closed()])
        .when(purge_document(document_due()))
        .then_expect_error(CitizenRequestError::NotDueForPurge {
            due_at: locked_until,
        });
    Case::with(())
        .given(vec![booked(), long, closed()])
        .when(purge_document(locked_until))
        .then_expect_events(vec![doc_purged(locked_until)]);
}

#[test]
fn every_end_counts_cancelled_no_show_and_closed_and_the_latest_wins() {
    let cancelled_at = t(7, 30);
    Case::with(())
        .given(vec![booked(), attached(), cancelled()])
        .when(purge_document(cancelled_at + Duration::days(365)))
        .then_expect_events(vec![doc_purged(cancelled_at + Duration::days(365))]);
    let no_show = CitizenRequestEvent::NoShowRecorded {
        recorded_at: t(9, 10),
    };
    Case::with(())
        .given(vec![booked(), attached(), no_show.clone()])
        .when(purge_document(t(9, 10) + Duration::days(365)))
        .then_expect_events(vec![doc_purged(t(9, 10) + Duration::days(365))]);
    // Closed after the no-show: retention counts from the closing.
    Case::with(())
        .given(vec![booked(), attached(), no_show, closed()])
        .when(purge_document(t(9, 10) + Duration::days(365)))
        .then_expect_error(CitizenRequestError::NotDueForPurge {
            due_at: document_due(),
        });
}

#[test]
fn a_document_is_purged_once_and_then_never_read_again() {
    Case::with(())
        .given(vec![
            booked(),
            attached(),
            closed(),
            doc_purged(document_due()),
        ])
        .when(purge_document(document_due() + Duration::days(1)))
        .then_expect_error(CitizenRequestError::AlreadyPurged);
    Case::with(())
        .given(vec![
            booked(),
            attached(),
            closed(),
            doc_purged(document_due()),
        ])
        .when(CitizenRequestCommand::RecordDocumentAccess(
            RecordDocumentAccess {
                document_id: doc_id(),
                by: "staff:auditor-01".into(),
                why: "audit".into(),
                at: document_due() + Duration::days(1),
            },
        ))
        .then_expect_error(CitizenRequestError::DocumentPurged(doc_id()));
}

#[test]
fn a_recording_file_waits_for_its_four_year_lock_then_is_purged_once() {
    let locked_until = t(9, 20) + Duration::days(1826);
    Case::with(())
        .given(recording_history())
        .when(purge_recording(
            "r/rec/citizen.webm",
            t(9, 30) + Duration::days(1461),
        ))
        .then_expect_error(CitizenRequestError::NotDueForPurge {
            due_at: locked_until,
        });
    let purged = CitizenRequestEvent::RecordingPurged {
        recording_id: rec_id(),
        object_key: "r/rec/citizen.webm".into(),
        version_id: "rv1".into(),
        purged_at: locked_until,
    };
    Case::with(())
        .given(recording_history())
        .when(purge_recording("r/rec/citizen.webm", locked_until))
        .then_expect_events(vec![purged.clone()]);
    let mut after = recording_history();
    after.push(purged);
    Case::with(())
        .given(after.clone())
        .when(purge_recording("r/rec/citizen.webm", locked_until))
        .then_expect_error(CitizenRequestError::AlreadyPurged);
    Case::with(())
        .given(after)
        .when(CitizenRequestCommand::RecordRecordingAccess(
            RecordRecordingAccess {
                recording_id: rec_id(),
                object_key: "r/rec/citizen.webm".into(),
                by: "staff:auditor-01".into(),
                why: "audit".into(),
                at: locked_until,
            },
        ))
        .then_expect_error(CitizenRequestError::RecordingPurged(rec_id()));
    Case::with(())
        .given(recording_history())
        .when(purge_recording("r/rec/clerk.webm", locked_until))
        .then_expect_error(CitizenRequestError::RecordingNotFound(rec_id()));
}

#[test]
fn the_plan_puts_personal_data_after_every_object_and_knows_what_was_purged() {
    let mut case = CitizenRequest::default();
    let mut history = recording_history();
    history.insert(1, attached());
    history.push(doc_purged(document_due()));
    for event in history {
        cqrs_es::Aggregate::apply(&mut case, event);
    }
    assert_eq!(case.ended_at(), Some(t(9, 30)));
    let plan = case.retention_plan(&periods()).expect("ended");
    assert_eq!(plan.objects.len(), 2);
    let recording_due = t(9, 20) + Duration::days(1826);
    // Five years of case data from 09:30 come after the recording's lock ends at 09:20.
    assert_eq!(plan.personal_data_due_at, t(9, 30) + Duration::days(1826));
    assert_eq!(
        plan.due_objects(document_due()).count(),
        0,
        "already purged"
    );
    assert_eq!(plan.due_objects(recording_due).count(), 1);
    let open = CitizenRequest::default();
    assert!(open.retention_plan(&periods()).is_none());
}
