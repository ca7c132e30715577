//! Headers about the answers themselves, set once for the whole application.
//!
//! Every `/v1` answer may carry personal data (a case, a manage token, a problem naming a
//! field), so none may be kept by a browser or a shared cache unless its route says otherwise;
//! no answer may be sniffed into another type. A client's `X-Request-Id` is echoed back, so it is
//! kept only when short and plain: a 64 KiB id once came back as a 65 KB response header that
//! clients and proxies refuse, turning a booking that was made into an error.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The longest client request id kept (a UUID is 36).
pub const MAX_REQUEST_ID_CHARS: usize = 64;

/// `no-store` on `/v1` answers that do not set their own cache rule; `nosniff` on every answer.
pub async fn private_answers(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/v1/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Drops a client's `X-Request-Id` that is too long or holds anything but letters, digits and
/// `-._:`, so the request id layer gives the request a fresh one instead.
pub async fn bounded_request_id(mut request: Request, next: Next) -> Response {
    let well_formed = request.headers().get("x-request-id").is_none_or(|id| {
        let id = id.as_bytes();
        !id.is_empty()
            && id.len() <= MAX_REQUEST_ID_CHARS
            && id
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(b))
    });
    if !well_formed {
        request.headers_mut().remove("x-request-id");
    }
    next.run(request).await
}
