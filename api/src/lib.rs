//! Arreta's HTTP API: the axum router, its handlers, caller extraction and problem details.

pub mod answer_headers;
pub mod app;
pub mod caller;
pub mod extract;
pub mod idempotency;
pub mod messages;
pub mod openapi;
pub mod pages;
pub mod pagination;
pub mod problem;
pub mod rate_limit;
pub mod request_headers;
pub mod routes;
pub mod server;
pub mod state;

pub use app::app;
