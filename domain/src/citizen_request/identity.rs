//! Identifying the citizen in the call (Ley 39/2015, arts. 9-10): how it was done, and what was
//! seen or asserted. The rule itself (it must match the booking) is the aggregate's.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::values::{CitizenName, NationalId};

pub const MAX_EVIDENCE_TEXT_CHARS: usize = 200;

/// How the citizen was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityMethod {
    /// The clerk checked an identity document the citizen showed on camera.
    DocumentOnCamera,
    /// Cl@ve, through the council's identity provider.
    Clave,
    /// BakQ (Izenpe's mobile credential), through the council's identity provider.
    Bakq,
    /// A qualified certificate (Izenpe or another), through the council's identity provider.
    Certificate,
}

impl IdentityMethod {
    pub const ALL: [Self; 4] = [
        Self::DocumentOnCamera,
        Self::Clave,
        Self::Bakq,
        Self::Certificate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DocumentOnCamera => "document_on_camera",
            Self::Clave => "clave",
            Self::Bakq => "bakq",
            Self::Certificate => "certificate",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// The identity documents a clerk accepts on camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityDocumentKind {
    Dni,
    Nie,
    Passport,
}

/// What the identification rests on, kept with the event so an auditor sees it later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum IdentityEvidence {
    /// Read by the clerk off the document shown on camera.
    DocumentShown {
        document: IdentityDocumentKind,
        national_id: NationalId,
        name: CitizenName,
        expires_on: NaiveDate,
    },
    /// An ID token from the council's identity provider, already verified (signature, issuer,
    /// audience, expiry) by the infrastructure. The token itself is not kept, only its digest.
    IdentityProvider {
        issuer: String,
        subject: String,
        national_id: NationalId,
        name: Option<CitizenName>,
        /// The provider's level of assurance (`acr`), when it gives one.
        level: Option<String>,
        authenticated_at: Option<DateTime<Utc>>,
        /// SHA-256 of the ID token as received, lowercase hex.
        token_sha256: String,
    },
}

impl IdentityEvidence {
    pub fn national_id(&self) -> &NationalId {
        match self {
            Self::DocumentShown { national_id, .. }
            | Self::IdentityProvider { national_id, .. } => national_id,
        }
    }

    pub fn name(&self) -> Option<&CitizenName> {
        match self {
            Self::DocumentShown { name, .. } => Some(name),
            Self::IdentityProvider { name, .. } => name.as_ref(),
        }
    }

    /// Whether this evidence can back `method`: a document for the camera, a provider's token
    /// for the others.
    pub fn fits(&self, method: IdentityMethod) -> bool {
        matches!(
            (self, method),
            (Self::DocumentShown { .. }, IdentityMethod::DocumentOnCamera)
                | (
                    Self::IdentityProvider { .. },
                    IdentityMethod::Clave | IdentityMethod::Bakq | IdentityMethod::Certificate
                )
        )
    }
}

/// Why an identification does not match the booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityMismatch {
    /// The DNI/NIE is not the one booked.
    NationalId,
    /// The name is not the one booked.
    Name,
    /// The document shown had expired.
    DocumentExpired,
}

impl IdentityMismatch {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NationalId => "national_id",
            Self::Name => "name",
            Self::DocumentExpired => "document_expired",
        }
    }
}

/// A name folded for comparison: lowercase, accents and punctuation dropped, spaces collapsed,
/// so "José  María Pérez-Ruiz" matches "JOSE MARIA PEREZ RUIZ" as a clerk would read it off a
/// card, but "Pérez" does not match "Gómez".
pub fn folded_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let base = match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ç' => 'c',
            // ñ is a letter of its own in both languages.
            other => other,
        };
        if base.is_alphanumeric() {
            out.push(base);
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    out.trim_end().to_string()
}

/// Checks evidence against the booked citizen, as of `today` in the council's calendar.
pub fn check_identity(
    evidence: &IdentityEvidence,
    booked_id: &NationalId,
    booked_name: &CitizenName,
    today: NaiveDate,
) -> Result<(), IdentityMismatch> {
    if let IdentityEvidence::DocumentShown { expires_on, .. } = evidence
        && *expires_on < today
    {
        return Err(IdentityMismatch::DocumentExpired);
    }
    if evidence.national_id() != booked_id {
        return Err(IdentityMismatch::NationalId);
    }
    if let Some(name) = evidence.name()
        && folded_name(name.as_str()) != folded_name(booked_name.as_str())
    {
        return Err(IdentityMismatch::Name);
    }
    Ok(())
}
