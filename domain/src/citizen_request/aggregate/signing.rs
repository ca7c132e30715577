//! The identity and signature rules of a case: no signature before the citizen is identified;
//! a signature binds the SHA-256 of the exact bytes prepared; a one-time code works until it
//! expires and for at most [`MAX_CODE_ATTEMPTS`] wrong tries; a clerk signs for the citizen only
//! with the citizen's express consent recorded.

use chrono::{DateTime, Utc};

use super::CitizenRequest;
use crate::citizen_request::commands::{
    ConfirmSignature, DocumentToSign, RecordRegistryEntry, RequestSignature, SignOnBehalf,
    VerifyIdentity,
};
use crate::citizen_request::error::CitizenRequestError;
use crate::citizen_request::events::CitizenRequestEvent;
use crate::citizen_request::identity::check_identity;
use crate::citizen_request::signature::{
    MAX_ADDRESSEE_CHARS, MAX_CODE_ATTEMPTS, MAX_FORM_TEXT_CHARS, MAX_PLACE_CHARS,
    MAX_WORDING_VERSION_CHARS, RequestForm, SignatureEvidence, SignatureRecord, SignatureStatus,
    Signer, SigningMethod, check_text,
};

/// `DocumentSigned` for `signature`: the digest and signer it was asked for, with how it was
/// signed.
fn signed(
    signature: &SignatureRecord,
    evidence: SignatureEvidence,
    seal: String,
    at: DateTime<Utc>,
) -> CitizenRequestEvent {
    CitizenRequestEvent::DocumentSigned {
        signature_id: signature.signature_id,
        document_id: signature.document_id,
        sha256: signature.sha256.clone(),
        signer: signature.signer.clone(),
        evidence,
        seal,
        signed_at: at,
    }
}

/// The council's calendar day of `at`, for document expiry.
fn council_day(at: DateTime<Utc>) -> chrono::NaiveDate {
    at.with_timezone(&chrono_tz::Europe::Madrid).date_naive()
}

impl CitizenRequest {
    pub fn signatures(&self) -> &[SignatureRecord] {
        &self.signatures
    }

    pub fn signature(&self, signature_id: uuid::Uuid) -> Option<&SignatureRecord> {
        self.signatures
            .iter()
            .find(|s| s.signature_id == signature_id)
    }

    /// When the citizen was last identified in this case, and how.
    pub fn identified(&self) -> Option<&super::Identification> {
        self.identity.as_ref()
    }

    pub(super) fn verify_identity(
        &self,
        command: VerifyIdentity,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let booking = self.require_booked()?;
        if !command.evidence.fits(command.method) {
            return Err(CitizenRequestError::IdentityEvidence);
        }
        let citizen = booking
            .citizen
            .known()
            .ok_or(CitizenRequestError::PersonalDataErased)?;
        check_identity(
            &command.evidence,
            &citizen.national_id,
            &citizen.name,
            council_day(command.at),
        )
        .map_err(CitizenRequestError::IdentityMismatch)?;
        Ok(vec![CitizenRequestEvent::IdentityVerified {
            method: command.method,
            evidence: command.evidence,
            verified_by: command.verified_by,
            verified_at: command.at,
        }])
    }

