//! Given/when/then: erasing the citizen's personal data once the case has ended.

use super::*;
use cqrs_es::Aggregate;

fn erase(at: DateTime<Utc>) -> CitizenRequestCommand {
    CitizenRequestCommand::ErasePersonalData(ErasePersonalData { at })
}

fn erased(at: DateTime<Utc>) -> CitizenRequestEvent {
    CitizenRequestEvent::PersonalDataErased { erased_at: at }
}

fn no_show() -> CitizenRequestEvent {
    CitizenRequestEvent::NoShowRecorded {
        recorded_at: t(9, 20),
    }
}

#[test]
fn given_an_ended_case_when_its_retention_ends_then_the_erasure_is_recorded() {
    for ending in [closed(), cancelled(), no_show()] {
        Case::with(())
            .given(vec![booked(), ending])
            .when(erase(t(23, 0)))
            .then_expect_events(vec![erased(t(23, 0))]);
    }
}

#[test]
fn given_an_open_case_when_erasure_is_asked_then_it_is_refused() {
    Case::with(())
        .given(vec![booked()])
        .when(erase(t(8, 0)))
        .then_expect_error(CitizenRequestError::CaseNotEnded);
    Case::with(())
        .given_no_previous_events()
        .when(erase(t(8, 0)))
        .then_expect_error(CitizenRequestError::CaseNotEnded);
}

#[test]
fn given_an_erased_case_when_erasure_is_retried_then_nothing_is_written() {
    Case::with(())
        .given(vec![booked(), closed(), erased(t(23, 0))])
        .when(erase(t(23, 5)))
        .then_expect_events(vec![]);
}

#[test]
fn given_erased_data_when_the_case_is_loaded_then_the_citizen_reads_as_erased() {
    let mut case = CitizenRequest::default();
    for event in [booked(), closed(), erased(t(23, 0))] {
        case.apply(event);
    }
    let booking = case.booking().expect("the appointment is still there");
    assert!(booking.citizen.is_erased());
    assert_eq!(booking.procedure.as_str(), "PADRON-ALTA");
    assert_eq!(case.personal_data_erased_at(), Some(t(23, 0)));
}

#[test]
fn given_an_event_whose_key_is_gone_when_it_is_loaded_then_the_booking_reads_as_erased() {
    // What the event store gives back once the case key is destroyed: the citizen as its mark.
    let mut stored = serde_json::to_value(booked()).expect("serialises");
    stored["AppointmentBooked"]["citizen"] = serde_json::json!({"erased": true});
    let event: CitizenRequestEvent = serde_json::from_value(stored).expect("still decodes");
    let mut case = CitizenRequest::default();
    case.apply(event);
    assert_eq!(case.status(), CaseStatus::Booked);
    assert!(case.booking().expect("booked").citizen.is_erased());
}

#[test]
fn given_an_erased_case_its_documents_are_called_by_their_type() {
    let mut case = CitizenRequest::default();
    let mut attached = serde_json::to_value(CitizenRequestEvent::DocumentAttached {
        document_id: uuid::Uuid::from_u128(7),
        file_name: "NAN_Miren_Etxeberria.pdf".into(),
        media_type: DocumentMediaType::Pdf,
        size: 10,
        sha256: "0".repeat(64),
        object_key: "k".into(),
        version_id: "v".into(),
        retain_until: t(23, 0),
        uploaded_by: "citizen".into(),
        attached_at: t(7, 10),
    })
    .expect("serialises");
    case.apply(booked());
    case.apply(serde_json::from_value(attached.clone()).expect("decodes"));
    assert_eq!(case.documents()[0].file_name, "NAN_Miren_Etxeberria.pdf");
    case.apply(closed());
    case.apply(erased(t(23, 0)));
    assert_eq!(case.documents()[0].file_name, "document.pdf");
    // Rebuilt once the key is gone, the event itself has no name to give.
    attached["DocumentAttached"]["file_name"] = serde_json::json!({"erased": true});
    let mut rebuilt = CitizenRequest::default();
    rebuilt.apply(booked());
    rebuilt.apply(serde_json::from_value(attached).expect("still decodes"));
    assert_eq!(rebuilt.documents()[0].file_name, "document.pdf");
}
