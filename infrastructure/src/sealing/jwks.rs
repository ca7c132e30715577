//! The sealing keys as a JSON Web Key Set (RFC 7517; Ed25519 keys as RFC 8037 `OKP` keys), so
//! that anyone can check a seal with a JOSE library, OpenSSL or Python, without Arreta.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::{PublicSealingKey, SealingKeys};

/// One public sealing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The 32-byte public key, base64url without padding.
    pub x: String,
    /// The id seals carry in their header.
    pub kid: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// `EdDSA`.
    pub alg: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The current key first, then the previous ones.
    pub keys: Vec<Jwk>,
}

impl From<&PublicSealingKey> for Jwk {
    fn from(key: &PublicSealingKey) -> Self {
        Self {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: URL_SAFE_NO_PAD.encode(key.bytes()),
            kid: key.key_id().into(),
            use_: "sig".into(),
            alg: "EdDSA".into(),
        }
    }
}

impl SealingKeys {
    /// Every public sealing key, current first.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self.public_keys().map(Jwk::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SealingKey, key_files};
    use super::*;

    #[test]
    fn each_key_is_an_okp_jwk_whose_x_is_the_raw_public_key() {
        let old = SealingKey::from_signing_key(&key_files::generate()).expect("key");
        let new = SealingKey::from_signing_key(&key_files::generate()).expect("key");
        let keys = SealingKeys::new(new.clone(), vec![old.public().clone()]);
        let jwks = serde_json::to_value(keys.jwks()).expect("json");
        let listed = jwks["keys"].as_array().expect("keys");
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0]["kid"], new.key_id(), "the current key first");
        assert_eq!(listed[1]["kid"], old.key_id());
        for (jwk, key) in listed.iter().zip([&new, &old]) {
            assert_eq!(jwk["kty"], "OKP");
            assert_eq!(jwk["crv"], "Ed25519");
            assert_eq!(jwk["use"], "sig");
            assert_eq!(jwk["alg"], "EdDSA");
            let x = URL_SAFE_NO_PAD
                .decode(jwk["x"].as_str().expect("x"))
                .expect("base64url");
            assert_eq!(x, key.public().bytes());
        }
        // A JOSE library takes the JWK as it is and checks a seal with it.
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(listed[0].clone()).expect("a JWK jsonwebtoken reads");
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("decoding key");
        let seal = keys.seal_detached(b"claims").expect("seal");
        let mut parts = seal.split('.');
        let header = parts.next().expect("header");
        let signature = parts.nth(1).expect("signature");
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(b"claims"));
        assert_eq!(
            jsonwebtoken::crypto::verify(
                signature,
                input.as_bytes(),
                &decoding,
                jsonwebtoken::Algorithm::EdDSA
            ),
            Ok(true)
        );
    }
}
