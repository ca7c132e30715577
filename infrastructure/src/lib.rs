//! Adapters: PostgreSQL event store and read models, the global log and its projectors, the
//! booking process manager, object storage, configuration.

pub mod anchors;
pub mod audit;
pub mod booking;
pub mod booking_guard;
pub mod calls;
pub mod clock;
pub mod command_bus;
pub mod config;
pub mod cors;
pub mod database;
pub mod documents;
pub mod feeds;
pub mod global_log;
pub mod html;
pub mod ical;
pub mod idempotency;
pub mod mail;
pub mod municipal;
pub mod object_store;
pub mod personal_data;
pub mod projector;
pub mod read_models;
pub mod reconciler;
pub mod retention;
pub mod retry;
pub mod rounds;
pub mod sealing;
pub mod signing;
pub mod staff_search;
pub mod tokens;
