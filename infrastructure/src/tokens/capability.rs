use chrono::{DateTime, Duration, Utc};
use domain::capability::Purpose;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{LINK_TYPE, TokenError, header};

const ISSUER: &str = "arreta";
const AUDIENCE: &str = "arreta-citizen";

/// What a capability link grants: one purpose on one request, until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapabilityClaims {
    /// The request (case) id.
    pub sub: Uuid,
    pub purpose: Purpose,
    /// For a join link, the appointment start it was issued for (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<i64>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
}

impl CapabilityClaims {
    pub fn slot_start(&self) -> Option<DateTime<Utc>> {
        self.slot.and_then(|s| DateTime::from_timestamp(s, 0))
    }
}

/// Signs and verifies capability links with Arreta's own secret (HS256).
#[derive(Clone)]
pub struct CapabilityKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    max_token_bytes: usize,
}

impl CapabilityKeys {
    /// The secret must be at least 32 bytes (HS256's own strength).
    pub fn new(secret: &[u8], max_token_bytes: usize) -> Option<Self> {
        if secret.len() < 32 {
            return None;
        }
        Some(Self {
            encoding: EncodingKey::from_secret(secret).ok()?,
            decoding: DecodingKey::from_secret(secret).ok()?,
            max_token_bytes,
        })
    }

    pub fn issue(
        &self,
        request_id: Uuid,
        purpose: Purpose,
        slot_start: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> Result<(String, CapabilityClaims), TokenError> {
        let claims = CapabilityClaims {
            sub: request_id,
            purpose,
            slot: slot_start.map(|s| s.timestamp()),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now.timestamp(),
            exp: (now + lifetime).timestamp(),
            jti: Uuid::now_v7(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(LINK_TYPE.into());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|_| TokenError::Malformed)?;
        Ok((token, claims))
    }

    pub fn verify(&self, token: &str) -> Result<CapabilityClaims, TokenError> {
        let header = header(token, self.max_token_bytes)?;
        if header.alg != Algorithm::HS256 || header.typ.as_deref() != Some(LINK_TYPE) {
            return Err(TokenError::Algorithm);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Links are Arreta's own: no clock skew to allow for.
        validation.leeway = 0;
        Ok(jsonwebtoken::decode::<CapabilityClaims>(token, &self.decoding, &validation)?.claims)
    }
}
