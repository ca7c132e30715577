//! The council's public sealing keys as a JWKS, so that anyone can check a seal without Arreta.
//!
//! At `/.well-known/arreta-seal-keys.json` rather than `/.well-known/jwks.json`: these keys seal
//! anchors and signature evidence, they sign no token, and a client that finds a bare
//! `jwks.json` (OpenID Connect's habit) would take them for the keys of Arreta's tokens. The
//! name says what they are for.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::caller::{Anyone, Authorized};
use crate::problem::{ApiError, ProblemBody};
use crate::state::AppState;

pub const PATH: &str = "/.well-known/arreta-seal-keys.json";

/// How long a verifier may keep the key set: an hour. A rotation adds a key; a verifier that
/// meets a `kid` it does not know fetches the set again.
const CACHE_CONTROL: &str = "public, max-age=3600";

/// RFC 7517's media type for a key set.
const JWK_SET: &str = "application/jwk-set+json";

/// An Ed25519 public key (RFC 8037).
#[derive(Debug, Serialize, ToSchema)]
pub struct SealKey {
    #[schema(example = "OKP")]
    pub kty: String,
    #[schema(example = "Ed25519")]
    pub crv: String,
    /// The 32-byte public key, base64url without padding.
    pub x: String,
    /// The id a seal's JWS header names its key by.
    #[schema(example = "3f9c2a71b0d4e851")]
    pub kid: String,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: String,
    #[schema(example = "EdDSA")]
    pub alg: String,
}

/// The sealing keys: the current one first, then those rotated out, which still verify what
/// they sealed.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealKeySet {
    pub keys: Vec<SealKey>,
}

/// The council's public sealing keys (JWKS). Every seal (a daily anchor, a signature's
/// evidence) is an EdDSA JWS whose header's `kid` names one of them; with it anyone can check the
/// seal, for example with OpenSSL (see the README).
#[utoipa::path(get, path = "/.well-known/arreta-seal-keys.json", tag = "signing",
    responses(
        (status = 200, description = "The key set", body = SealKeySet, content_type = "application/jwk-set+json",
            headers(("Cache-Control" = String, description = "public, max-age=3600"))),
        (status = 429, description = "Too many requests", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn key_set(
    State(state): State<AppState>,
    _caller: Authorized<Anyone>,
) -> Result<Response, ApiError> {
    let keys = state
        .signing
        .sealing
        .jwks()
        .keys
        .into_iter()
        .map(|jwk| SealKey {
            kty: jwk.kty,
            crv: jwk.crv,
            x: jwk.x,
            kid: jwk.kid,
            use_: jwk.use_,
            alg: jwk.alg,
        })
        .collect();
    let mut response = (StatusCode::OK, axum::Json(SealKeySet { keys })).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JWK_SET));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    Ok(response)
}
