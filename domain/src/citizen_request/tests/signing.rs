//! Given/when/then: identification and signature.

use super::*;
use chrono::NaiveDate;

fn doc_id() -> uuid::Uuid {
    uuid::Uuid::from_u128(0xd0c)
}

fn sig_id() -> uuid::Uuid {
    uuid::Uuid::from_u128(0x516)
}

fn digest() -> String {
    "ab".repeat(32)
}

fn shown(national_id: &str, name: &str, expires_on: NaiveDate) -> IdentityEvidence {
    IdentityEvidence::DocumentShown {
        document: IdentityDocumentKind::Dni,
        national_id: NationalId::parse(national_id).expect("id"),
        name: CitizenName::parse(name).expect("name"),
        expires_on,
    }
}

fn valid_until() -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 1, 1).expect("date")
}

fn verify(evidence: IdentityEvidence) -> CitizenRequestCommand {
    CitizenRequestCommand::VerifyIdentity(VerifyIdentity {
        method: IdentityMethod::DocumentOnCamera,
        evidence,
        verified_by: "staff:clerk-1".into(),
        at: t(9, 2),
    })
}

fn identified() -> CitizenRequestEvent {
    CitizenRequestEvent::IdentityVerified {
        method: IdentityMethod::DocumentOnCamera,
        evidence: shown("12345678Z", "Miren Etxeberria", valid_until()),
        verified_by: "staff:clerk-1".into(),
        verified_at: t(9, 2),
    }
}

fn attached() -> CitizenRequestEvent {
    CitizenRequestEvent::DocumentAttached {
        document_id: doc_id(),
        file_name: "eskabidea.pdf".into(),
        media_type: DocumentMediaType::Pdf,
        size: 1234,
        sha256: digest(),
        object_key: format!("r/{}", doc_id()),
        version_id: "v1".into(),
        retain_until: t(8, 0) + Duration::days(1461),
        uploaded_by: "staff:clerk-1".into(),
        attached_at: t(8, 0),
    }
}

fn request(method: SigningMethod) -> CitizenRequestCommand {
    CitizenRequestCommand::RequestSignature(RequestSignature {
        signature_id: sig_id(),
        kind: SignableKind::Request,
        document: DocumentToSign::Existing(doc_id()),
        addressee: " Udaleko Erregistroa ".into(),
        method,
        code_valid_for: Duration::minutes(10),
        requested_by: "staff:clerk-1".into(),
        at: t(9, 5),
    })
}

fn signer() -> Signer {
    Signer {
        national_id: citizen().national_id,
        name: citizen().name,
    }
}

fn requested(method: SigningMethod) -> CitizenRequestEvent {
    CitizenRequestEvent::SignatureRequested {
        signature_id: sig_id(),
        kind: SignableKind::Request,
        document_id: doc_id(),
        sha256: digest(),
        addressee: "Udaleko Erregistroa".into(),
        signer: signer(),
        method,
        requested_by: "staff:clerk-1".into(),
        code_expires_at: (method == SigningMethod::OneTimeCode).then(|| t(9, 15)),
        requested_at: t(9, 5),
    }
}

fn confirm(code_matches: bool, sha256: String, at: DateTime<Utc>) -> CitizenRequestCommand {
    CitizenRequestCommand::ConfirmSignature(ConfirmSignature {
        signature_id: sig_id(),
        code_matches,
        presented_sha256: sha256,
        seal: "header..signature".into(),
        at,
    })
}

fn rejected(failed_attempts: u8) -> CitizenRequestEvent {
    CitizenRequestEvent::SignatureCodeRejected {
        signature_id: sig_id(),
        failed_attempts,
        locked: failed_attempts >= MAX_CODE_ATTEMPTS,
        at: t(9, 6),
    }
}

fn signed_with_code(failed_attempts: u8, at: DateTime<Utc>) -> CitizenRequestEvent {
    CitizenRequestEvent::DocumentSigned {
        signature_id: sig_id(),
        document_id: doc_id(),
        sha256: digest(),
        signer: signer(),
        evidence: SignatureEvidence::OneTimeCode { failed_attempts },
        seal: "header..signature".into(),
        signed_at: at,
    }
}

fn ready(method: SigningMethod) -> Vec<CitizenRequestEvent> {
    vec![booked(), attached(), identified(), requested(method)]
}

mod identity {
    use super::*;