    pub(super) fn request_signature(
        &self,
        command: RequestSignature,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let booking = self.require_booked()?;
        if let Some(existing) = self.signature(command.signature_id) {
            // A retry of the same request (same document and form) writes nothing.
            let same_document = match &command.document {
                DocumentToSign::Existing(id) => *id == existing.document_id,
                DocumentToSign::Prepared { document, .. } => {
                    document.document_id == existing.document_id
                }
            };
            return if same_document && existing.kind == command.kind {
                Ok(vec![])
            } else {
                Err(CitizenRequestError::SignatureExists)
            };
        }
        let form = match &command.document {
            DocumentToSign::Prepared { form, .. } => Some(form),
            DocumentToSign::Existing(_) => None,
        };
        let addressee = self.check_request_signature(&command.addressee, form)?;
        let citizen = booking
            .citizen
            .known()
            .ok_or(CitizenRequestError::PersonalDataErased)?;
        let mut events = Vec::with_capacity(2);
        let (document_id, sha256) = match command.document {
            DocumentToSign::Existing(document_id) => {
                let document = self
                    .document(document_id)
                    .ok_or(CitizenRequestError::DocumentNotFound(document_id))?;
                if document.review.as_ref().is_some_and(|r| !r.accepted) {
                    return Err(CitizenRequestError::DocumentRejected);
                }
                (document_id, document.sha256.clone())
            }
            DocumentToSign::Prepared { document, .. } => {
                let ids = (document.document_id, document.sha256.clone());
                events.extend(self.attach_document(*document)?);
                ids
            }
        };
        let code_expires_at = match command.method {
            SigningMethod::OneTimeCode => Some(command.at + command.code_valid_for),
            SigningMethod::ClerkOnBehalf => None,
        };
        events.push(CitizenRequestEvent::SignatureRequested {
            signature_id: command.signature_id,
            kind: command.kind,
            document_id,
            sha256,
            addressee,
            signer: Signer {
                national_id: citizen.national_id.clone(),
                name: citizen.name.clone(),
            },
            method: command.method,
            requested_by: command.requested_by,
            code_expires_at,
            requested_at: command.at,
        });
        Ok(events)
    }

    /// Whether a signature may be asked for now, with this addressee and (for a document
    /// prepared from the form) these form fields; gives the addressee trimmed. Checked before a
    /// prepared document is stored (stored versions are locked), and again by the command.
    pub fn check_request_signature(
        &self,
        addressee: &str,
        form: Option<&RequestForm>,
    ) -> Result<String, CitizenRequestError> {
        self.require_booked()?;
        if self.identity.is_none() {
            return Err(CitizenRequestError::IdentityNotVerified);
        }
        let addressee = check_text(addressee, MAX_ADDRESSEE_CHARS, false).ok_or(
            CitizenRequestError::SignatureText {
                field: "addressee",
                max: MAX_ADDRESSEE_CHARS,
            },
        )?;
        if let Some(form) = form {
            for (field, text, max, multiline) in [
                ("facts", &form.facts, MAX_FORM_TEXT_CHARS, true),
                ("petition", &form.petition, MAX_FORM_TEXT_CHARS, true),
                ("place", &form.place, MAX_PLACE_CHARS, false),
            ] {
                check_text(text, max, multiline)
                    .ok_or(CitizenRequestError::SignatureText { field, max })?;
            }
            self.check_attach()?;
        }
        Ok(addressee)
    }

    /// The checks every way of signing shares; gives the signature, or `None` when it is
    /// already signed (a retry).
    fn signable(
        &self,
        signature_id: uuid::Uuid,
        method: SigningMethod,
        presented_sha256: &str,
    ) -> Result<Option<&SignatureRecord>, CitizenRequestError> {
        let signature = self
            .signature(signature_id)
            .ok_or(CitizenRequestError::SignatureNotFound(signature_id))?;
        self.require_booked()?;
        if self.identity.is_none() {
            return Err(CitizenRequestError::IdentityNotVerified);
        }
        if signature.method != method {
            return Err(CitizenRequestError::WrongSigningMethod);
        }
        match signature.status {
            SignatureStatus::Locked => return Err(CitizenRequestError::SignatureLocked),
            SignatureStatus::Signed if presented_sha256 == signature.sha256 => return Ok(None),
            SignatureStatus::Signed => return Err(CitizenRequestError::AlreadySigned),
            SignatureStatus::Pending => {}
        }
        if presented_sha256 != signature.sha256 {
            return Err(CitizenRequestError::DocumentChanged);
        }
        Ok(Some(signature))
    }

    pub(super) fn confirm_signature(
        &self,
        command: ConfirmSignature,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let Some(signature) = self.signable(
            command.signature_id,
            SigningMethod::OneTimeCode,
            &command.presented_sha256,
        )?
        else {
            return if command.code_matches {
                Ok(vec![])
            } else {
                Err(CitizenRequestError::AlreadySigned)
            };
        };
        if signature
            .code_expires_at
            .is_none_or(|expires| command.at > expires)
        {
            return Err(CitizenRequestError::CodeExpired);
        }
        if !command.code_matches {
            let failed_attempts = signature.failed_attempts.saturating_add(1);
            return Ok(vec![CitizenRequestEvent::SignatureCodeRejected {
                signature_id: command.signature_id,
                failed_attempts,
                locked: failed_attempts >= MAX_CODE_ATTEMPTS,
                at: command.at,
            }]);
        }
        Ok(vec![signed(
            signature,
            SignatureEvidence::OneTimeCode {
                failed_attempts: signature.failed_attempts,
            },
            command.seal,
            command.at,
        )])
    }

