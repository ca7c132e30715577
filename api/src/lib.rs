//! Arreta's HTTP API: the axum router, its handlers, caller extraction and problem details.

pub mod app;
pub mod caller;
pub mod extract;
pub mod messages;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod server;
pub mod state;

pub use app::app;
