//! Given/when/then tests for every rule and refusal of the Agenda.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::calendar::tests::{local, now, vitoria};
use crate::calendar::{ClerkId, SlotError};
use crate::procedure::{Bilingual, Catalogue, Procedure};
use crate::slot::Slot;
use crate::values::ProcedureCode;

fn services() -> AgendaServices {
    AgendaServices {
        calendar: Arc::new(vitoria()),
        catalogue: Arc::new(Catalogue::new([Procedure {
            document_retention_days: None,
            code: code(),
            name: Bilingual::new("Erroldan alta", "Alta en el padrón"),
            minutes: 30,
            documents: vec![],
            signature_required: true,
        }])),
    }
}

fn agenda() -> TestFramework<Agenda> {
    TestFramework::with(services())
}

fn code() -> ProcedureCode {
    ProcedureCode::parse("PADRON-ALTA").expect("code")
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).expect("date")
}

fn request(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn nine() -> Slot {
    Slot::new(local(2, 9, 0), 30)
}

fn reserve(n: u128, slot: Slot) -> AgendaCommand {
    AgendaCommand::Reserve(ReserveRoom {
        day: day(),
        request_id: request(n),
        procedure: code(),
        slot,
        at: now(),
    })
}

fn reserved(n: u128, slot: Slot, room: u8) -> AgendaEvent {
    AgendaEvent::RoomReserved {
        day: day(),
        request_id: request(n),
        procedure: code(),
        slot,
        room,
        reserved_at: now(),
    }
}

fn start(slot: Slot) -> DateTime<Utc> {
    slot.start
}

#[test]
fn the_first_reservation_takes_room_one() {
    agenda()
        .given_no_previous_events()
        .when(reserve(1, nine()))
        .then_expect_events(vec![reserved(1, nine(), 1)]);
}

#[test]
fn an_overlapping_reservation_takes_the_next_free_room() {
    let overlapping = Slot::new(local(2, 9, 15), 30);
    agenda()
        .given(vec![reserved(1, nine(), 1)])
        .when(reserve(2, overlapping))
        .then_expect_events(vec![reserved(2, overlapping, 2)]);
}

#[test]
fn a_third_overlapping_reservation_is_refused() {
    agenda()
        .given(vec![reserved(1, nine(), 1), reserved(2, nine(), 2)])
        .when(reserve(3, Slot::new(local(2, 9, 15), 30)))
        .then_expect_error(AgendaError::SlotFull);
}

#[test]
fn back_to_back_appointments_share_a_room() {
    let next = Slot::new(local(2, 9, 30), 30);
    agenda()
        .given(vec![reserved(1, nine(), 1), reserved(2, nine(), 2)])
        .when(reserve(3, next))
        .then_expect_events(vec![reserved(3, next, 1)]);
}

#[test]
fn a_released_room_can_be_reserved_again() {
    agenda()
        .given(vec![
            reserved(1, nine(), 1),
            reserved(2, nine(), 2),
            AgendaEvent::RoomReleased {
                request_id: request(1),
                slot_start: start(nine()),
                room: 1,
                reason: ReleaseReason::Cancelled,
            },
        ])
        .when(reserve(3, nine()))
        .then_expect_events(vec![reserved(3, nine(), 1)]);
}

#[test]
fn retrying_a_reservation_writes_nothing() {
    agenda()
        .given(vec![reserved(1, nine(), 1), reserved(2, nine(), 2)])
        .when(reserve(1, nine()))
        .then_expect_events(vec![]);
}

#[test]
fn a_request_may_move_over_its_own_slot_within_the_day() {
    let later = Slot::new(local(2, 9, 15), 30);
    agenda()
        .given(vec![reserved(1, nine(), 1), reserved(2, nine(), 2)])
        .when(reserve(1, later))
        .then_expect_events(vec![reserved(1, later, 1)]);
}

#[test]
fn reservations_are_refused_for_unknown_procedures_and_wrong_lengths() {
    agenda()
        .given_no_previous_events()
        .when(AgendaCommand::Reserve(ReserveRoom {
            day: day(),
            request_id: request(1),
            procedure: ProcedureCode::parse("LICENCIA-OBRA").expect("code"),
            slot: nine(),
            at: now(),
        }))
        .then_expect_error(AgendaError::UnknownProcedure("LICENCIA-OBRA".into()));
    agenda()
        .given_no_previous_events()
        .when(reserve(1, Slot::new(local(2, 9, 0), 45)))
        .then_expect_error(AgendaError::WrongDuration {
            expected: 30,
            given: 45,
        });
}

#[test]
fn reservations_follow_the_calendar() {
    agenda()
        .given_no_previous_events()
        .when(reserve(1, Slot::new(local(2, 14, 0), 30)))
        .then_expect_error(AgendaError::Slot(SlotError::OutsideOpeningHours));
    agenda()
        .given_no_previous_events()
        .when(AgendaCommand::Reserve(ReserveRoom {
            day: day(),
            request_id: request(1),
            procedure: code(),
            slot: nine(),
            at: local(2, 8, 30),
        }))
        .then_expect_error(AgendaError::Slot(SlotError::TooSoon { lead_minutes: 60 }));
}

#[test]
fn a_slot_of_another_day_is_refused() {
    let other = NaiveDate::from_ymd_opt(2026, 12, 3).expect("date");
    agenda()
        .given_no_previous_events()
        .when(reserve(1, Slot::new(local(3, 9, 0), 30)))
        .then_expect_error(AgendaError::WrongDay {
            agenda_day: day(),
            slot_day: other,
        });
}

#[test]
fn releasing_frees_exactly_that_reservation_and_is_idempotent() {
    let release = AgendaCommand::Release(ReleaseRoom {
        request_id: request(1),
        slot_start: start(nine()),
        reason: ReleaseReason::Cancelled,
    });
    agenda()
        .given(vec![reserved(1, nine(), 1)])
        .when(release.clone())
        .then_expect_events(vec![AgendaEvent::RoomReleased {
            request_id: request(1),
            slot_start: start(nine()),
            room: 1,
            reason: ReleaseReason::Cancelled,
        }]);
    agenda()
        .given_no_previous_events()
        .when(release)
        .then_expect_events(vec![]);
}

fn assign(n: u128, clerk: &str) -> AgendaCommand {
    AgendaCommand::AssignClerk(AssignClerk {
        request_id: request(n),
        clerk: ClerkId(clerk.into()),
    })
}

#[test]
fn a_clerk_is_assigned_to_a_reserved_appointment() {
    agenda()
        .given(vec![reserved(1, nine(), 1)])
        .when(assign(1, "clerk-07"))
        .then_expect_events(vec![AgendaEvent::ClerkAssigned {
            request_id: request(1),
            slot_start: start(nine()),
            clerk: ClerkId("clerk-07".into()),
        }]);
}

#[test]
fn a_clerk_is_in_one_appointment_at_a_time() {
    let assigned = AgendaEvent::ClerkAssigned {
        request_id: request(1),
        slot_start: start(nine()),
        clerk: ClerkId("clerk-07".into()),
    };
    agenda()
        .given(vec![
            reserved(1, nine(), 1),
            reserved(2, nine(), 2),
            assigned.clone(),
        ])
        .when(assign(2, "clerk-07"))
        .then_expect_error(AgendaError::ClerkBusy);
    agenda()
        .given(vec![
            reserved(1, nine(), 1),
            reserved(2, nine(), 2),
            assigned,
        ])
        .when(assign(2, "clerk-08"))
        .inspect_result()
        .expect("another clerk is free");
}

#[test]
fn assignment_refusals() {
    agenda()
        .given(vec![reserved(1, nine(), 1)])
        .when(assign(1, "clerk-99"))
        .then_expect_error(AgendaError::UnknownClerk("clerk-99".into()));
    agenda()
        .given_no_previous_events()
        .when(assign(1, "clerk-01"))
        .then_expect_error(AgendaError::NotReserved);
}

mod calls {
    use super::*;

    fn open(n: u128, clerk: &str) -> AgendaCommand {
        AgendaCommand::OpenCall(OpenCall {
            request_id: request(n),
            clerk: clerk.into(),
            at: local(2, 9, 0),
        })
    }

    fn opened(n: u128, clerk: &str) -> AgendaEvent {
        AgendaEvent::CallOpened {
            request_id: request(n),
            clerk: clerk.into(),
            opened_at: local(2, 9, 0),
        }
    }

    fn three_reserved() -> Vec<AgendaEvent> {
        vec![
            reserved(1, nine(), 1),
            reserved(2, nine(), 2),
            reserved(3, Slot::new(local(2, 9, 30), 30), 1),
        ]
    }

    #[test]
    fn a_call_opens_for_a_reserved_request() {
        agenda()
            .given(three_reserved())
            .when(open(1, "staff:clerk-1"))
            .then_expect_events(vec![opened(1, "staff:clerk-1")]);
        agenda()
            .given(three_reserved())
            .when(open(9, "staff:clerk-1"))
            .then_expect_error(AgendaError::NotReserved);
    }

    #[test]
    fn a_third_simultaneous_call_is_refused() {
        let mut two = three_reserved();
        two.extend([opened(1, "staff:clerk-1"), opened(2, "staff:clerk-2")]);
        agenda()
            .given(two.clone())
            .when(open(3, "staff:clerk-3"))
            .then_expect_error(AgendaError::CallsFull { max: 2 });
        // Once one ends, the next one opens.
        two.push(AgendaEvent::CallClosed {
            request_id: request(1),
            closed_at: local(2, 9, 29),
        });
        agenda()
            .given(two)
            .when(open(3, "staff:clerk-3"))
            .then_expect_events(vec![opened(3, "staff:clerk-3")]);
    }

    #[test]
    fn a_clerk_is_in_one_call_at_a_time_and_reopening_is_a_no_op() {
        let mut one = three_reserved();
        one.push(opened(1, "staff:clerk-1"));
        agenda()
            .given(one.clone())
            .when(open(2, "staff:clerk-1"))
            .then_expect_error(AgendaError::ClerkInCall);
        agenda()
            .given(one.clone())
            .when(open(1, "staff:clerk-1"))
            .then_expect_events(vec![]);
        agenda()
            .given(one)
            .when(open(1, "staff:clerk-2"))
            .then_expect_error(AgendaError::ClerkInCall);
    }

    #[test]
    fn closing_a_call_not_open_changes_nothing() {
        agenda()
            .given(three_reserved())
            .when(AgendaCommand::CloseCall(CloseCall {
                request_id: request(1),
                at: local(2, 9, 30),
            }))
            .then_expect_events(vec![]);
    }
}