    pub(super) fn sign_on_behalf(
        &self,
        command: SignOnBehalf,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let Some(signature) = self.signable(
            command.signature_id,
            SigningMethod::ClerkOnBehalf,
            &command.presented_sha256,
        )?
        else {
            return Ok(vec![]);
        };
        let mut consent = command.consent;
        consent.wording_version =
            check_text(&consent.wording_version, MAX_WORDING_VERSION_CHARS, false).ok_or(
                CitizenRequestError::SignatureText {
                    field: "consent.wording_version",
                    max: MAX_WORDING_VERSION_CHARS,
                },
            )?;
        Ok(vec![signed(
            signature,
            SignatureEvidence::ClerkOnBehalf {
                clerk: command.clerk,
                consent,
            },
            command.seal,
            command.at,
        )])
    }

    /// Accepted whatever the case's state (the entry was made when the document was signed, a
    /// close may have followed); the same number again writes nothing, another is refused.
    pub(super) fn record_registry_entry(
        &self,
        command: RecordRegistryEntry,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let signature = self
            .signature(command.signature_id)
            .ok_or(CitizenRequestError::SignatureNotFound(command.signature_id))?;
        if signature.status != SignatureStatus::Signed {
            return Err(CitizenRequestError::RegistryRecord(
                "only a signed document is registered",
            ));
        }
        if command.number == 0 {
            return Err(CitizenRequestError::RegistryRecord(
                "registry numbers start at 1",
            ));
        }
        match signature.registry_number {
            Some(number) if number == command.number => Ok(vec![]),
            Some(_) => Err(CitizenRequestError::RegistryRecord(
                "this signature already has another registry number",
            )),
            None => Ok(vec![CitizenRequestEvent::RegistryEntryMade {
                signature_id: command.signature_id,
                number: command.number,
                registered_at: command.registered_at,
            }]),
        }
    }

    /// Applies the identity and signature events.
    pub(super) fn apply_signing(&mut self, event: CitizenRequestEvent) {
        match event {
            CitizenRequestEvent::IdentityVerified {
                method,
                verified_at,
                ..
            } => {
                self.identity = Some(super::Identification {
                    method,
                    verified_at,
                });
            }
            CitizenRequestEvent::SignatureRequested {
                signature_id,
                kind,
                document_id,
                sha256,
                addressee,
                signer,
                method,
                requested_by,
                code_expires_at,
                requested_at,
            } => self.signatures.push(SignatureRecord {
                signature_id,
                kind,
                document_id,
                sha256,
                addressee,
                signer,
                method,
                requested_by,
                requested_at,
                code_expires_at,
                failed_attempts: 0,
                status: SignatureStatus::Pending,
                signed_at: None,
                seal: None,
                registry_number: None,
                registered_at: None,
            }),
            CitizenRequestEvent::SignatureCodeRejected {
                signature_id,
                failed_attempts,
                locked,
                ..
            } => {
                if let Some(s) = self.signature_mut(signature_id) {
                    s.failed_attempts = failed_attempts;
                    if locked {
                        s.status = SignatureStatus::Locked;
                    }
                }
            }
            CitizenRequestEvent::DocumentSigned {
                signature_id,
                seal,
                signed_at,
                ..
            } => {
                if let Some(s) = self.signature_mut(signature_id) {
                    s.status = SignatureStatus::Signed;
                    s.seal = Some(seal);
                    s.signed_at = Some(signed_at);
                }
            }
            CitizenRequestEvent::RegistryEntryMade {
                signature_id,
                number,
                registered_at,
            } => {
                if let Some(s) = self.signature_mut(signature_id) {
                    s.registry_number = Some(number);
                    s.registered_at = Some(registered_at);
                }
            }
            _ => {}
        }
    }

    fn signature_mut(&mut self, signature_id: uuid::Uuid) -> Option<&mut SignatureRecord> {
        self.signatures
            .iter_mut()
            .find(|s| s.signature_id == signature_id)
    }
}
