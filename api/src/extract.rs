//! Extractors whose every rejection is a bilingual problem naming the field at fault.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::messages::{FieldIssue, InvalidField};
use crate::problem::ApiError;

/// A JSON body: `Content-Type: application/json` (or `+json`), within the body limit, with no
/// unknown fields (the body types deny them) and every field of the right type.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime_guess_free::Essence>().ok())
            .is_some_and(|essence| essence.is_json());
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::MalformedJson
                }
            })?;
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    ApiError::Invalid(vec![data_issue(&path, &inner.to_string())])
                }
                _ => ApiError::MalformedJson,
            }
        })?;
        deserializer.end().map_err(|_| ApiError::MalformedJson)?;
        Ok(Self(value))
    }
}

/// Query parameters, with the same care as bodies.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Self)
            .map_err(|error| {
                let path = error.path().to_string();
                ApiError::InvalidQuery(vec![data_issue(&path, &error.into_inner().to_string())])
            })
    }
}

/// Reads serde's message for what went wrong with which field. serde gives its reasons only as
/// English text; the kinds below are the ones its derive produces.
fn data_issue(path: &str, message: &str) -> InvalidField {
    // The path may or may not already end with the field's name (it does for unknown fields).
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(|name| {
                if path == "." || path.is_empty() {
                    name.to_string()
                } else if path == name || path.ends_with(&format!(".{name}")) {
                    path.to_string()
                } else {
                    format!("{path}.{name}")
                }
            })
    };
    if let Some(field) = named("unknown field `") {
        InvalidField::new(field, FieldIssue::Unknown)
    } else if let Some(field) = named("missing field `") {
        InvalidField::new(field, FieldIssue::Missing)
    } else {
        let field = if path == "." {
            String::new()
        } else {
            path.to_string()
        };
        InvalidField::new(field, FieldIssue::WrongType)
    }
}

/// The `{id}` of a request route. A malformed id names no request: 404.
pub struct RequestId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        path_uuid(parts, state, "id").await.map(Self)
    }
}

/// The UUID path parameter `name`; a missing or malformed one names nothing: 404.
pub async fn path_uuid<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    name: &str,
) -> Result<Uuid, ApiError> {
    let axum::extract::Path(params) =
        axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
    params
        .iter()
        .find(|(param, _)| param == name)
        .and_then(|(_, value)| Uuid::parse_str(value).ok())
        .ok_or(ApiError::NotFound)
}

mod mime_guess_free {
    //! Just enough media-type parsing to tell JSON: `type/subtype` before any parameters.

    pub struct Essence(String);

    impl std::str::FromStr for Essence {
        type Err = ();

        fn from_str(value: &str) -> Result<Self, Self::Err> {
            let essence = value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if essence.contains('/') {
                Ok(Self(essence))
            } else {
                Err(())
            }
        }
    }

    impl Essence {
        pub fn is_json(&self) -> bool {
            self.0 == "application/json"
                || (self.0.starts_with("application/") && self.0.ends_with("+json"))
        }
    }
}

/// `If-Match` on a case command: `"N"` (the ETag of version N) makes the command conditional on
/// the case still being at version N; absent or `*`, it is not. Anything else is 400.
pub struct IfMatch(pub Option<usize>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(Self(None));
        };
        let text = value.to_str().map_err(|_| ApiError::InvalidIfMatch)?.trim();
        if text == "*" {
            return Ok(Self(None));
        }
        text.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .and_then(|n| n.parse::<usize>().ok())
            .map(|n| Self(Some(n)))
            .ok_or(ApiError::InvalidIfMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_the_field() {
        assert_eq!(
            data_issue(
                "citizen",
                "unknown field `nick`, expected one of `name`, `email`"
            ),
            InvalidField::new("citizen.nick", FieldIssue::Unknown)
        );
        assert_eq!(
            data_issue(
                "citizen.nick",
                "unknown field `nick`, expected one of `name`"
            ),
            InvalidField::new("citizen.nick", FieldIssue::Unknown)
        );
        assert_eq!(
            data_issue("citizen", "missing field `email`"),
            InvalidField::new("citizen.email", FieldIssue::Missing)
        );
        assert_eq!(
            data_issue(".", "missing field `procedure`"),
            InvalidField::new("procedure", FieldIssue::Missing)
        );
        assert_eq!(
            data_issue("room", "invalid type: string \"a\", expected u8"),
            InvalidField::new("room", FieldIssue::WrongType)
        );
    }

    #[test]
    fn json_media_types() {
        let json = |v: &str| {
            v.parse::<mime_guess_free::Essence>()
                .is_ok_and(|e| e.is_json())
        };
        assert!(json("application/json"));
        assert!(json("Application/JSON; charset=utf-8"));
        assert!(json("application/merge-patch+json"));
        assert!(!json("text/plain"));
        assert!(!json("application/x-www-form-urlencoded"));
        assert!(!json("json"));
    }
}
