//! The council's sealing keys (Ed25519): they seal the daily anchors of the hash chains and the
//! evidence of every signature, as JWS (RFC 7515) with `alg: EdDSA` and the sealing key's `kid`.
//!
//! A signature's evidence is sealed *detached* (RFC 7515, appendix F): the compact form carries
//! no payload (`header..signature`), and whoever verifies supplies the payload bytes, the
//! signature's claims, exactly as they were sealed. Those claims name the document's SHA-256, so
//! one changed byte of the document or of the claims fails verification.
//!
//! The current key seals; it and the previous keys' public parts ([`SealingKeys`]) verify, each
//! seal by the key its `kid` names, so seals made before a rotation still hold. The public keys
//! are published as a JWKS (`jwks`) so that anyone can check a seal without Arreta.

pub mod jwks;
pub mod key_files;
mod key_set;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};

pub use key_set::SealingKeys;

use crate::tokens::DevelopmentKeyError;

#[derive(Debug, thiserror::Error)]
pub enum SealingKeyError {
    #[error("sealing key {0}: {1}")]
    Key(String, String),
    #[error(transparent)]
    File(#[from] key_files::KeyFileError),
    #[error(transparent)]
    Development(#[from] DevelopmentKeyError),
}

/// Why a detached seal does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the seal is not a detached compact JWS (header..signature)")]
    Malformed,
    #[error("the seal's header is not an EdDSA signature-evidence header")]
    Header,
    #[error("the seal names key {0:?}, which is not one of the council's sealing keys")]
    UnknownKey(String),
    #[error("the seal does not verify over these claims")]
    Signature,
    #[error("sealing failed: {0}")]
    Sign(String),
}

/// One sealing key's public part, with the id seals name it by.
#[derive(Clone)]
pub struct PublicSealingKey {
    verifying: VerifyingKey,
    pub(crate) decoding: DecodingKey,
    /// First 16 hex digits of the SHA-256 of the public key's SPKI PEM
    /// ([`key_files::key_id`]): which key sealed, so a rotated key can be told apart.
    key_id: String,
}

impl PublicSealingKey {
    pub fn new(verifying: VerifyingKey) -> Result<Self, String> {
        let pem = key_files::public_pem(&verifying)?;
        let decoding = DecodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
        Ok(Self {
            key_id: key_files::key_id(&verifying)?,
            verifying,
            decoding,
        })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The raw 32-byte public key (the JWK's `x`).
    pub fn bytes(&self) -> [u8; 32] {
        self.verifying.to_bytes()
    }

    /// The public key as SPKI PEM, as OpenSSL reads it.
    pub fn pem(&self) -> Result<String, String> {
        key_files::public_pem(&self.verifying)
    }

    fn verify_signature(&self, signature: &str, input: &[u8]) -> Result<(), SealError> {
        match jsonwebtoken::crypto::verify(signature, input, &self.decoding, Algorithm::EdDSA) {
            Ok(true) => Ok(()),
            _ => Err(SealError::Signature),
        }
    }
}

/// The key that seals now: Ed25519, private part to seal, public part to verify.
#[derive(Clone)]
pub struct SealingKey {
    pub(crate) encoding: EncodingKey,
    public: PublicSealingKey,
}

#[derive(Debug, Serialize, Deserialize)]
struct DetachedHeader {
    alg: String,
    kid: String,
    typ: String,
}

const DETACHED_TYPE: &str = "arreta-signature-evidence+jws";

impl SealingKey {
    /// From a PKCS#8 PEM (v1 or v2) holding the private key.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        Self::from_signing_key(&key_files::parse_private(pem)?)
    }

    pub fn from_signing_key(key: &SigningKey) -> Result<Self, String> {
        // jsonwebtoken reads v1 and v2 alike; v1 is what is handed to it either way.
        let v1 = key_files::private_pem(key)?;
        let encoding = EncodingKey::from_ed_pem(v1.as_bytes()).map_err(|e| e.to_string())?;
        Ok(Self {
            encoding,
            public: PublicSealingKey::new(key.verifying_key())?,
        })
    }

    pub fn key_id(&self) -> &str {
        self.public.key_id()
    }

    pub fn public(&self) -> &PublicSealingKey {
        &self.public
    }

    fn header(&self) -> Result<String, SealError> {
        let header = DetachedHeader {
            alg: "EdDSA".into(),
            kid: self.key_id().to_string(),
            typ: DETACHED_TYPE.into(),
        };
        let json = serde_json::to_vec(&header).map_err(|e| SealError::Sign(e.to_string()))?;
        Ok(URL_SAFE_NO_PAD.encode(json))
    }

    /// Seals `payload` detached: `header..signature`.
    pub fn seal_detached(&self, payload: &[u8]) -> Result<String, SealError> {
        let header = self.header()?;
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
        let signature =
            jsonwebtoken::crypto::sign(input.as_bytes(), &self.encoding, Algorithm::EdDSA)
                .map_err(|e| SealError::Sign(e.to_string()))?;
        Ok(format!("{header}..{signature}"))
    }
}

/// A detached seal taken apart: its header's key id, its signing input, its signature.
struct DetachedSeal {
    kid: String,
    input: String,
    signature: String,
}

impl DetachedSeal {
    fn parse(seal: &str, payload: &[u8]) -> Result<Self, SealError> {
        let mut parts = seal.trim().split('.');
        let (Some(header), Some(""), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Malformed);
        };
        let decoded: DetachedHeader = URL_SAFE_NO_PAD
            .decode(header)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(SealError::Malformed)?;
        if decoded.alg != "EdDSA" || decoded.typ != DETACHED_TYPE {
            return Err(SealError::Header);
        }
        Ok(Self {
            kid: decoded.kid,
            input: format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload)),
            signature: signature.to_string(),
        })
    }
}

