//! Identification and signing as the api asks for them: the checks that need secrets, keys or
//! stored bytes happen here (an ID token's signature, the one-time code, the document's digest
//! read back from storage, the seal), then the case decides.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::citizen_request::{
    AttachDocument, CitizenRequest, CitizenRequestCommand, CitizenRequestEvent, ConfirmSignature,
    DocumentMediaType, DocumentToSign, IdentityEvidence, IdentityMethod, OnBehalfConsent,
    RequestForm, RequestSignature, SignOnBehalf, SignableKind, SignatureRecord, SigningMethod,
    VerifyIdentity, render_form,
};
use domain::metadata::EventMetadata;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::claims::SignatureClaims;
use super::identity_provider::{IdTokenError, IdTokenVerifier};
use crate::booking::{BookingError, BookingService, CaseState};
use crate::object_store::hashing::bytes_stream;
use crate::object_store::{Bucket, ObjectStore, PutOptions, StorageError};
use crate::sealing::{SealError, SealingKeys};
use crate::tokens::OneTimeCodes;

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Case(#[from] BookingError),
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
    /// The code was wrong; the attempt is recorded.
    #[error("wrong code; {remaining} attempts left")]
    WrongCode { remaining: u8 },
    /// The code was wrong once too often; the signature is now locked.
    #[error("wrong code; the signature is now locked")]
    LockedNow,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// How the clerk identified the citizen.
#[derive(Debug, Clone)]
pub enum IdentityInput {
    /// Evidence read off a document shown on camera.
    DocumentShown(IdentityEvidence),
    /// An ID token from the council's identity provider.
    IdToken(String),
}

/// The document a new signature is for.
#[derive(Debug, Clone)]
pub enum SignableSource {
    Existing(Uuid),
    Form(RequestForm),
}

#[derive(Debug, Clone)]
pub struct NewSignature {
    pub signature_id: Uuid,
    pub kind: SignableKind,
    pub source: SignableSource,
    pub addressee: String,
    pub method: SigningMethod,
}

pub struct SigningService {
    pub booking: Arc<BookingService>,
    pub objects: Arc<dyn ObjectStore>,
    pub sealing: SealingKeys,
    pub codes: OneTimeCodes,
    pub id_tokens: Option<IdTokenVerifier>,
    pub code_valid_for: chrono::Duration,
}

impl SigningService {
    pub async fn verify_identity(
        &self,
        request_id: Uuid,
        input: IdentityInput,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<CaseState, SigningError> {
        let now = self.booking.now();
        let (method, evidence) = match input {
            IdentityInput::DocumentShown(evidence) => (IdentityMethod::DocumentOnCamera, evidence),
            IdentityInput::IdToken(token) => self
                .id_tokens
                .as_ref()
                .ok_or(IdTokenError::NotConfigured)?
                .verify(&token, now)?,
        };
        let command = CitizenRequestCommand::VerifyIdentity(VerifyIdentity {
            method,
            evidence,
            verified_by: metadata.actor.clone(),
            at: now,
        });
        let (state, _) = self
            .booking
            .execute(request_id, command, metadata, expected)
            .await?;
        Ok(state)
    }

    /// Prepares a signature. A form is rendered in the case's language and stored in the
    /// documents bucket first (its id derives from the signature's, so a retry stores nothing
    /// new under another id), after the case has said it would accept it.
    pub async fn request(
        &self,
        request_id: Uuid,
        new: NewSignature,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<CaseState, SigningError> {
        let (case, _) = self.booking.load(request_id).await?;
        let now = self.booking.now();
        let document = match &new.source {
            SignableSource::Existing(id) => DocumentToSign::Existing(*id),
            SignableSource::Form(form) => DocumentToSign::Prepared {
                document: Box::new(
                    self.prepare_form(request_id, &case, &new, form, metadata, now)
                        .await?,
                ),
                form: form.clone(),
            },
        };
        let command = CitizenRequestCommand::RequestSignature(RequestSignature {
            signature_id: new.signature_id,
            kind: new.kind,
            document,
            addressee: new.addressee,
            method: new.method,
            code_valid_for: self.code_valid_for,
            requested_by: metadata.actor.clone(),
            at: now,
        });
        let (state, _) = self
            .booking
            .execute(request_id, command, metadata, expected)
            .await?;
        Ok(state)
    }

    async fn prepare_form(
        &self,
        request_id: Uuid,
        case: &CitizenRequest,
        new: &NewSignature,
        form: &RequestForm,
        metadata: &EventMetadata,
        now: DateTime<Utc>,
    ) -> Result<AttachDocument, SigningError> {
        case.check_request_signature(&new.addressee, Some(form))
            .map_err(BookingError::Request)?;
        let booking = case.booking().ok_or(BookingError::Request(
            domain::citizen_request::CitizenRequestError::NotBooked,
        ))?;
        let citizen = booking.citizen.known().ok_or(BookingError::Request(
            domain::citizen_request::CitizenRequestError::PersonalDataErased,
        ))?;
        let timezone = self.booking.calendar().timezone;
        let text = render_form(
            new.kind,
            form,
            new.addressee.trim(),
            citizen,
            booking.language,
            now.with_timezone(&timezone),
        );
        let document_id = Uuid::new_v5(&new.signature_id, b"form");
        let stored = self
            .objects
            .put(
                Bucket::Documents,
                &format!("{request_id}/{document_id}"),
                bytes_stream(text.into_bytes()),
                PutOptions {
                    content_type: Some(DocumentMediaType::Text.mime().to_string()),
                    retain_until: crate::documents::retention(&self.booking, case),
                },
            )
            .await?;
        let name = match (booking.language, new.kind) {
            (domain::values::Language::Eu, SignableKind::Request) => "eskabidea.txt",
            (domain::values::Language::Eu, SignableKind::Complaint) => "kexa.txt",
            (domain::values::Language::Es, SignableKind::Request) => "solicitud.txt",
            (domain::values::Language::Es, SignableKind::Complaint) => "queja.txt",
        };
        Ok(AttachDocument {
            document_id,
            file_name: name.to_string(),
            media_type: DocumentMediaType::Text,
            size: stored.size,
            sha256: stored.sha256,
            object_key: stored.key,
            version_id: stored.version_id,
            retain_until: stored.retention.retain_until,
            uploaded_by: metadata.actor.clone(),
            at: now,
        })
    }

    /// The SHA-256 of the document as stored now, read back whole.
    async fn stored_digest(
        &self,
        case: &CitizenRequest,
        document_id: Uuid,
    ) -> Result<String, SigningError> {
        let document = case.document(document_id).ok_or(BookingError::Request(
            domain::citizen_request::CitizenRequestError::DocumentNotFound(document_id),
        ))?;
        let mut object = self
            .objects
            .get(
                Bucket::Documents,
                &document.object_key,
                &document.version_id,
            )
            .await?;
        let mut hasher = Sha256::new();
        while let Some(chunk) = object.body.next().await {
            hasher.update(chunk.map_err(StorageError::Body)?);
        }
        Ok(hex::encode(hasher.finalize()))
    }

    /// The signature and what confirming it needs: the document's digest as stored now and the
    /// seal over the claims at `now`.
    async fn prepare_confirmation(
        &self,
        request_id: Uuid,
        signature_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(SignatureRecord, String, String), SigningError> {
        let (case, _) = self.booking.load(request_id).await?;
        let signature = case
            .signature(signature_id)
            .cloned()
            .ok_or(BookingError::Request(
                domain::citizen_request::CitizenRequestError::SignatureNotFound(signature_id),
            ))?;
        let digest = self.stored_digest(&case, signature.document_id).await?;
        let seal = self
            .sealing
            .seal_detached(&SignatureClaims::new(request_id, &signature, now).payload())?;
        Ok((signature, digest, seal))
    }

    /// The citizen signs with the mailed code. A wrong code is recorded before it is refused.
    pub async fn confirm_with_code(
        &self,
        request_id: Uuid,
        signature_id: Uuid,
        code: &str,
        metadata: &EventMetadata,
    ) -> Result<CaseState, SigningError> {
        let now = self.booking.now();
        let (signature, presented_sha256, seal) = self
            .prepare_confirmation(request_id, signature_id, now)
            .await?;
        let code_matches =
            self.codes
                .matches(code, request_id, signature_id, signature.requested_at);
        let command = CitizenRequestCommand::ConfirmSignature(ConfirmSignature {
            signature_id,
            code_matches,
            presented_sha256,
            seal,
            at: now,
        });
        let (state, events) = self
            .booking
            .execute(request_id, command, metadata, None)
            .await?;
        for event in &events {
            if let CitizenRequestEvent::SignatureCodeRejected {
                failed_attempts,
                locked,
                ..
            } = event
            {
                return Err(if *locked {
                    SigningError::LockedNow
                } else {
                    SigningError::WrongCode {
                        remaining: domain::citizen_request::MAX_CODE_ATTEMPTS
                            .saturating_sub(*failed_attempts),
                    }
                });
            }
        }
        Ok(state)
    }

    /// The clerk signs for the citizen, who consented expressly.
    pub async fn sign_on_behalf(
        &self,
        request_id: Uuid,
        signature_id: Uuid,
        consent: OnBehalfConsent,
        metadata: &EventMetadata,
    ) -> Result<CaseState, SigningError> {
        let now = self.booking.now();
        let (_, presented_sha256, seal) = self
            .prepare_confirmation(request_id, signature_id, now)
            .await?;
        let command = CitizenRequestCommand::SignOnBehalf(SignOnBehalf {
            signature_id,
            clerk: metadata.actor.clone(),
            consent,
            presented_sha256,
            seal,
            at: now,
        });
        let (state, _) = self
            .booking
            .execute(request_id, command, metadata, None)
            .await?;
        Ok(state)
    }
}
