//! Given/when/then: the call, consent and recording.

use super::*;

fn call_id() -> uuid::Uuid {
    uuid::Uuid::from_u128(0xca11)
}

fn rec_id() -> uuid::Uuid {
    uuid::Uuid::from_u128(0x4ec)
}

fn start(clerk: &str, at: DateTime<Utc>) -> CitizenRequestCommand {
    CitizenRequestCommand::StartCall(StartCall {
        call_id: call_id(),
        clerk: clerk.into(),
        early_join: Duration::minutes(10),
        at,
    })
}

fn started() -> CitizenRequestEvent {
    CitizenRequestEvent::CallStarted {
        call_id: call_id(),
        clerk: "staff:clerk-1".into(),
        room: 1,
        started_at: t(8, 55),
    }
}

fn wording() -> ConsentWording {
    ConsentWording {
        version: "grabacion-2026-01".into(),
        language: Language::Eu,
    }
}

fn consent(decision: ConsentDecision) -> CitizenRequestCommand {
    CitizenRequestCommand::RecordConsent(RecordConsent {
        decision,
        wording: wording(),
        by: "citizen:r".into(),
        at: t(9, 1),
    })
}

fn given() -> CitizenRequestEvent {
    CitizenRequestEvent::RecordingConsentGiven {
        call_id: call_id(),
        wording: wording(),
        by: "citizen:r".into(),
        at: t(9, 1),
    }
}

fn withdrawn() -> CitizenRequestEvent {
    CitizenRequestEvent::RecordingConsentWithdrawn {
        call_id: call_id(),
        wording: wording(),
        by: "citizen:r".into(),
        at: t(9, 1),
    }
}

fn start_recording() -> CitizenRequestCommand {
    CitizenRequestCommand::StartRecording(StartRecording {
        recording_id: rec_id(),
        at: t(9, 2),
    })
}

fn recording_started() -> CitizenRequestEvent {
    CitizenRequestEvent::RecordingStarted {
        recording_id: rec_id(),
        call_id: call_id(),
        started_at: t(9, 2),
    }
}

fn stored(participant: Participant, sha: &str) -> StoredRecording {
    StoredRecording {
        participant,
        object_key: format!("r/{}/{}.webm", rec_id(), participant.as_str()),
        version_id: "v1".into(),
        sha256: sha.repeat(32),
        size: 1000,
        duration_ms: 60_000,
        retain_until: t(10, 0) + Duration::days(1461),
        stored_at: t(10, 0),
    }
}

#[test]
fn a_call_opens_inside_its_window_only() {
    Case::with(())
        .given(vec![booked()])
        .when(start("staff:clerk-1", t(8, 55)))
        .then_expect_events(vec![started()]);
    Case::with(())
        .given(vec![booked()])
        .when(start("staff:clerk-1", t(8, 49)))
        .then_expect_error(CitizenRequestError::CallOutsideWindow {
            early_join_minutes: 10,
        });
    Case::with(())
        .given(vec![booked()])
        .when(start("staff:clerk-1", t(9, 30)))
        .then_expect_error(CitizenRequestError::CallOutsideWindow {
            early_join_minutes: 10,
        });
    Case::with(())
        .given(vec![booked(), cancelled()])
        .when(start("staff:clerk-1", t(8, 55)))
        .then_expect_error(CitizenRequestError::Cancelled);
}

#[test]
fn another_clerk_cannot_take_over_a_call_in_progress_and_the_same_reopens_nothing() {
    Case::with(())
        .given(vec![booked(), started()])
        .when(start("staff:clerk-2", t(9, 0)))
        .then_expect_error(CitizenRequestError::CallInProgress);
    Case::with(())
        .given(vec![booked(), started()])
        .when(start("staff:clerk-1", t(9, 0)))
        .then_expect_events(vec![]);
}

#[test]
fn consent_is_given_in_a_call_with_its_wording_and_can_be_withdrawn() {
    Case::with(())
        .given(vec![booked()])
        .when(consent(ConsentDecision::Given))
        .then_expect_error(CitizenRequestError::NoCallInProgress);
    Case::with(())
        .given(vec![booked(), started()])
        .when(consent(ConsentDecision::Given))
        .then_expect_events(vec![given()]);
    Case::with(())
        .given(vec![booked(), started(), given()])
        .when(consent(ConsentDecision::Withdrawn))
        .then_expect_events(vec![withdrawn()]);
    Case::with(())
        .given(vec![booked(), started()])
        .when(consent(ConsentDecision::Withdrawn))
        .then_expect_error(CitizenRequestError::ConsentNotGiven);
    Case::with(())
        .given(vec![booked(), started(), given()])
        .when(consent(ConsentDecision::Declined))
        .then_expect_error(CitizenRequestError::ConsentAlreadyGiven);
    let blank = CitizenRequestCommand::RecordConsent(RecordConsent {
        decision: ConsentDecision::Given,
        wording: ConsentWording {
            version: " ".into(),
            language: Language::Es,
        },
        by: "citizen:r".into(),
        at: t(9, 1),
    });
    Case::with(())
        .given(vec![booked(), started()])
        .when(blank)
        .then_expect_error(CitizenRequestError::ConsentWording {
            max: MAX_CONSENT_WORDING_CHARS,
        });
}