/// The key id a detached seal's header names, if it is readable.
pub fn detached_key_id(seal: &str) -> Option<String> {
    DetachedSeal::parse(seal, b"").ok().map(|s| s.kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_keys() -> SealingKeys {
        SealingKeys::new(
            SealingKey::from_signing_key(&key_files::generate()).expect("key"),
            Vec::new(),
        )
    }

    #[test]
    fn a_detached_seal_verifies_only_over_the_exact_payload() {
        let keys = fresh_keys();
        let payload = br#"{"sha256":"ab","case":"c"}"#;
        let seal = keys.seal_detached(payload).expect("seal");
        let parts: Vec<&str> = seal.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(parts[1].is_empty(), "the payload is detached");
        assert_eq!(keys.verify_detached(&seal, payload), Ok(()));
        for i in 0..payload.len() {
            let mut changed = payload.to_vec();
            changed[i] ^= 0x01;
            assert_eq!(
                keys.verify_detached(&seal, &changed),
                Err(SealError::Signature),
                "byte {i} changed"
            );
        }
        let attached = seal.replacen("..", &format!(".{}.", URL_SAFE_NO_PAD.encode(payload)), 1);
        assert_eq!(
            keys.verify_detached(&attached, payload),
            Err(SealError::Malformed)
        );
        assert_eq!(
            fresh_keys().verify_detached(&seal, payload),
            Err(SealError::UnknownKey(keys.current().key_id().to_string()))
        );
    }

    #[test]
    fn a_seal_naming_a_known_kid_but_signed_by_another_key_fails() {
        let keys = fresh_keys();
        let other = fresh_keys();
        let payload = b"claims";
        let forged = other.seal_detached(payload).expect("seal");
        // Put the trusted key's id in the other key's header: the signature no longer matches.
        let header = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&DetachedHeader {
                alg: "EdDSA".into(),
                kid: keys.current().key_id().into(),
                typ: DETACHED_TYPE.into(),
            })
            .expect("json"),
        );
        let signature = forged.rsplit('.').next().expect("signature");
        let relabelled = format!("{header}..{signature}");
        assert_eq!(
            keys.verify_detached(&relabelled, payload),
            Err(SealError::Signature)
        );
        assert_eq!(
            detached_key_id(&relabelled).as_deref(),
            Some(keys.current().key_id())
        );
    }
}
