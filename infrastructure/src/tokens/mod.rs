//! Bearer tokens: staff JWTs from the council's identity provider (asymmetric keys, issuer,
//! audience, expiry and not-before checked with a bounded clock skew), and citizens' capability
//! links, which Arreta signs itself.
//!
//! The two never mix: a capability link says `typ: arreta-link+jwt` and is verified only with
//! Arreta's HMAC secret; everything else is a staff token, verified only with the configured
//! public keys and asymmetric algorithms, so no algorithm confusion can turn a public key into a
//! shared secret.

mod authenticator;
mod capability;
mod development;
mod one_time_code;
mod staff;

pub use authenticator::{AuthSetupError, Authenticator, Credential};
pub use capability::{CapabilityClaims, CapabilityKeys};
pub use development::{DevelopmentKeyError, DevelopmentKeys, SealingRotation, public_pem_of};
pub use one_time_code::OneTimeCodes;
pub use staff::{KeyError, StaffIdentity, StaffVerifier, TrustedKey};
pub(crate) use staff::{STAFF_ALGORITHMS, decode_with};

#[cfg(test)]
mod tests;

/// The `typ` header of capability links.
pub const LINK_TYPE: &str = "arreta-link+jwt";

/// Why a token was not accepted. Deliberately coarse towards callers (all are 401), precise
/// in logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("no trusted key verifies the token")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued by an untrusted issuer")]
    Issuer,
    #[error("the token is meant for another audience")]
    Audience,
    #[error("the token lacks a required claim: {0}")]
    MissingClaim(String),
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind as K;
        match error.kind() {
            K::InvalidSignature => Self::Signature,
            K::ExpiredSignature => Self::Expired,
            K::ImmatureSignature => Self::NotYetValid,
            K::InvalidIssuer => Self::Issuer,
            K::InvalidAudience => Self::Audience,
            K::InvalidAlgorithm
            | K::InvalidAlgorithmName
            | K::UnsupportedAlgorithm
            | K::MissingAlgorithm => Self::Algorithm,
            K::MissingRequiredClaim(claim) => Self::MissingClaim(claim.clone()),
            _ => Self::Malformed,
        }
    }
}

/// Reads the header of a token within a size bound, refusing what is not a JWT.
pub(crate) fn header(token: &str, max_bytes: usize) -> Result<jsonwebtoken::Header, TokenError> {
    if token.len() > max_bytes {
        return Err(TokenError::TooLarge(max_bytes));
    }
    if token.split('.').count() != 3 {
        return Err(TokenError::Malformed);
    }
    jsonwebtoken::decode_header(token).map_err(|e| match TokenError::from(e) {
        TokenError::Algorithm => TokenError::Algorithm,
        _ => TokenError::Malformed,
    })
}

/// A key of its own for each use of the one capability secret (links, one-time codes, booking
/// challenges): HMAC-SHA256 of a label under the secret.
pub(crate) fn derive_key(secret: &[u8], label: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts every key length"),
    };
    mac.update(label);
    mac.finalize().into_bytes().into()
}
