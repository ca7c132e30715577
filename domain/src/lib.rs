//! Arreta's domain: aggregates, commands, events, value objects and the rules between them.
//!
//! Pure by design: no I/O, no SQL, no HTTP. Time enters through commands (`at`), configuration
//! through the aggregates' services, so every rule is testable given/when/then.

pub mod agenda;
pub mod booking_limits;
pub mod calendar;
pub mod capability;
pub mod citizen_request;
pub mod metadata;
pub mod notification;
pub mod procedure;
pub mod retention;
pub mod search;
pub mod slot;
pub mod values;
