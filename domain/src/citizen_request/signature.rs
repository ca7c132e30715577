//! Signing a request or complaint (Ley 39/2015, arts. 11-12 and 66): what is signed, how, and
//! the request form whose fields art. 66 names.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::events::Citizen;
use crate::values::{CitizenName, Language, NationalId};

/// Wrong one-time codes a signature takes before it is locked.
pub const MAX_CODE_ATTEMPTS: u8 = 5;
/// Longest addressee (the body the request is addressed to), in characters.
pub const MAX_ADDRESSEE_CHARS: usize = 200;
/// Longest place, in characters.
pub const MAX_PLACE_CHARS: usize = 100;
/// Longest facts and reasons, or petition, in characters.
pub const MAX_FORM_TEXT_CHARS: usize = 4000;
/// Longest wording version of the consent to sign on the citizen's behalf.
pub const MAX_WORDING_VERSION_CHARS: usize = 40;

/// What is being signed: a request (solicitud) or a complaint (queja).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignableKind {
    Request,
    Complaint,
}

impl SignableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Complaint => "complaint",
        }
    }
}

/// How the citizen signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningMethod {
    /// Through the sign link, with a one-time code sent by email.
    OneTimeCode,
    /// By the clerk on the citizen's behalf, with the citizen's express consent (art. 12.2).
    ClerkOnBehalf,
}

impl SigningMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneTimeCode => "one_time_code",
            Self::ClerkOnBehalf => "clerk_on_behalf",
        }
    }
}

/// Who signs: the identified citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    pub national_id: NationalId,
    pub name: CitizenName,
}

/// The citizen's express consent to the clerk signing for them, as shown and answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnBehalfConsent {
    /// The version of the wording the citizen was read or shown.
    pub wording_version: String,
    pub language: Language,
}

/// What the signature rests on, besides the identification before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum SignatureEvidence {
    /// The code mailed for this signature was typed back through the sign link.
    OneTimeCode { failed_attempts: u8 },
    /// The clerk signed for the citizen, who consented expressly.
    ClerkOnBehalf {
        clerk: String,
        consent: OnBehalfConsent,
    },
}

/// Where a signature stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    Pending,
    Signed,
    /// Too many wrong codes: it cannot be signed any more; the clerk prepares a new one.
    Locked,
}

impl SignatureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Signed => "signed",
            Self::Locked => "locked",
        }
    }
}

/// A signature as the case knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureRecord {
    pub signature_id: uuid::Uuid,
    pub kind: SignableKind,
    pub document_id: uuid::Uuid,
    pub sha256: String,
    pub addressee: String,
    pub signer: Signer,
    pub method: SigningMethod,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub code_expires_at: Option<DateTime<Utc>>,
    pub failed_attempts: u8,
    pub status: SignatureStatus,
    pub signed_at: Option<DateTime<Utc>>,
    pub seal: Option<String>,
    pub registry_number: Option<u64>,
    pub registered_at: Option<DateTime<Utc>>,
}

/// The fields art. 66 asks of a request, besides the interested party (the booked citizen) and
/// the date (the time of preparing it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestForm {
    /// Facts, reasons and, for a complaint, what happened.
    pub facts: String,
    /// What is asked for.
    pub petition: String,
    /// Where it is made.
    pub place: String,
}

/// The text form of a prepared request or complaint, in the case's language: the bytes the
/// citizen signs. Plain UTF-8 text so that anyone can read exactly what was signed, years later,
/// without a renderer.
pub fn render_form(
    kind: SignableKind,
    form: &RequestForm,
    addressee: &str,
    party: &Citizen,
    language: Language,
    local: DateTime<Tz>,
) -> String {
    let (title, labels) = match (language, kind) {
        (Language::Eu, SignableKind::Request) => ("ESKABIDEA", EU_LABELS),
        (Language::Eu, SignableKind::Complaint) => ("KEXA", EU_LABELS),
        (Language::Es, SignableKind::Request) => ("SOLICITUD", ES_LABELS),
        (Language::Es, SignableKind::Complaint) => ("QUEJA", ES_LABELS),
    };
    let [party_l, id_l, mail_l, facts_l, petition_l, place_l, to_l] = labels;
    format!(
        "{title}\n\n{party_l}: {}\n{id_l}: {}\n{mail_l}: {}\n\n{facts_l}:\n{}\n\n{petition_l}:\n{}\n\n{place_l}: {}, {}\n\n{to_l}: {addressee}\n",
        party.name.as_str(),
        party.national_id.as_str(),
        party.email.as_str(),
        form.facts.trim(),
        form.petition.trim(),
        form.place.trim(),
        local.format("%Y-%m-%d %H:%M"),
    )
}

const EU_LABELS: [&str; 7] = [
    "Interesduna",
    "NAN/AIZ",
    "Jakinarazpenetarako helbide elektronikoa",
    "Egitateak eta arrazoiak",
    "Eskaera",
    "Tokia eta data",
    "Norentzat",
];
const ES_LABELS: [&str; 7] = [
    "Persona interesada",
    "DNI/NIE",
    "Correo electrónico a efectos de notificaciones",
    "Hechos y razones",
    "Petición",
    "Lugar y fecha",
    "Órgano al que se dirige",
];

/// A text of `1..=max` characters without control characters other than line breaks (and tabs,
/// in long texts), trimmed.
pub fn check_text(text: &str, max: usize, multiline: bool) -> Option<String> {
    let trimmed = text.trim();
    let chars = trimmed.chars().count();
    let allowed = |c: char| !c.is_control() || (multiline && (c == '\n' || c == '\t'));
    (chars > 0 && chars <= max && trimmed.chars().all(allowed)).then(|| trimmed.to_string())
}
