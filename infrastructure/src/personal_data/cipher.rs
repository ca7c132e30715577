//! One case's data key and the sealed form of a value under it.
//!
//! AES-256-GCM (ring) with a random 96-bit nonce per value; the associated data names the case,
//! the event type and the field, so a sealed value copied into another case or field does not
//! open. Written as `v1.` and the URL-safe base64 of nonce and ciphertext with its tag.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

const VERSION: &str = "v1.";
pub const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    #[error("the system random source failed")]
    Random,
    #[error("a sealed value is not in the v1 form")]
    Form,
    #[error("a sealed value does not open under its case's key (altered, or another key)")]
    Open,
}

/// A case's data key. Never written anywhere unwrapped; `Debug` shows nothing of it.
#[derive(Clone)]
pub struct DataKey([u8; KEY_LEN]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    pub fn generate() -> Result<Self, CipherError> {
        let mut bytes = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| CipherError::Random)?;
        Ok(Self(bytes))
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; KEY_LEN]>::try_from(bytes).ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn aead(&self) -> LessSafeKey {
        // A 32-byte key always makes an AES-256 key: the length is the only way this fails.
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("32 bytes"))
    }

    /// Raw AES-GCM: nonce followed by ciphertext and tag.
    pub fn seal_bytes(&self, context: &str, plaintext: &[u8]) -> Result<Vec<u8>, CipherError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| CipherError::Random)?;
        let mut buffer = plaintext.to_vec();
        self.aead()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buffer,
            )
            .map_err(|_| CipherError::Random)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&buffer);
        Ok(sealed)
    }

    pub fn open_bytes(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, CipherError> {
        if sealed.len() < NONCE_LEN {
            return Err(CipherError::Form);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CipherError::Form)?;
        let mut buffer = ciphertext.to_vec();
        let plaintext = self
            .aead()
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buffer)
            .map_err(|_| CipherError::Open)?;
        Ok(plaintext.to_vec())
    }

    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, CipherError> {
        let sealed = self.seal_bytes(context, plaintext)?;
        Ok(format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(sealed)))
    }

    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, CipherError> {
        let encoded = sealed.strip_prefix(VERSION).ok_or(CipherError::Form)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| CipherError::Form)?;
        self.open_bytes(context, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let key = DataKey::generate().expect("random");
        let sealed = key.seal("case-1|citizen", b"Ane").expect("seals");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("Ane"));
        assert_eq!(key.open("case-1|citizen", &sealed).expect("opens"), b"Ane");
        assert_eq!(
            key.open("case-2|citizen", &sealed),
            Err(CipherError::Open),
            "moved to another case"
        );
        let other = DataKey::generate().expect("random");
        assert_eq!(
            other.open("case-1|citizen", &sealed),
            Err(CipherError::Open)
        );
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        let key = DataKey::generate().expect("random");
        assert_ne!(
            key.seal("c", b"same").expect("seals"),
            key.seal("c", b"same").expect("seals")
        );
    }

    #[test]
    fn an_altered_value_does_not_open() {
        let key = DataKey::generate().expect("random");
        let sealed = key.seal("c", b"12345678Z").expect("seals");
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed[3..]).expect("base64");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let altered = format!("v1.{}", URL_SAFE_NO_PAD.encode(bytes));
        assert_eq!(key.open("c", &altered), Err(CipherError::Open));
        assert_eq!(key.open("c", "plain"), Err(CipherError::Form));
    }
}
