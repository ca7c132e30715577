//! Handlers, one module per resource. Each parses, authorises, calls one command or query, and
//! maps the result; the rules live in `domain`.

pub mod accesses;
pub mod agenda;
pub mod availability;
pub mod booking_guard;
pub mod call;
pub mod case_file;
pub mod documents;
pub mod feeds;
pub mod health;
pub mod history;
pub mod identity;
pub mod links;
pub mod municipal;
pub mod procedures;
pub mod reads;
pub mod recordings;
pub mod reports;
pub mod requests;
pub mod responses;
pub mod seal_keys;
pub mod search;
pub mod signatures;
pub mod views;
