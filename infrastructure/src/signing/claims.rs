//! What a signature's seal covers: the claims, as exact JSON bytes. They are rebuilt from the
//! case's events the same way every time (a fixed field order), so an auditor can export them
//! from the history and check the seal years later.

use chrono::{DateTime, Utc};
use domain::citizen_request::{SignableKind, SignatureRecord, SigningMethod};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::sealing::{SealError, SealingKeys};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureClaims {
    /// The case (citizen request).
    pub case: Uuid,
    pub signature: Uuid,
    pub kind: SignableKind,
    pub document: Uuid,
    /// SHA-256 of the signed document's bytes, lowercase hex.
    pub sha256: String,
    pub signer_national_id: String,
    pub signer_name: String,
    pub method: SigningMethod,
    pub signed_at: DateTime<Utc>,
}

impl SignatureClaims {
    /// The claims of `signature` in case `request_id`, signed at `signed_at`.
    pub fn new(request_id: Uuid, signature: &SignatureRecord, signed_at: DateTime<Utc>) -> Self {
        Self {
            case: request_id,
            signature: signature.signature_id,
            kind: signature.kind,
            document: signature.document_id,
            sha256: signature.sha256.clone(),
            signer_national_id: signature.signer.national_id.as_str().to_string(),
            signer_name: signature.signer.name.as_str().to_string(),
            method: signature.method,
            signed_at,
        }
    }

    /// The claims of a signed signature, as recorded; `None` before it is signed.
    pub fn of_signed(request_id: Uuid, signature: &SignatureRecord) -> Option<Self> {
        signature
            .signed_at
            .map(|at| Self::new(request_id, signature, at))
    }

    /// The exact bytes sealed.
    pub fn payload(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Why a seal, claims and document do not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error("the claims are not the JSON of a signature's claims")]
    Claims,
    #[error("the document's SHA-256 is {actual}, the sealed claims say {sealed}")]
    DocumentDiffers { sealed: String, actual: String },
}

impl VerifyError {
    /// A stable word for the reason, for the api and the command line.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Seal(SealError::Malformed) => "seal_malformed",
            Self::Seal(SealError::Header | SealError::UnknownKey(_)) => "seal_other_key",
            Self::Seal(_) => "claims_altered",
            Self::Claims => "claims_malformed",
            Self::DocumentDiffers { .. } => "document_differs",
        }
    }
}

/// Checks that `seal` was made by one of the council's sealing keys (the one its `kid` names)
/// over exactly `claims`, and that `document` is the one
/// the claims name. Gives the claims when everything holds.
pub fn verify(
    keys: &SealingKeys,
    seal: &str,
    claims: &[u8],
    document: &[u8],
) -> Result<SignatureClaims, VerifyError> {
    keys.verify_detached(seal, claims)?;
    let parsed: SignatureClaims =
        serde_json::from_slice(claims).map_err(|_| VerifyError::Claims)?;
    let actual = hex::encode(Sha256::digest(document));
    if actual != parsed.sha256 {
        return Err(VerifyError::DocumentDiffers {
            sealed: parsed.sha256,
            actual,
        });
    }
    Ok(parsed)
}
