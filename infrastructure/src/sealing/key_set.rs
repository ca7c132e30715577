//! The key set: the current sealing key and the public parts of the keys it replaced.

use std::path::Path;

use jsonwebtoken::{Algorithm, Validation};
use serde::de::DeserializeOwned;

use super::{DetachedSeal, PublicSealingKey, SealError, SealingKey, SealingKeyError, key_files};
use crate::config::{Profile, Settings};
use crate::tokens::DevelopmentKeys;

/// The current key, which seals, and the previous keys' public parts, which with it verify
/// seals made before a rotation.
#[derive(Clone)]
pub struct SealingKeys {
    current: SealingKey,
    previous: Vec<PublicSealingKey>,
}

impl SealingKeys {
    /// `previous` without the current key and without repeats (listing a key twice is harmless).
    pub fn new(current: SealingKey, previous: Vec<PublicSealingKey>) -> Self {
        let mut kept: Vec<PublicSealingKey> = Vec::new();
        for key in previous {
            if key.key_id() != current.key_id() && kept.iter().all(|k| k.key_id() != key.key_id()) {
                kept.push(key);
            }
        }
        Self {
            current,
            previous: kept,
        }
    }

    /// The configured keys: `audit.sealing_key_file` and `audit.previous_sealing_public_keys`;
    /// in the local profile without a key file, the development key and the development keys it
    /// replaced (`arreta audit rotate-sealing-key` keeps them in `auth.data_dir`).
    pub fn from_settings(settings: &Settings) -> Result<Self, SealingKeyError> {
        let audit = &settings.audit;
        let mut previous = Vec::new();
        let current = match (&audit.sealing_key_file, settings.profile) {
            (Some(path), _) => current_from_file(path)?,
            (None, Profile::Local) => {
                let dir = &settings.auth.data_dir;
                for path in DevelopmentKeys::previous_sealing_pems(dir)? {
                    previous.push(public_from_file(&path)?);
                }
                current_from_pem(&DevelopmentKeys::sealing_pem(dir)?, dir)?
            }
            (None, Profile::Production) => {
                return Err(SealingKeyError::Key(
                    "audit.sealing_key_file".into(),
                    "the production profile needs the council's sealing key".into(),
                ));
            }
        };
        for path in &audit.previous_sealing_public_keys {
            previous.push(public_from_file(path)?);
        }
        Ok(Self::new(current, previous))
    }

    /// The local profile's development sealing key (created on first use), with the development
    /// keys it replaced.
    pub fn development(dir: &Path) -> Result<Self, SealingKeyError> {
        let mut previous = Vec::new();
        for path in DevelopmentKeys::previous_sealing_pems(dir)? {
            previous.push(public_from_file(&path)?);
        }
        let current = current_from_pem(&DevelopmentKeys::sealing_pem(dir)?, dir)?;
        Ok(Self::new(current, previous))
    }

    /// The key that seals now.
    pub fn current(&self) -> &SealingKey {
        &self.current
    }

    /// Every public key, the current one first: what the JWKS publishes.
    pub fn public_keys(&self) -> impl Iterator<Item = &PublicSealingKey> {
        std::iter::once(self.current.public()).chain(self.previous.iter())
    }

    /// The key whose id is `kid`.
    pub fn by_kid(&self, kid: &str) -> Option<&PublicSealingKey> {
        self.public_keys().find(|key| key.key_id() == kid)
    }

    /// Seals `payload` detached with the current key.
    pub fn seal_detached(&self, payload: &[u8]) -> Result<String, SealError> {
        self.current.seal_detached(payload)
    }

    /// Checks a detached seal over `payload` with the key its `kid` names; a key not in the set
    /// is refused, whatever the signature.
    pub fn verify_detached(&self, seal: &str, payload: &[u8]) -> Result<(), SealError> {
        let seal = DetachedSeal::parse(seal, payload)?;
        let key = self
            .by_kid(&seal.kid)
            .ok_or_else(|| SealError::UnknownKey(seal.kid.clone()))?;
        key.verify_signature(&seal.signature, seal.input.as_bytes())
    }