    #[test]
    fn a_document_matching_the_booking_identifies_the_citizen() {
        Case::with(())
            .given(vec![booked()])
            .when(verify(shown(
                "12345678Z",
                "MIREN  ETXEBERRIA",
                valid_until(),
            )))
            .then_expect_events(vec![CitizenRequestEvent::IdentityVerified {
                method: IdentityMethod::DocumentOnCamera,
                evidence: shown("12345678Z", "MIREN  ETXEBERRIA", valid_until()),
                verified_by: "staff:clerk-1".into(),
                verified_at: t(9, 2),
            }]);
    }

    #[test]
    fn another_dni_is_refused_as_a_mismatch() {
        Case::with(())
            .given(vec![booked()])
            .when(verify(shown(
                "87654321X",
                "Miren Etxeberria",
                valid_until(),
            )))
            .then_expect_error(CitizenRequestError::IdentityMismatch(
                IdentityMismatch::NationalId,
            ));
    }

    #[test]
    fn another_name_is_refused_as_a_mismatch() {
        Case::with(())
            .given(vec![booked()])
            .when(verify(shown(
                "12345678Z",
                "Miren Etxebarria",
                valid_until(),
            )))
            .then_expect_error(CitizenRequestError::IdentityMismatch(
                IdentityMismatch::Name,
            ));
    }

    #[test]
    fn an_expired_document_is_refused() {
        let yesterday = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        Case::with(())
            .given(vec![booked()])
            .when(verify(shown("12345678Z", "Miren Etxeberria", yesterday)))
            .then_expect_error(CitizenRequestError::IdentityMismatch(
                IdentityMismatch::DocumentExpired,
            ));
    }

    #[test]
    fn a_provider_token_cannot_back_a_document_check() {
        let evidence = IdentityEvidence::IdentityProvider {
            issuer: "https://idp".into(),
            subject: "s".into(),
            national_id: citizen().national_id,
            name: None,
            level: None,
            authenticated_at: None,
            token_sha256: digest(),
        };
        Case::with(())
            .given(vec![booked()])
            .when(verify(evidence))
            .then_expect_error(CitizenRequestError::IdentityEvidence);
    }

    #[test]
    fn a_cancelled_case_identifies_no_one() {
        Case::with(())
            .given(vec![booked(), cancelled()])
            .when(verify(shown(
                "12345678Z",
                "Miren Etxeberria",
                valid_until(),
            )))
            .then_expect_error(CitizenRequestError::Cancelled);
    }

    #[test]
    fn names_fold_accents_case_and_punctuation_but_not_letters() {
        assert_eq!(
            folded_name("José  María Pérez-Ruiz"),
            "jose maria perez ruiz"
        );
        assert_eq!(
            folded_name("JOSE MARIA PEREZ RUIZ"),
            "jose maria perez ruiz"
        );
        assert_ne!(folded_name("Ibáñez"), folded_name("Ibanez"));
    }
}

mod signature {
    use super::*;

    #[test]
    fn signing_before_identity_is_verified_is_refused() {
        Case::with(())
            .given(vec![booked(), attached()])
            .when(request(SigningMethod::OneTimeCode))
            .then_expect_error(CitizenRequestError::IdentityNotVerified);
    }

    #[test]
    fn a_request_binds_the_documents_digest_and_the_booked_signer() {
        Case::with(())
            .given(vec![booked(), attached(), identified()])
            .when(request(SigningMethod::OneTimeCode))
            .then_expect_events(vec![requested(SigningMethod::OneTimeCode)]);
    }

    #[test]
    fn a_rejected_document_cannot_be_put_up_for_signature() {
        let review = CitizenRequestEvent::DocumentReviewed {
            document_id: doc_id(),
            accepted: false,
            reason: Some("blurred".into()),
            reviewed_by: "staff:clerk-1".into(),
            reviewed_at: t(8, 30),
        };
        Case::with(())
            .given(vec![booked(), attached(), review, identified()])
            .when(request(SigningMethod::OneTimeCode))
            .then_expect_error(CitizenRequestError::DocumentRejected);
    }

