//! Identification through the council's identity provider: Cl@ve, BakQ or a certificate reach
//! Arreta as an OpenID Connect ID token. It is checked like a staff token (asymmetric keys only,
//! issuer, audience, expiry) and, beyond that, must be fresh: the citizen authenticates in the
//! call, so a token from another day is refused.

use chrono::{DateTime, Utc};
use domain::citizen_request::{IdentityEvidence, IdentityMethod};
use domain::values::{CitizenName, NationalId};
use jsonwebtoken::Validation;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::settings::IdentityProviderSettings;
use crate::tokens::{KeyError, STAFF_ALGORITHMS, TokenError, TrustedKey, decode_with};

/// ID tokens are small; anything larger is refused before parsing.
const MAX_ID_TOKEN_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("no identity provider is configured")]
    NotConfigured,
    #[error("the ID token is not valid: {0}")]
    Token(#[from] TokenError),
    #[error("the ID token was issued too long ago: authenticate again")]
    Stale,
    #[error("the ID token names no accepted authentication method")]
    Method,
    #[error("the ID token carries no valid DNI/NIE in {0}")]
    NationalId(String),
}

pub struct IdTokenVerifier {
    keys: Vec<TrustedKey>,
    settings: IdentityProviderSettings,
}

impl IdTokenVerifier {
    pub fn from_settings(settings: &IdentityProviderSettings) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for path in &settings.public_keys {
            keys.push(TrustedKey::from_pem_file(path)?);
        }
        if let Some(jwks) = &settings.jwks_file {
            keys.extend(TrustedKey::from_jwks_file(jwks)?);
        }
        Ok(Self {
            keys,
            settings: settings.clone(),
        })
    }

    /// The method and evidence an ID token gives, checked as of `now`.
    pub fn verify(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(IdentityMethod, IdentityEvidence), IdTokenError> {
        let token = token.trim();
        let header = crate::tokens::header(token, MAX_ID_TOKEN_BYTES)?;
        if !STAFF_ALGORITHMS.contains(&header.alg) {
            return Err(TokenError::Algorithm.into());
        }
        let s = &self.settings;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&s.issuer]);
        validation.set_audience(&[&s.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "iat"]);
        validation.validate_nbf = true;
        validation.leeway = s.leeway_seconds;
        let claims: serde_json::Map<String, Value> =
            decode_with(token, &self.keys, &header, &validation)?;
        let seconds = |name: &str| claims.get(name).and_then(Value::as_i64);
        let authenticated = seconds("auth_time")
            .or_else(|| seconds("iat"))
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .ok_or_else(|| TokenError::MissingClaim("iat".into()))?;
        let age = now.signed_duration_since(authenticated).num_seconds();
        let leeway = i64::try_from(s.leeway_seconds).unwrap_or(i64::MAX);
        if age > i64::try_from(s.max_age_seconds).unwrap_or(i64::MAX) || age < -leeway {
            return Err(IdTokenError::Stale);
        }
        let method = self.method(claims.get(&s.method_claim))?;
        let national_id = claims
            .get(&s.national_id_claim)
            .and_then(Value::as_str)
            .and_then(|id| NationalId::parse(id).ok())
            .ok_or_else(|| IdTokenError::NationalId(s.national_id_claim.clone()))?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::trim);
        let name = text("name")
            .map(str::to_string)
            .or_else(|| match (text("given_name"), text("family_name")) {
                (Some(given), Some(family)) => Some(format!("{given} {family}")),
                _ => None,
            })
            .and_then(|n| CitizenName::parse(&n).ok());
        let evidence = IdentityEvidence::IdentityProvider {
            issuer: s.issuer.clone(),
            subject: text("sub").unwrap_or_default().chars().take(128).collect(),
            national_id,
            name,
            level: text("acr").map(|a| a.chars().take(128).collect()),
            authenticated_at: Some(authenticated),
            token_sha256: hex::encode(Sha256::digest(token.as_bytes())),
        };
        Ok((method, evidence))
    }

    fn method(&self, claim: Option<&Value>) -> Result<IdentityMethod, IdTokenError> {
        let values: Vec<&str> = match claim {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let s = &self.settings;
        // The strongest first: a certificate, then BakQ, then Cl@ve.
        [
            (IdentityMethod::Certificate, &s.certificate),
            (IdentityMethod::Bakq, &s.bakq),
            (IdentityMethod::Clave, &s.clave),
        ]
        .into_iter()
        .find(|(_, accepted)| values.iter().any(|v| accepted.iter().any(|a| a == v)))
        .map(|(method, _)| method)
        .ok_or(IdTokenError::Method)
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    use super::*;

    struct Provider {
        encoding: EncodingKey,
        verifier: IdTokenVerifier,
        _dir: PathGuard,
    }

    struct PathGuard(std::path::PathBuf);
    impl Drop for PathGuard {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn provider() -> Provider {
        let key = SigningKey::from_bytes(&[42u8; 32]);
        let private = key.to_pkcs8_pem(LineEnding::LF).expect("pem");
        let public = key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("public pem");
        let dir = std::env::temp_dir().join(format!("arreta-idp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("idp.pub.pem");
        std::fs::write(&path, public).expect("write");
        let settings = IdentityProviderSettings {
            issuer: "https://idp.vitoria-gasteiz.eus".into(),
            audience: "arreta".into(),
            public_keys: vec![path],
            jwks_file: None,
            national_id_claim: "national_id".into(),
            method_claim: "acr".into(),
            clave: vec!["clave-permanente".into(), "clave-pin".into()],
            bakq: vec!["bakq".into()],
            certificate: vec!["izenpe-cert".into()],
            max_age_seconds: 900,
            leeway_seconds: 30,
        };
        Provider {
            encoding: EncodingKey::from_ed_pem(private.as_bytes()).expect("key"),
            verifier: IdTokenVerifier::from_settings(&settings).expect("verifier"),
            _dir: PathGuard(dir),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("time")
    }

    fn token(p: &Provider, claims: Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &p.encoding).expect("token")
    }

    fn claims(acr: &str, iat: i64) -> Value {
        json!({
            "iss": "https://idp.vitoria-gasteiz.eus", "aud": "arreta", "sub": "citizen-77",
            "iat": iat, "exp": iat + 600, "acr": acr, "national_id": "12345678z",
            "given_name": "Miren", "family_name": "Etxeberria",
        })
    }

    #[test]
    fn a_fresh_token_gives_the_method_and_the_national_id() {
        let p = provider();
        let t = now().timestamp();
        let (method, evidence) = p
            .verifier
            .verify(&token(&p, claims("bakq", t - 60)), now())
            .expect("verified");
        assert_eq!(method, IdentityMethod::Bakq);
        assert_eq!(evidence.national_id().as_str(), "12345678Z");
        assert_eq!(
            evidence.name().map(|n| n.as_str()),
            Some("Miren Etxeberria")
        );
        let (method, _) = p
            .verifier
            .verify(&token(&p, claims("clave-pin", t)), now())
            .expect("verified");
        assert_eq!(method, IdentityMethod::Clave);
    }

    #[test]
    fn stale_unmapped_foreign_or_tampered_tokens_are_refused() {
        let p = provider();
        let t = now().timestamp();
        let stale = token(&p, claims("bakq", t - 1000));
        assert_eq!(
            p.verifier
                .verify(&stale, now() - chrono::Duration::seconds(1)),
            Err(IdTokenError::Stale)
        );
        assert_eq!(
            p.verifier.verify(&token(&p, claims("password", t)), now()),
            Err(IdTokenError::Method)
        );
        let mut other_audience = claims("bakq", t);
        other_audience["aud"] = json!("someone-else");
        assert_eq!(
            p.verifier.verify(&token(&p, other_audience), now()),
            Err(IdTokenError::Token(TokenError::Audience))
        );
        let mut no_id = claims("bakq", t);
        no_id["national_id"] = json!("not-a-dni");
        assert_eq!(
            p.verifier.verify(&token(&p, no_id), now()),
            Err(IdTokenError::NationalId("national_id".into()))
        );
        let good = token(&p, claims("bakq", t));
        let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
        let forged = claims("izenpe-cert", t).to_string();
        parts[1] =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, forged);
        assert_eq!(
            p.verifier.verify(&parts.join("."), now()),
            Err(IdTokenError::Token(TokenError::Signature))
        );
    }
}