    /// Checks a compact JWS with its payload attached (the daily anchors) and gives its claims.
    /// A seal naming a `kid` is checked by that key alone; one naming none (anchors sealed before
    /// seals named their key) by whichever key of the set made it.
    pub(crate) fn verify_attached<T: DeserializeOwned>(&self, jws: &str) -> Result<T, String> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let header = jsonwebtoken::decode_header(jws).map_err(|e| e.to_string())?;
        let decode = |key: &PublicSealingKey| {
            jsonwebtoken::decode::<T>(jws, &key.decoding, &validation)
                .map(|data| data.claims)
                .map_err(|e| e.to_string())
        };
        match header.kid {
            Some(kid) => match self.by_kid(&kid) {
                Some(key) => decode(key),
                None => Err(SealError::UnknownKey(kid).to_string()),
            },
            None => {
                let mut last = String::from("no sealing key");
                for key in self.public_keys() {
                    match decode(key) {
                        Ok(claims) => return Ok(claims),
                        Err(e) => last = e,
                    }
                }
                Err(last)
            }
        }
    }
}

fn current_from_file(path: &Path) -> Result<SealingKey, SealingKeyError> {
    let pem = key_files::read(path)?;
    SealingKey::from_pem(&pem).map_err(|e| SealingKeyError::Key(path.display().to_string(), e))
}

fn current_from_pem(pem: &str, dir: &Path) -> Result<SealingKey, SealingKeyError> {
    SealingKey::from_pem(pem).map_err(|e| SealingKeyError::Key(dir.display().to_string(), e))
}

fn public_from_file(path: &Path) -> Result<PublicSealingKey, SealingKeyError> {
    let name = || path.display().to_string();
    let pem = key_files::read(path)?;
    let verifying = key_files::parse_public(&pem).map_err(|e| SealingKeyError::Key(name(), e))?;
    PublicSealingKey::new(verifying).map_err(|e| SealingKeyError::Key(name(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SealingKey {
        SealingKey::from_signing_key(&key_files::generate()).expect("key")
    }

    #[test]
    fn after_a_rotation_old_and_new_seals_verify_and_a_foreign_kid_does_not() {
        let old = key();
        let before = SealingKeys::new(old.clone(), Vec::new());
        let old_seal = before.seal_detached(b"old claims").expect("seal");

        let rotated = SealingKeys::new(key(), vec![old.public().clone(), old.public().clone()]);
        assert_eq!(
            rotated.public_keys().count(),
            2,
            "a key listed twice counts once"
        );
        let new_seal = rotated.seal_detached(b"new claims").expect("seal");
        assert_eq!(rotated.verify_detached(&old_seal, b"old claims"), Ok(()));
        assert_eq!(rotated.verify_detached(&new_seal, b"new claims"), Ok(()));
        assert_ne!(
            super::super::detached_key_id(&old_seal),
            super::super::detached_key_id(&new_seal)
        );
        assert!(
            before.verify_detached(&new_seal, b"new claims").is_err(),
            "the old set does not know the new key"
        );

        let stranger = SealingKeys::new(key(), Vec::new());
        let foreign = stranger.seal_detached(b"x").expect("seal");
        assert_eq!(
            rotated.verify_detached(&foreign, b"x"),
            Err(SealError::UnknownKey(stranger.current().key_id().into()))
        );
    }

    #[test]
    fn development_rotation_keeps_the_old_public_key_in_the_set() {
        let dir = std::env::temp_dir().join(format!("arreta-seal-dev-{}", uuid::Uuid::new_v4()));
        let first = SealingKeys::development(&dir).expect("first");
        let seal = first.seal_detached(b"claims").expect("seal");
        let rotation = DevelopmentKeys::rotate_sealing(&dir).expect("rotated");
        assert_eq!(rotation.previous_kid, first.current().key_id());
        let second = SealingKeys::development(&dir).expect("second");
        assert_ne!(second.current().key_id(), first.current().key_id());
        assert_eq!(rotation.current_kid, second.current().key_id());
        assert_eq!(second.verify_detached(&seal, b"claims"), Ok(()));
        assert_eq!(second.public_keys().count(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
