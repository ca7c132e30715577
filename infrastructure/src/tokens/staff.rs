use std::path::Path;

use domain::metadata::Role;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{TokenError, header};

/// Algorithms accepted for staff tokens: asymmetric only.
pub(crate) const STAFF_ALGORITHMS: [Algorithm; 3] =
    [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

type KeyParser = fn(&[u8]) -> jsonwebtoken::errors::Result<DecodingKey>;

/// A key the identity provider signs staff tokens with.
#[derive(Clone)]
pub struct TrustedKey {
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key file {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0} is not an Ed25519, P-256 or RSA public key in PEM")]
    Pem(String),
    #[error("{0} is not a JWKS document with usable keys: {1}")]
    Jwks(String, String),
}

impl TrustedKey {
    /// A PEM public key; its type decides its algorithm (Ed25519: EdDSA, P-256: ES256, RSA: RS256).
    pub fn from_pem(pem: &[u8], kid: Option<String>) -> Option<Self> {
        let text = String::from_utf8_lossy(pem);
        let candidates: [(Algorithm, KeyParser); 3] = [
            (Algorithm::EdDSA, DecodingKey::from_ed_pem),
            (Algorithm::ES256, DecodingKey::from_ec_pem),
            (Algorithm::RS256, DecodingKey::from_rsa_pem),
        ];
        if !text.contains("PUBLIC KEY") {
            return None;
        }
        candidates.into_iter().find_map(|(algorithm, parse)| {
            parse(pem)
                .ok()
                .filter(|_| key_matches(&text, algorithm))
                .map(|key| Self {
                    kid: kid.clone(),
                    algorithm,
                    key,
                })
        })
    }

    pub fn from_pem_file(path: &Path) -> Result<Self, KeyError> {
        let pem = std::fs::read(path).map_err(|e| KeyError::Read(path.display().to_string(), e))?;
        Self::from_pem(&pem, None).ok_or_else(|| KeyError::Pem(path.display().to_string()))
    }

    /// Every usable signing key of a JWKS document (the identity provider's published keys).
    pub fn from_jwks_file(path: &Path) -> Result<Vec<Self>, KeyError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::Read(name.clone(), e))?;
        let set: JwkSet =
            serde_json::from_str(&text).map_err(|e| KeyError::Jwks(name.clone(), e.to_string()))?;
        let keys: Vec<Self> = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let algorithm = match &jwk.algorithm {
                    jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                    jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                    jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    _ => return None,
                };
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some(Self {
                    kid: jwk.common.key_id.clone(),
                    algorithm,
                    key,
                })
            })
            .collect();
        if keys.is_empty() {
            return Err(KeyError::Jwks(name, "no asymmetric keys".into()));
        }
        Ok(keys)
    }
}

/// The DER inside a PEM names its algorithm; make sure a parser did not accept another type's
/// bytes (the parsers check the PEM label, not always the algorithm identifier).
fn key_matches(pem: &str, algorithm: Algorithm) -> bool {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body.trim()) else {
        return false;
    };
    let contains = |oid: &[u8]| der.windows(oid.len()).any(|w| w == oid);
    match algorithm {
        // 1.3.101.112 (Ed25519)
        Algorithm::EdDSA => contains(&[0x06, 0x03, 0x2b, 0x65, 0x70]),
        // 1.2.840.10045.2.1 (EC public key) with 1.2.840.10045.3.1.7 (P-256)
        Algorithm::ES256 => {
            contains(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01])
                && contains(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07])
        }
        // 1.2.840.113549.1.1.1 (RSA)
        Algorithm::RS256 => contains(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]),
        _ => false,
    }
}

/// A verified member of staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffIdentity {
    pub subject: String,
    /// The staff roles the token grants; roles Arreta does not know are ignored.
    pub roles: Vec<Role>,
}

#[derive(Deserialize)]
struct StaffClaims {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    role: Option<String>,
}

/// Verifies staff bearer tokens against the trusted keys.
#[derive(Clone)]
pub struct StaffVerifier {
    keys: Vec<TrustedKey>,
    issuer: String,
    audience: String,
    leeway_seconds: u64,
    max_token_bytes: usize,
}

impl StaffVerifier {
    pub fn new(
        keys: Vec<TrustedKey>,
        issuer: &str,
        audience: &str,
        leeway_seconds: u64,
        max_token_bytes: usize,
    ) -> Self {
        Self {
            keys,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            leeway_seconds,
            max_token_bytes,
        }
    }

    pub fn verify(&self, token: &str) -> Result<StaffIdentity, TokenError> {
        let header = header(token, self.max_token_bytes)?;
        if !STAFF_ALGORITHMS.contains(&header.alg) {
            return Err(TokenError::Algorithm);
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway_seconds;
        let claims: StaffClaims = decode_with(token, &self.keys, &header, &validation)?;
        let mut roles: Vec<Role> = claims
            .roles
            .iter()
            .chain(claims.role.iter())
            .filter_map(|r| Role::parse(r))
            .filter(|r| !matches!(r, Role::Citizen | Role::System))
            .collect();
        roles.sort_by_key(|r| r.as_str());
        roles.dedup();
        if claims.sub.trim().is_empty() || claims.sub.len() > 128 {
            return Err(TokenError::MissingClaim("sub".into()));
        }
        Ok(StaffIdentity {
            subject: claims.sub,
            roles,
        })
    }
}

/// Decodes `token` with the first of `keys` (of the header's algorithm and, when both name one,
/// its key id) whose signature holds. A wrong key gives a bad signature and the next is tried;
/// any other failure (expired, wrong issuer...) is final.
pub(crate) fn decode_with<T: serde::de::DeserializeOwned>(
    token: &str,
    keys: &[TrustedKey],
    header: &jsonwebtoken::Header,
    validation: &Validation,
) -> Result<T, TokenError> {
    let candidates = keys
        .iter()
        .filter(|k| k.algorithm == header.alg)
        .filter(|k| match (&header.kid, &k.kid) {
            (Some(wanted), Some(kid)) => wanted == kid,
            _ => true,
        });
    let mut last = TokenError::Signature;
    for key in candidates {
        match jsonwebtoken::decode::<T>(token, &key.key, validation) {
            Ok(data) => return Ok(data.claims),
            Err(e) => match TokenError::from(e) {
                TokenError::Signature => last = TokenError::Signature,
                other => return Err(other),
            },
        }
    }
    Err(last)
}
