//! The council's sealing key (Ed25519): it seals the daily anchors of the hash chains and the
//! evidence of every signature, as JWS (RFC 7515) with `alg: EdDSA`.
//!
//! A signature's evidence is sealed *detached* (RFC 7515, appendix F): the compact form carries
//! no payload (`header..signature`), and whoever verifies supplies the payload bytes, the
//! signature's claims, exactly as they were sealed. Those claims name the document's SHA-256, so
//! one changed byte of the document or of the claims fails verification.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::tokens::{DevelopmentKeyError, DevelopmentKeys};

#[derive(Debug, thiserror::Error)]
pub enum SealingKeyError {
    #[error("sealing key {0}: {1}")]
    Key(String, String),
    #[error(transparent)]
    Development(#[from] DevelopmentKeyError),
}

/// Why a detached seal does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the seal is not a detached compact JWS (header..signature)")]
    Malformed,
    #[error("the seal's header is not EdDSA from this key")]
    Header,
    #[error("the seal does not verify over these claims")]
    Signature,
    #[error("sealing failed: {0}")]
    Sign(String),
}

/// The council's sealing key: Ed25519, private part to seal, public part to verify.
#[derive(Clone)]
pub struct SealingKey {
    pub(crate) encoding: EncodingKey,
    pub(crate) decoding: DecodingKey,
    /// First 16 hex digits of the SHA-256 of the public key PEM: which key sealed, so a rotated
    /// key can be told apart.
    key_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct DetachedHeader {
    alg: String,
    kid: String,
    typ: String,
}

const DETACHED_TYPE: &str = "arreta-signature-evidence+jws";

impl SealingKey {
    /// From a PKCS#8 PEM file holding the private key.
    pub fn from_pem_file(path: &Path) -> Result<Self, SealingKeyError> {
        let name = path.display().to_string();
        let pem =
            std::fs::read(path).map_err(|e| SealingKeyError::Key(name.clone(), e.to_string()))?;
        Self::from_pem(&pem).map_err(|e| SealingKeyError::Key(name, e))
    }

    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        let encoding = EncodingKey::from_ed_pem(pem).map_err(|e| e.to_string())?;
        let public = crate::tokens::public_pem_of(pem)?;
        let decoding = DecodingKey::from_ed_pem(public.as_bytes()).map_err(|e| e.to_string())?;
        let key_id = hex::encode(Sha256::digest(public.trim().as_bytes()))[..16].to_string();
        Ok(Self {
            encoding,
            decoding,
            key_id,
        })
    }

    /// The configured key; in the local profile without one, the development key.
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, SealingKeyError> {
        match (&settings.audit.sealing_key_file, settings.profile) {
            (Some(path), _) => Self::from_pem_file(path),
            (None, crate::config::Profile::Local) => Self::development(&settings.auth.data_dir),
            (None, crate::config::Profile::Production) => Err(SealingKeyError::Key(
                "audit.sealing_key_file".into(),
                "the production profile needs the council's sealing key".into(),
            )),
        }
    }

    /// The local profile's development sealing key, created on first use.
    pub fn development(dir: &Path) -> Result<Self, SealingKeyError> {
        let pem = DevelopmentKeys::sealing_pem(dir)?;
        Self::from_pem(pem.as_bytes())
            .map_err(|e| SealingKeyError::Key(dir.display().to_string(), e))
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    fn header(&self) -> Result<String, SealError> {
        let header = DetachedHeader {
            alg: "EdDSA".into(),
            kid: self.key_id.clone(),
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

    /// Checks a detached seal over `payload`.
    pub fn verify_detached(&self, seal: &str, payload: &[u8]) -> Result<(), SealError> {
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
        if decoded.alg != "EdDSA" || decoded.kid != self.key_id || decoded.typ != DETACHED_TYPE {
            return Err(SealError::Header);
        }
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
        match jsonwebtoken::crypto::verify(
            signature,
            input.as_bytes(),
            &self.decoding,
            Algorithm::EdDSA,
        ) {
            Ok(true) => Ok(()),
            _ => Err(SealError::Signature),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_key() -> SealingKey {
        let dir = std::env::temp_dir().join(format!("arreta-seal-{}", uuid::Uuid::new_v4()));
        let key = SealingKey::development(&dir).expect("development key");
        let _ = std::fs::remove_dir_all(&dir);
        key
    }

    #[test]
    fn a_detached_seal_verifies_only_over_the_exact_payload() {
        let key = fresh_key();
        let payload = br#"{"sha256":"ab","case":"c"}"#;
        let seal = key.seal_detached(payload).expect("seal");
        let parts: Vec<&str> = seal.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(parts[1].is_empty(), "the payload is detached");
        assert_eq!(key.verify_detached(&seal, payload), Ok(()));
        for i in 0..payload.len() {
            let mut changed = payload.to_vec();
            changed[i] ^= 0x01;
            assert_eq!(
                key.verify_detached(&seal, &changed),
                Err(SealError::Signature),
                "byte {i} changed"
            );
        }
        let attached = seal.replacen("..", &format!(".{}.", URL_SAFE_NO_PAD.encode(payload)), 1);
        assert_eq!(
            key.verify_detached(&attached, payload),
            Err(SealError::Malformed)
        );
        assert_eq!(
            fresh_key().verify_detached(&seal, payload),
            Err(SealError::Header)
        );
    }
}
