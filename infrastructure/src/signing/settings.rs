//! `[signing]`: one-time codes and the council's identity provider.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningSettings {
    /// How long a mailed one-time code works, in seconds (60 to 3600).
    pub code_ttl_seconds: u64,
    /// The council's identity provider (Cl@ve, BakQ, certificates through it). Without it,
    /// only an identity document shown on camera identifies a citizen.
    pub identity_provider: Option<IdentityProviderSettings>,
    /// How often the registry recorder looks for entries not yet on their case, in ms.
    pub registry_poll_interval_ms: u64,
}

impl Default for SigningSettings {
    fn default() -> Self {
        Self {
            code_ttl_seconds: 600,
            identity_provider: None,
            registry_poll_interval_ms: 1000,
        }
    }
}

/// How ID tokens from the council's identity provider are checked and read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderSettings {
    /// The `iss` its ID tokens carry.
    pub issuer: String,
    /// The `aud` they must be issued for (Arreta's client id at the provider).
    pub audience: String,
    /// Its public keys, PEM (Ed25519, P-256 or RSA).
    #[serde(default)]
    pub public_keys: Vec<PathBuf>,
    /// Or its published JWKS document, saved to a file.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// The claim holding the DNI/NIE.
    #[serde(default = "default_national_id_claim")]
    pub national_id_claim: String,
    /// The claim telling how the citizen authenticated (a string or an array of strings).
    #[serde(default = "default_method_claim")]
    pub method_claim: String,
    /// Values of `method_claim` meaning Cl@ve, BakQ and a certificate; a token with none of them
    /// is refused.
    pub clave: Vec<String>,
    pub bakq: Vec<String>,
    pub certificate: Vec<String>,
    /// The authentication (`auth_time`, else `iat`) must be at most this old: the citizen
    /// authenticates during the call, not days before.
    #[serde(default = "default_max_age_seconds")]
    pub max_age_seconds: u64,
    #[serde(default = "default_leeway_seconds")]
    pub leeway_seconds: u64,
}

fn default_national_id_claim() -> String {
    "national_id".into()
}

fn default_method_claim() -> String {
    "acr".into()
}

fn default_max_age_seconds() -> u64 {
    900
}

fn default_leeway_seconds() -> u64 {
    30
}

impl SigningSettings {
    pub fn validate(&self) -> Result<(), String> {
        if !(60..=3600).contains(&self.code_ttl_seconds) {
            return Err("signing.code_ttl_seconds is between 60 and 3600".into());
        }
        if self.registry_poll_interval_ms == 0 {
            return Err("signing.registry_poll_interval_ms must be positive".into());
        }
        if let Some(idp) = &self.identity_provider {
            if idp.issuer.trim().is_empty() || idp.audience.trim().is_empty() {
                return Err("signing.identity_provider needs an issuer and an audience".into());
            }
            if idp.public_keys.is_empty() && idp.jwks_file.is_none() {
                return Err("signing.identity_provider needs public_keys or a jwks_file".into());
            }
            if idp.clave.is_empty() && idp.bakq.is_empty() && idp.certificate.is_empty() {
                return Err(
                    "signing.identity_provider maps no method_claim value to clave, bakq or certificate"
                        .into(),
                );
            }
            if idp.max_age_seconds == 0 {
                return Err("signing.identity_provider.max_age_seconds must be positive".into());
            }
        }
        Ok(())
    }
}
