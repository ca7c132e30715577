//! A bound on the request's headers. Every legitimate caller sends a few hundred bytes (a bearer
//! token of a few KiB at most); a client that sends 64 KiB of headers is refused with 431 before
//! any handler, extractor or log line deals with them.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest header section taken, names and values together (a staff token is bounded by
/// `auth.max_token_bytes`, 8 KiB by default, which fits).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

pub async fn bounded_header_size(request: Request, next: Next) -> Response {
    let size: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if size > MAX_HEADER_BYTES {
        // A bare status: the problem middleware writes it in the caller's language.
        return StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE.into_response();
    }
    next.run(request).await
}
