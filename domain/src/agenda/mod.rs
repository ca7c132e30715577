//! Agenda: one per service day, the consistency boundary for capacity — at most `rooms` video
//! rooms busy at once, a clerk in one appointment at a time, and at most `rooms` calls in
//! progress with a clerk in one call at a time.

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use aggregate::{Agenda, OpenedCall, Reservation};
pub use commands::{AgendaCommand, AssignClerk, CloseCall, OpenCall, ReleaseRoom, ReserveRoom};
pub use error::AgendaError;
pub use events::{AgendaEvent, ReleaseReason};

use crate::calendar::ServiceCalendar;
use crate::procedure::Catalogue;

/// What the Agenda needs to know to judge a reservation: the calendar and the catalogue.
#[derive(Debug, Clone)]
pub struct AgendaServices {
    pub calendar: Arc<ServiceCalendar>,
    pub catalogue: Arc<Catalogue>,
}

/// The aggregate id of a day's agenda: its ISO date.
pub fn agenda_id(day: chrono::NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}
