//! The credentials the api accepts, assembled from configuration, with the production profile's
//! refusals.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use domain::capability::Purpose;
use uuid::Uuid;

use super::development::DevelopmentKeys;
use super::staff::{StaffIdentity, StaffVerifier, TrustedKey};
use super::{CapabilityClaims, CapabilityKeys, LINK_TYPE, OneTimeCodes, TokenError, header};
use crate::config::{AuthSettings, Profile, Settings};

/// A verified bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Staff(StaffIdentity),
    Link(CapabilityClaims),
}

#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error(transparent)]
    Key(#[from] super::KeyError),
    #[error(transparent)]
    Development(#[from] super::development::DevelopmentKeyError),
    #[error("auth.capability_secret must be base64 of at least 32 bytes")]
    CapabilitySecret,
    #[error(
        "the production profile needs the identity provider's keys (auth.public_keys or auth.jwks_file)"
    )]
    NoStaffKeys,
    #[error("the production profile needs auth.capability_secret, shared by every api replica")]
    NoCapabilitySecret,
    #[error(
        "the production profile refuses the development key {0}: configure the identity provider's keys"
    )]
    DevelopmentKeyInProduction(String),
}

#[derive(Clone)]
pub struct Authenticator {
    staff: StaffVerifier,
    links: CapabilityKeys,
    codes: OneTimeCodes,
    lifetimes: crate::config::LinkLifetimes,
    max_token_bytes: usize,
    /// The booking challenges' MAC key, derived from the links' secret so that every replica
    /// checks what any replica issued.
    challenge_key: [u8; 32],
}

impl Authenticator {
    pub fn from_settings(settings: &Settings) -> Result<Self, AuthSetupError> {
        let auth: &AuthSettings = &settings.auth;
        let mut keys = Vec::new();
        for path in &auth.public_keys {
            keys.push(TrustedKey::from_pem_file(path)?);
        }
        if let Some(jwks) = &auth.jwks_file {
            keys.extend(TrustedKey::from_jwks_file(jwks)?);
        }
        let configured_secret = match &auth.capability_secret {
            Some(text) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_err(|_| AuthSetupError::CapabilitySecret)?,
            ),
            None => None,
        };
        let secret = match settings.profile {
            Profile::Production => {
                let development = DevelopmentKeys::public_pem_path(&auth.data_dir);
                if let Ok(dev_pem) = std::fs::read_to_string(&development) {
                    for path in &auth.public_keys {
                        if std::fs::read_to_string(path)
                            .is_ok_and(|pem| pem.trim() == dev_pem.trim())
                        {
                            return Err(AuthSetupError::DevelopmentKeyInProduction(
                                path.display().to_string(),
                            ));
                        }
                    }
                }
                if keys.is_empty() {
                    return Err(AuthSetupError::NoStaffKeys);
                }
                configured_secret.ok_or(AuthSetupError::NoCapabilitySecret)?
            }
            Profile::Local => {
                let development = DevelopmentKeys::load_or_create(&auth.data_dir)?;
                keys.extend(development.trusted_key());
                configured_secret.unwrap_or_else(|| development.capability_secret().to_vec())
            }
        };
        let links = CapabilityKeys::new(&secret, auth.max_token_bytes)
            .ok_or(AuthSetupError::CapabilitySecret)?;
        let codes = OneTimeCodes::new(&secret);
        let challenge_key = super::derive_key(&secret, b"arreta/booking-challenge/v1");
        Ok(Self {
            staff: StaffVerifier::new(
                keys,
                &auth.issuer,
                &auth.audience,
                auth.leeway_seconds,
                auth.max_token_bytes,
            ),
            links,
            codes,
            lifetimes: auth.link_minutes.clone(),
            max_token_bytes: auth.max_token_bytes,
            challenge_key,
        })
    }

    /// The key that signs booking challenges (`booking_guard::Challenges`).
    pub fn challenge_key(&self) -> [u8; 32] {
        self.challenge_key
    }

    /// Verifies a bearer token: a capability link by its `typ`, otherwise a staff token.
    pub fn verify(&self, token: &str) -> Result<Credential, TokenError> {
        let header = header(token, self.max_token_bytes)?;
        if header.typ.as_deref() == Some(LINK_TYPE) {
            self.links.verify(token).map(Credential::Link)
        } else {
            self.staff.verify(token).map(Credential::Staff)
        }
    }

    /// The one-time codes of signatures, keyed like the links (every replica derives the same).
    pub fn one_time_codes(&self) -> &OneTimeCodes {
        &self.codes
    }

    /// Issues a capability link for one request and purpose, with the configured lifetime.
    pub fn issue_link(
        &self,
        request_id: Uuid,
        purpose: Purpose,
        slot_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(String, CapabilityClaims), TokenError> {
        let lifetime = match purpose {
            // Until the appointment and a while after it, however far ahead it was booked.
            Purpose::Manage => Duration::minutes(self.lifetimes.manage)
                .max(slot_start + Duration::minutes(self.lifetimes.manage_after_appointment) - now),
            Purpose::Upload => Duration::minutes(self.lifetimes.upload),
            Purpose::Join => Duration::minutes(self.lifetimes.join),
            Purpose::Sign => Duration::minutes(self.lifetimes.sign),
        };
        // Only a join link is bound to the appointment's time.
        let bound = (purpose == Purpose::Join).then_some(slot_start);
        self.links.issue(request_id, purpose, bound, now, lifetime)
    }
}
