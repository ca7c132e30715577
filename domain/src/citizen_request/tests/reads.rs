//! Given/when/then: reads of the whole case (history, export, case file) by staff.

use super::*;
use crate::metadata::Role;

fn read(what: CaseRead, role: Role, why: Option<&str>) -> CitizenRequestCommand {
    CitizenRequestCommand::RecordCaseFileAccess(RecordCaseFileAccess {
        what,
        by: "staff:auditor-01".into(),
        role,
        why: why.map(str::to_string),
        at: t(10, 0),
    })
}

fn accessed(what: CaseRead, role: Role, why: Option<&str>) -> CitizenRequestEvent {
    CitizenRequestEvent::CaseFileAccessed {
        what,
        by: "staff:auditor-01".into(),
        role,
        why: why.map(str::to_string),
        at: t(10, 0),
    }
}

#[test]
fn a_staff_read_of_the_history_is_recorded_with_who_what_and_why() {
    Case::with(())
        .given(vec![booked()])
        .when(read(
            CaseRead::History,
            Role::Auditor,
            Some(" complaint 2027/14 "),
        ))
        .then_expect_events(vec![accessed(
            CaseRead::History,
            Role::Auditor,
            Some("complaint 2027/14"),
        )]);
}

#[test]
fn every_read_is_recorded_again_a_second_page_included() {
    Case::with(())
        .given(vec![
            booked(),
            accessed(CaseRead::History, Role::Auditor, None),
        ])
        .when(read(CaseRead::History, Role::Auditor, None))
        .then_expect_events(vec![accessed(CaseRead::History, Role::Auditor, None)]);
}

#[test]
fn a_read_is_recorded_once_the_case_has_ended() {
    for end in [closed(), cancelled()] {
        Case::with(())
            .given(vec![booked(), end])
            .when(read(CaseRead::Export, Role::Supervisor, Some("audit")))
            .then_expect_events(vec![accessed(
                CaseRead::Export,
                Role::Supervisor,
                Some("audit"),
            )]);
    }
}

#[test]
fn no_reason_or_a_blank_one_is_recorded_as_none() {
    for why in [None, Some(""), Some("   ")] {
        Case::with(())
            .given(vec![booked()])
            .when(read(CaseRead::CaseFile, Role::Auditor, why))
            .then_expect_events(vec![accessed(CaseRead::CaseFile, Role::Auditor, None)]);
    }
}

#[test]
fn a_too_long_reason_or_one_with_control_characters_is_refused() {
    let long = "x".repeat(MAX_CASE_READ_REASON_CHARS + 1);
    for why in [long.as_str(), "a\u{7}b", "line\nbreak"] {
        Case::with(())
            .given(vec![booked()])
            .when(read(CaseRead::History, Role::Auditor, Some(why)))
            .then_expect_error(CitizenRequestError::CaseReadReason {
                max: MAX_CASE_READ_REASON_CHARS,
            });
    }
    let longest = "x".repeat(MAX_CASE_READ_REASON_CHARS);
    Case::with(())
        .given(vec![booked()])
        .when(read(CaseRead::History, Role::Auditor, Some(&longest)))
        .then_expect_events(vec![accessed(
            CaseRead::History,
            Role::Auditor,
            Some(&longest),
        )]);
}

#[test]
fn the_citizens_own_read_records_nothing() {
    assert!(!CaseRead::is_recorded(Role::Citizen));
    assert!(CaseRead::is_recorded(Role::Auditor) && CaseRead::is_recorded(Role::Clerk));
    Case::with(())
        .given(vec![booked(), closed()])
        .when(read(CaseRead::CaseFile, Role::Citizen, None))
        .then_expect_events(vec![]);
}

#[test]
fn a_case_never_booked_has_nothing_to_read() {
    Case::with(())
        .given_no_previous_events()
        .when(read(CaseRead::History, Role::Auditor, None))
        .then_expect_error(CitizenRequestError::NotBooked);
}

#[test]
fn the_event_names_itself_in_the_past_tense() {
    let event = accessed(CaseRead::Export, Role::Auditor, None);
    assert_eq!(cqrs_es::DomainEvent::event_type(&event), "CaseFileAccessed");
    let json = serde_json::to_value(&event).expect("json");
    assert_eq!(json["CaseFileAccessed"]["what"], "export");
    assert_eq!(json["CaseFileAccessed"]["role"], "auditor");
}
