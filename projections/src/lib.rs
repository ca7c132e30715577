//! Read models as folds over the global event log.
//!
//! Each fold here is pure: given the current row (or nothing) and an event, it gives the new row.
//! Storing rows and checkpoints is the infrastructure's job; the contract it follows is in [`log`].

pub mod accesses;
pub mod agenda;
pub mod availability;
pub mod case_summary;
pub mod log;
pub mod report;

pub use log::{DecodeError, LogPosition, LoggedEvent};
