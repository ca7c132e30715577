//! Given/when/then: sending the manage link again.

use super::*;

fn ask(at: DateTime<Utc>) -> CitizenRequestCommand {
    CitizenRequestCommand::RequestManageLink(RequestManageLink { at })
}

fn asked(at: DateTime<Utc>) -> CitizenRequestEvent {
    CitizenRequestEvent::ManageLinkRequested { requested_at: at }
}

#[test]
fn given_a_booked_appointment_when_the_citizen_asks_for_the_link_then_it_is_sent_again() {
    Case::with(())
        .given(vec![booked()])
        .when(ask(t(7, 0)))
        .then_expect_events(vec![asked(t(7, 0))]);
}

#[test]
fn given_three_requests_in_a_day_when_a_fourth_comes_then_it_is_refused_until_a_day_has_passed() {
    let three = vec![booked(), asked(t(6, 0)), asked(t(6, 10)), asked(t(6, 20))];
    Case::with(())
        .given(three.clone())
        .when(ask(t(7, 0)))
        .then_expect_error(CitizenRequestError::ManageLinkRequestedOften { max: 3 });
    let next_day = t(6, 5) + Duration::hours(24);
    Case::with(())
        .given(three)
        .when(ask(next_day))
        .then_expect_events(vec![asked(next_day)]);
}

#[test]
fn given_a_cancelled_appointment_when_the_link_is_asked_for_then_nothing_is_sent() {
    Case::with(())
        .given(vec![booked(), cancelled()])
        .when(ask(t(7, 0)))
        .then_expect_error(CitizenRequestError::Cancelled);
}