#[test]
fn nothing_is_recorded_without_consent_given_in_this_call() {
    Case::with(())
        .given(vec![booked(), started()])
        .when(start_recording())
        .then_expect_error(CitizenRequestError::ConsentNotGiven);
    Case::with(())
        .given(vec![booked(), started(), given(), withdrawn()])
        .when(start_recording())
        .then_expect_error(CitizenRequestError::ConsentNotGiven);
    let ended = CitizenRequestEvent::CallEnded {
        call_id: call_id(),
        ended_by: "staff:clerk-1".into(),
        ended_at: t(9, 20),
    };
    Case::with(())
        .given(vec![booked(), started(), given(), ended])
        .when(start_recording())
        .then_expect_error(CitizenRequestError::NoCallInProgress);
    Case::with(())
        .given(vec![booked(), started(), given()])
        .when(start_recording())
        .then_expect_events(vec![recording_started()]);
}

#[test]
fn a_recording_started_before_the_close_is_stored_after_it_once_per_file() {
    let record = |s: StoredRecording| {
        CitizenRequestCommand::RecordRecordingStored(RecordRecordingStored {
            recording_id: rec_id(),
            stored: s,
        })
    };
    let history = vec![booked(), started(), given(), recording_started(), closed()];
    Case::with(())
        .given(history.clone())
        .when(record(stored(Participant::Citizen, "ab")))
        .then_expect_events(vec![CitizenRequestEvent::RecordingStored {
            recording_id: rec_id(),
            stored: stored(Participant::Citizen, "ab"),
        }]);
    let mut once = history;
    once.push(CitizenRequestEvent::RecordingStored {
        recording_id: rec_id(),
        stored: stored(Participant::Citizen, "ab"),
    });
    Case::with(())
        .given(once.clone())
        .when(record(stored(Participant::Citizen, "ab")))
        .then_expect_events(vec![]);
    Case::with(())
        .given(once)
        .when(record(stored(Participant::Citizen, "cd")))
        .then_expect_error(CitizenRequestError::RecordingRecord(
            "this file is already stored",
        ));
    Case::with(())
        .given(vec![booked()])
        .when(record(stored(Participant::Clerk, "ab")))
        .then_expect_error(CitizenRequestError::RecordingNotFound(rec_id()));
}

#[test]
fn a_call_ends_once_whatever_the_case_state() {
    let end = || {
        CitizenRequestCommand::EndCall(EndCall {
            by: "staff:clerk-1".into(),
            at: t(9, 25),
        })
    };
    let ended = CitizenRequestEvent::CallEnded {
        call_id: call_id(),
        ended_by: "staff:clerk-1".into(),
        ended_at: t(9, 25),
    };
    Case::with(())
        .given(vec![booked(), started(), closed()])
        .when(end())
        .then_expect_events(vec![ended.clone()]);
    Case::with(())
        .given(vec![booked(), started(), ended])
        .when(end())
        .then_expect_events(vec![]);
    Case::with(())
        .given(vec![booked()])
        .when(end())
        .then_expect_error(CitizenRequestError::NoCallInProgress);
}

#[test]
fn every_read_of_a_stored_file_is_recorded_with_why_even_after_the_close() {
    let access = |key: String, why: &str| {
        CitizenRequestCommand::RecordRecordingAccess(RecordRecordingAccess {
            recording_id: rec_id(),
            object_key: key,
            by: "staff:auditor-1".into(),
            why: why.into(),
            at: t(12, 0),
        })
    };
    let file = stored(Participant::Citizen, "ab");
    let history = vec![
        booked(),
        started(),
        given(),
        recording_started(),
        CitizenRequestEvent::RecordingStored {
            recording_id: rec_id(),
            stored: file.clone(),
        },
        closed(),
    ];
    Case::with(())
        .given(history.clone())
        .when(access(file.object_key.clone(), " complaint 2027/14 "))
        .then_expect_events(vec![CitizenRequestEvent::RecordingAccessed {
            recording_id: rec_id(),
            object_key: file.object_key.clone(),
            by: "staff:auditor-1".into(),
            why: "complaint 2027/14".into(),
            at: t(12, 0),
        }]);
    Case::with(())
        .given(history.clone())
        .when(access(file.object_key.clone(), " "))
        .then_expect_error(CitizenRequestError::AccessReason {
            max: MAX_RECORDING_REASON_CHARS,
        });
    Case::with(())
        .given(history)
        .when(access("another/key.webm".into(), "audit"))
        .then_expect_error(CitizenRequestError::RecordingNotFound(rec_id()));
}