    #[test]
    fn a_prepared_form_is_attached_with_the_request() {
        let document = AttachDocument {
            document_id: doc_id(),
            file_name: "eskabidea.txt".into(),
            media_type: DocumentMediaType::Text,
            size: 300,
            sha256: digest(),
            object_key: format!("r/{}", doc_id()),
            version_id: "v1".into(),
            retain_until: t(9, 5) + Duration::days(1461),
            uploaded_by: "staff:clerk-1".into(),
            at: t(9, 5),
        };
        let form = RequestForm {
            facts: "Etxez aldatu naiz.".into(),
            petition: "Erroldan alta.".into(),
            place: "Vitoria-Gasteiz".into(),
        };
        let command = CitizenRequestCommand::RequestSignature(RequestSignature {
            signature_id: sig_id(),
            kind: SignableKind::Request,
            document: DocumentToSign::Prepared {
                document: Box::new(document.clone()),
                form: form.clone(),
            },
            addressee: "Udaleko Erregistroa".into(),
            method: SigningMethod::OneTimeCode,
            code_valid_for: Duration::minutes(10),
            requested_by: "staff:clerk-1".into(),
            at: t(9, 5),
        });
        let expected_request = requested(SigningMethod::OneTimeCode);
        Case::with(())
            .given(vec![booked(), identified()])
            .when(command.clone())
            .then_expect_events(vec![
                CitizenRequestEvent::DocumentAttached {
                    document_id: document.document_id,
                    file_name: document.file_name.into(),
                    media_type: document.media_type,
                    size: document.size,
                    sha256: document.sha256,
                    object_key: document.object_key,
                    version_id: document.version_id,
                    retain_until: document.retain_until,
                    uploaded_by: document.uploaded_by,
                    attached_at: document.at,
                },
                expected_request,
            ]);
        let empty_petition = match command {
            CitizenRequestCommand::RequestSignature(mut c) => {
                c.document = DocumentToSign::Prepared {
                    document: Box::new(AttachDocument {
                        document_id: uuid::Uuid::from_u128(1),
                        ..match &c.document {
                            DocumentToSign::Prepared { document, .. } => (**document).clone(),
                            DocumentToSign::Existing(_) => unreachable!("prepared above"),
                        }
                    }),
                    form: RequestForm {
                        petition: "  ".into(),
                        ..form
                    },
                };
                CitizenRequestCommand::RequestSignature(c)
            }
            _ => unreachable!("a signature request"),
        };
        Case::with(())
            .given(vec![booked(), identified()])
            .when(empty_petition)
            .then_expect_error(CitizenRequestError::SignatureText {
                field: "petition",
                max: MAX_FORM_TEXT_CHARS,
            });
    }

    #[test]
    fn the_right_code_in_time_signs_the_document() {
        Case::with(())
            .given(ready(SigningMethod::OneTimeCode))
            .when(confirm(true, digest(), t(9, 8)))
            .then_expect_events(vec![signed_with_code(0, t(9, 8))]);
    }

    #[test]
    fn a_wrong_code_is_recorded_and_the_fifth_locks_the_signature() {
        Case::with(())
            .given(ready(SigningMethod::OneTimeCode))
            .when(confirm(false, digest(), t(9, 6)))
            .then_expect_events(vec![rejected(1)]);
        let mut four_wrong = ready(SigningMethod::OneTimeCode);
        four_wrong.extend((1..=4).map(rejected));
        Case::with(())
            .given(four_wrong.clone())
            .when(confirm(false, digest(), t(9, 6)))
            .then_expect_events(vec![rejected(5)]);
        // Four wrong tries still leave the right code working.
        Case::with(())
            .given(four_wrong.clone())
            .when(confirm(true, digest(), t(9, 7)))
            .then_expect_events(vec![signed_with_code(4, t(9, 7))]);
        let mut locked = four_wrong;
        locked.push(rejected(5));
        Case::with(())
            .given(locked)
            .when(confirm(true, digest(), t(9, 7)))
            .then_expect_error(CitizenRequestError::SignatureLocked);
    }

    #[test]
    fn an_expired_code_is_refused_and_counts_no_attempt() {
        Case::with(())
            .given(ready(SigningMethod::OneTimeCode))
            .when(confirm(true, digest(), t(9, 16)))
            .then_expect_error(CitizenRequestError::CodeExpired);
        Case::with(())
            .given(ready(SigningMethod::OneTimeCode))
            .when(confirm(false, digest(), t(9, 16)))
            .then_expect_error(CitizenRequestError::CodeExpired);
    }

    #[test]
    fn a_document_changed_after_the_request_cannot_be_signed() {
        Case::with(())
            .given(ready(SigningMethod::OneTimeCode))
            .when(confirm(true, "cd".repeat(32), t(9, 8)))
            .then_expect_error(CitizenRequestError::DocumentChanged);
    }

    #[test]
    fn a_signed_document_signs_once() {
        let mut signed = ready(SigningMethod::OneTimeCode);
        signed.push(signed_with_code(0, t(9, 8)));
        Case::with(())
            .given(signed.clone())
            .when(confirm(true, digest(), t(9, 9)))
            .then_expect_events(vec![]);
        Case::with(())
            .given(signed)
            .when(confirm(false, digest(), t(9, 9)))
            .then_expect_error(CitizenRequestError::AlreadySigned);
    }

