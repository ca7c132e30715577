//! `Idempotency-Key` on POSTs that create things: the same key and body replay the first
//! response; the same key with another body is 422; a retry while the first is still running is
//! 409. Keys are scoped by caller. Only successful responses are kept: after a failure the key
//! is released and a retry runs again (the booking process is idempotent by request id, which
//! is derived from the key, so a retry after a crash converges on the same case).

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use infrastructure::idempotency::{self, Claim, StoredResponse};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::caller::Caller;
use crate::problem::ApiError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";
/// Headers worth replaying with a stored response.
const KEPT_HEADERS: [&str; 4] = ["content-type", "location", "etag", "content-language"];

/// The key of the current request, for handlers that derive ids from it.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub scope: String,
    pub key: String,
}

impl IdempotencyKey {
    /// A stable id for what this key creates.
    pub fn derived_id(&self) -> Uuid {
        Uuid::new_v5(
            &Uuid::NAMESPACE_URL,
            format!("arreta:{}:{}", self.scope, self.key).as_bytes(),
        )
    }
}

fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn idempotent(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(key) = request.headers().get(HEADER) else {
        return Ok(next.run(request).await);
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| valid_key(k))
        .ok_or(ApiError::InvalidIdempotencyKey)?
        .to_string();
    let (mut parts, body) = request.into_parts();
    let caller = Caller::from_request_parts(&mut parts, &state).await?;
    let bytes = to_bytes(body, state.settings.body_limit_bytes)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update([0]);
    hasher.update(parts.uri.path());
    hasher.update([0]);
    hasher.update(
        parts
            .headers
            .get("content-type")
            .map(|v| v.as_bytes())
            .unwrap_or_default(),
    );
    hasher.update([0]);
    hasher.update(&bytes);
    let hash = hex::encode(hasher.finalize());
    let scope = caller.scope();
    match idempotency::claim(&state.pool, &scope, &key, &hash).await? {
        Claim::Owned => {}
        Claim::Done(stored) => return Ok(replay(stored)),
        Claim::InProgress => return Err(ApiError::IdempotencyInProgress),
        Claim::Mismatch => return Err(ApiError::IdempotencyKeyReused),
    }
    parts.extensions.insert(IdempotencyKey {
        scope: scope.clone(),
        key: key.clone(),
    });
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if !response.status().is_success() {
        idempotency::release(&state.pool, &scope, &key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::Internal(format!("response body: {e}")))?;
    let stored = StoredResponse {
        status: parts.status.as_u16(),
        headers: KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                parts
                    .headers
                    .get(*name)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| ((*name).to_string(), v.to_string()))
            })
            .collect(),
        body: body.to_vec(),
    };
    idempotency::complete(&state.pool, &scope, &key, &stored).await?;
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert!(valid_key("0190c2a4-7d5e-7000-8000-000000000000"));
        assert!(!valid_key(""));
        assert!(!valid_key(&"k".repeat(256)));
        assert!(!valid_key("with space"));
        assert!(!valid_key("ñ"));
    }

    #[test]
    fn derived_ids_are_stable_and_scoped() {
        let key = |scope: &str| IdempotencyKey {
            scope: scope.into(),
            key: "k1".into(),
        };
        assert_eq!(key("staff:a").derived_id(), key("staff:a").derived_id());
        assert_ne!(key("staff:a").derived_id(), key("staff:b").derived_id());
    }
}