#[test]
fn each_failed_publication_is_its_own_event_and_a_repeat_is_a_no_op() {
    let first = uuid::Uuid::from_u128(0xf1);
    let second = uuid::Uuid::from_u128(0xf2);
    let fail = |publication: uuid::Uuid| {
        CitizenRequestCommand::RecordRecordingFailed(RecordRecordingFailed {
            recording_id: rec_id(),
            participant: Some(Participant::Citizen),
            publication: Some(publication),
            reason: "0 ms recorded".into(),
            at: t(9, 30),
        })
    };
    let failed = |publication: uuid::Uuid| CitizenRequestEvent::RecordingFailed {
        recording_id: rec_id(),
        participant: Some(Participant::Citizen),
        publication: Some(publication),
        reason: "0 ms recorded".into(),
        failed_at: t(9, 30),
    };
    let history = vec![booked(), started(), given(), recording_started()];
    let mut after_first = history.clone();
    after_first.push(failed(first));
    Case::with(())
        .given(history)
        .when(fail(first))
        .then_expect_events(vec![failed(first)]);
    Case::with(())
        .given(after_first.clone())
        .when(fail(second))
        .then_expect_events(vec![failed(second)]);
    Case::with(())
        .given(after_first)
        .when(fail(first))
        .then_expect_events(vec![]);
}

#[test]
fn a_failure_written_before_publications_were_named_still_reads() {
    let stored = serde_json::json!({
        "RecordingFailed": {
            "recording_id": rec_id(),
            "participant": "citizen",
            "reason": "nothing was recorded",
            "failed_at": t(9, 30),
        }
    });
    let event: CitizenRequestEvent = serde_json::from_value(stored).expect("old payload reads");
    assert!(matches!(
        event,
        CitizenRequestEvent::RecordingFailed {
            publication: None,
            ..
        }
    ));
}

fn case_after(events: Vec<CitizenRequestEvent>) -> CitizenRequest {
    let mut case = CitizenRequest::default();
    for event in events {
        cqrs_es::Aggregate::apply(&mut case, event);
    }
    case
}

fn attached_by(id: u128, by: &str) -> CitizenRequestEvent {
    CitizenRequestEvent::DocumentAttached {
        document_id: uuid::Uuid::from_u128(id),
        file_name: "agiria.pdf".into(),
        media_type: crate::citizen_request::DocumentMediaType::Pdf,
        size: 10,
        sha256: "ab".repeat(32),
        object_key: format!("r/{id}"),
        version_id: "v1".into(),
        retain_until: t(9, 0) + Duration::days(1461),
        uploaded_by: by.into(),
        attached_at: t(9, 5),
    }
}

#[test]
fn in_the_call_the_join_link_uploads_and_reads_what_staff_handed_over() {
    use crate::capability::Purpose;
    let before = case_after(vec![booked()]);
    assert!(before.link_may_upload(Purpose::Upload));
    assert!(
        !before.link_may_upload(Purpose::Join),
        "no call, no upload by the join link"
    );
    let ended = CitizenRequestEvent::CallEnded {
        call_id: call_id(),
        ended_by: "staff:clerk-1".into(),
        ended_at: t(9, 20),
    };
    let handed = attached_by(1, "staff:clerk-1");
    let own = attached_by(2, "citizen:r");
    let during = case_after(vec![booked(), started(), handed.clone(), own.clone()]);
    assert!(during.link_may_upload(Purpose::Join));
    assert!(!during.link_may_upload(Purpose::Manage));
    assert!(during.link_may_read(Purpose::Join, uuid::Uuid::from_u128(1)));
    assert!(
        !during.link_may_read(Purpose::Join, uuid::Uuid::from_u128(2)),
        "the join link reads what staff handed over, nothing else"
    );
    assert!(!during.link_may_read(Purpose::Upload, uuid::Uuid::from_u128(1)));
    assert!(
        !during.link_may_read(Purpose::Sign, uuid::Uuid::from_u128(1)),
        "a sign link reads only what is put up for signature"
    );
    let after = case_after(vec![booked(), started(), handed, own, ended]);
    assert!(!after.link_may_upload(Purpose::Join));
    assert!(
        after.link_may_read(Purpose::Join, uuid::Uuid::from_u128(1)),
        "what was handed over can still be downloaded"
    );
}