    #[test]
    fn the_clerk_signs_on_behalf_only_with_the_consent_recorded_and_only_when_asked_so() {
        let on_behalf = |version: &str| {
            CitizenRequestCommand::SignOnBehalf(SignOnBehalf {
                signature_id: sig_id(),
                clerk: "staff:clerk-1".into(),
                consent: OnBehalfConsent {
                    wording_version: version.into(),
                    language: Language::Es,
                },
                presented_sha256: digest(),
                seal: "h..s".into(),
                at: t(9, 8),
            })
        };
        Case::with(())
            .given(ready(SigningMethod::ClerkOnBehalf))
            .when(on_behalf("art12-2026-01"))
            .then_expect_events(vec![CitizenRequestEvent::DocumentSigned {
                signature_id: sig_id(),
                document_id: doc_id(),
                sha256: digest(),
                signer: signer(),
                evidence: SignatureEvidence::ClerkOnBehalf {
                    clerk: "staff:clerk-1".into(),
                    consent: OnBehalfConsent {
                        wording_version: "art12-2026-01".into(),
                        language: Language::Es,
                    },
                },
                seal: "h..s".into(),
                signed_at: t(9, 8),
            }]);
        Case::with(())
            .given(ready(SigningMethod::ClerkOnBehalf))
            .when(on_behalf(" "))
            .then_expect_error(CitizenRequestError::SignatureText {
                field: "consent.wording_version",
                max: MAX_WORDING_VERSION_CHARS,
            });
        Case::with(())
            .given(ready(SigningMethod::OneTimeCode))
            .when(on_behalf("art12-2026-01"))
            .then_expect_error(CitizenRequestError::WrongSigningMethod);
        Case::with(())
            .given(ready(SigningMethod::ClerkOnBehalf))
            .when(confirm(true, digest(), t(9, 8)))
            .then_expect_error(CitizenRequestError::WrongSigningMethod);
    }

    #[test]
    fn a_closed_case_signs_nothing() {
        let mut events = ready(SigningMethod::OneTimeCode);
        events.push(closed());
        Case::with(())
            .given(events)
            .when(confirm(true, digest(), t(9, 8)))
            .then_expect_error(CitizenRequestError::Closed);
    }

    #[test]
    fn a_registry_entry_is_recorded_once_and_only_for_a_signed_document() {
        let record = |number| {
            CitizenRequestCommand::RecordRegistryEntry(RecordRegistryEntry {
                signature_id: sig_id(),
                number,
                registered_at: t(9, 9),
            })
        };
        let made = |number| CitizenRequestEvent::RegistryEntryMade {
            signature_id: sig_id(),
            number,
            registered_at: t(9, 9),
        };
        Case::with(())
            .given(ready(SigningMethod::OneTimeCode))
            .when(record(7))
            .then_expect_error(CitizenRequestError::RegistryRecord(
                "only a signed document is registered",
            ));
        let mut signed = ready(SigningMethod::OneTimeCode);
        signed.push(signed_with_code(0, t(9, 8)));
        // A close after the signature does not stop the entry being recorded.
        signed.push(closed());
        Case::with(())
            .given(signed.clone())
            .when(record(7))
            .then_expect_events(vec![made(7)]);
        signed.push(made(7));
        Case::with(())
            .given(signed.clone())
            .when(record(7))
            .then_expect_events(vec![]);
        Case::with(())
            .given(signed)
            .when(record(8))
            .then_expect_error(CitizenRequestError::RegistryRecord(
                "this signature already has another registry number",
            ));
    }

    #[test]
    fn the_form_renders_the_art_66_fields_in_the_case_language() {
        let form = RequestForm {
            facts: "Hechos".into(),
            petition: "Petición".into(),
            place: "Vitoria-Gasteiz".into(),
        };
        let local = t(9, 5).with_timezone(&chrono_tz::Europe::Madrid);
        let es = render_form(
            SignableKind::Complaint,
            &form,
            "Registro General",
            &citizen(),
            Language::Es,
            local,
        );
        assert!(es.starts_with("QUEJA\n"));
        for part in [
            "Persona interesada: Miren Etxeberria",
            "DNI/NIE: 12345678Z",
            "miren@example.org",
            "Hechos y razones:\nHechos",
            "Petición:\nPetición",
            "Lugar y fecha: Vitoria-Gasteiz, 2026-12-02 10:05",
            "Órgano al que se dirige: Registro General",
        ] {
            assert!(es.contains(part), "{part} missing from {es}");
        }
        let eu = render_form(
            SignableKind::Request,
            &form,
            "Erregistroa",
            &citizen(),
            Language::Eu,
            local,
        );
        assert!(eu.starts_with("ESKABIDEA\n") && eu.contains("Interesduna: Miren Etxeberria"));
    }
}
