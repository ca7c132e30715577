//! Identity and signature of requests and complaints, end to end over a real PostgreSQL: the
//! citizen identified (document on camera, or the identity provider's ID token), a form rendered
//! and stored, the one-time code mailed through a real SMTP server, the signature sealed, the
//! registry numbering it and mailing the receipt. The documents are kept in the filesystem store
//! here so that a test can change stored bytes behind the api's back, as no WORM store allows.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use infrastructure::booking::BookingService;
use infrastructure::clock::SystemClock;
use infrastructure::mail::TransportKind;
use infrastructure::projector;
use infrastructure::signing::{
    IdentityProviderSettings, RegistryReactor, RegistryRecorder, SigningError, SigningService,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::mail::{ManualClock, Received, SmtpSink};
use tests::{
    TestApp, arreta_binary, as_clerk, book_case, issue_link, open_settings, spawn_app,
    spawn_app_with, write_config,
};
use uuid::Uuid;

/// The identity document shown on camera, matching `tests::booking_body`'s citizen.
fn shown_document() -> Value {
    json!({
        "method": "document_on_camera",
        "document": {
            "kind": "dni",
            "national_id": "12345678z",
            "name": "MIREN ETXEBERRIA RUIZ",
            "expires_on": "2031-06-30"
        }
    })
}

fn form_signature(method: &str) -> Value {
    json!({
        "kind": "request",
        "form": {
            "facts": "Etxez aldatu naiz Gasteizen barruan.",
            "petition": "Erroldako helbidea aldatzea.",
            "place": "Vitoria-Gasteiz"
        },
        "addressee": "Erregistro Orokorra",
        "method": method
    })
}

async fn post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    as_clerk(app.client.post(app.url(path)))
        .json(body)
        .send()
        .await
        .expect("request sent")
}

async fn identify(app: &TestApp, id: &str) {
    let response = post(
        app,
        &format!("/v1/requests/{id}/identity"),
        &shown_document(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK, "identified");
}

/// Prepares a signature and gives its view.
async fn prepare(app: &TestApp, id: &str, body: &Value) -> Value {
    let response = post(app, &format!("/v1/requests/{id}/signatures"), body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "prepared");
    response.json().await.expect("json")
}

async fn confirm_with(
    app: &TestApp,
    id: &str,
    sig: &str,
    token: &str,
    code: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/requests/{id}/signatures/{sig}/confirm")))
        .bearer_auth(token)
        .header("Accept-Language", "es")
        .json(&json!({ "code": code }))
        .send()
        .await
        .expect("confirm sent")
}

/// The code mailed for a signature, derived as the mail composer derives it.
fn code_for(app: &TestApp, id: &str, signature: &Value) -> String {
    let requested_at: DateTime<Utc> = signature["requested_at"]
        .as_str()
        .expect("requested_at")
        .parse()
        .expect("a time");
    app.state.authenticator.one_time_codes().code(
        id.parse().expect("uuid"),
        signature["id"].as_str().expect("id").parse().expect("uuid"),
        requested_at,
    )
}

async fn problem(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.expect("problem json"))
}

/// Runs the registry reactor and recorder until every signed document is on the registry and
/// its entry on the case.
async fn register(app: &TestApp) {
    app.db
        .run_reactor(&RegistryReactor {
            personal: app.db.personal.clone(),
        })
        .await;
    RegistryRecorder {
        pool: app.db.pool.clone(),
        booking: app.state.booking.clone(),
        clock: Arc::new(SystemClock),
        poll: Duration::from_millis(50),
    }
    .run_once()
    .await
    .expect("a registry round");
}

#[tokio::test]
async fn a_citizen_signs_a_form_with_the_mailed_code_and_gets_the_registry_receipt() {
    let sink = SmtpSink::start(&[]);
    let mut settings = open_settings();
    settings.mail.transport = TransportKind::Smtp;
    settings.mail.smtp.host = "127.0.0.1".into();
    settings.mail.smtp.port = sink.port;
    settings.mail.public_url = "https://arreta.example/app".into();
    let app = spawn_app_with(settings).await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let (reactor, sender) = api::server::mail(&app.state, clock.clone())
        .await
        .expect("mail starts");
    let id = book_case(&app, 6).await;
    identify(&app, &id).await;
    let signature = prepare(&app, &id, &form_signature("one_time_code")).await;
    let sig = signature["id"].as_str().expect("id").to_string();
    assert_eq!(signature["status"], "pending");
    assert_eq!(signature["signer_national_id"], "12345678Z");

    // The receipt and the code go out; the code arrives by mail with the sign link.
    app.db.run_reactor(&reactor).await;
    clock.set(Utc::now());
    sender.run_once().await.expect("mail round");
    let mail = sink.wait_for(2, Duration::from_secs(10)).await;
    let code_mail: &Received = mail
        .iter()
        .find(|m| m.kind == "sign_code")
        .expect("the code was mailed");
    assert_eq!(code_mail.content_language, "eu");
    assert!(
        code_mail.subject.starts_with("Sinatzeko kodea"),
        "{}",
        code_mail.subject
    );
    let code_line = code_mail
        .text
        .lines()
        .find(|l| l.starts_with("Kodea:"))
        .expect("a code line");
    let code: String = code_line.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6);
    let marker = format!("/eu/sign/{id}?signature={sig}#");
    let start = code_mail.text.find(&marker).expect("the sign link") + marker.len();
    let token: String = code_mail.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();

    // With the sign link the citizen reads the signature and exactly the document prepared.
    let seen: Value = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/signatures/{sig}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let document_id = seen["document_id"].as_str().expect("document id");
    let bytes = app
        .client
        .get(app.url(&format!(
            "/v1/requests/{id}/documents/{document_id}/content?why=read%20before%20signing"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .expect("content")
        .bytes()
        .await
        .expect("bytes");
    let text = String::from_utf8(bytes.to_vec()).expect("the form is UTF-8 text");
    for part in [
        "ESKABIDEA",
        "Interesduna: Miren Etxeberria Ruiz",
        "NAN/AIZ: 12345678Z",
        "Egitateak eta arrazoiak:\nEtxez aldatu naiz Gasteizen barruan.",
        "Eskaera:\nErroldako helbidea aldatzea.",
        "Tokia eta data: Vitoria-Gasteiz, ",
        "Norentzat: Erregistro Orokorra",
    ] {
        assert!(text.contains(part), "{part:?} missing from\n{text}");
    }
    assert_eq!(
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
        seen["sha256"].as_str().expect("sha256")
    );

    let signed = confirm_with(&app, &id, &sig, &token, &code).await;
    assert_eq!(signed.status(), StatusCode::OK);
    let signed: Value = signed.json().await.expect("json");
    assert_eq!(signed["status"], "signed");
    let seal = signed["seal"].as_str().expect("a seal");
    let claims = signed["claims"].as_str().expect("the claims");
    assert!(seal.contains(".."), "the seal is detached: {seal}");
    let claims_json: Value = serde_json::from_str(claims).expect("claims are JSON");
    assert_eq!(claims_json["case"], json!(id));
    assert_eq!(claims_json["sha256"], seen["sha256"]);
    assert_eq!(claims_json["signer_national_id"], "12345678Z");
    assert_eq!(claims_json["method"], "one_time_code");

    // The registry enters it, the case shows the number, and the receipt is mailed in Basque.
    register(&app).await;
    let listed: Value = as_clerk(
        app.client
            .get(app.url(&format!("/v1/requests/{id}/signatures"))),
    )
    .send()
    .await
    .expect("list")
    .json()
    .await
    .expect("json");
    assert_eq!(listed["signatures"][0]["registry_number"], 1);
    app.db.run_reactor(&reactor).await;
    clock.set(Utc::now());
    sender.run_once().await.expect("mail round");
    let mail = sink.wait_for(3, Duration::from_secs(10)).await;
    let receipt = mail
        .iter()
        .find(|m| m.kind == "registry_receipt")
        .expect("the registry receipt was mailed");
    assert_eq!(receipt.content_language, "eu");
    assert!(
        receipt.subject.contains("Erregistroko egiaztagiria"),
        "{}",
        receipt.subject
    );
    assert!(
        receipt.text.contains("Erregistro-zenbakia: 1"),
        "{}",
        receipt.text
    );
    assert!(receipt.text.contains(seen["sha256"].as_str().expect("sha")));
    app.db.wait_for_projections().await;
    let case = app.get_case(&id).await.json::<Value>().await.expect("json");
    assert_eq!(case["registry_entry"], "1");
}

#[tokio::test]
async fn five_wrong_codes_lock_the_signature_and_each_is_recorded() {
    let app = spawn_app().await;
    let id = book_case(&app, 6).await;
    identify(&app, &id).await;
    let signature = prepare(&app, &id, &form_signature("one_time_code")).await;
    let sig = signature["id"].as_str().expect("id");
    let right = code_for(&app, &id, &signature);
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    let token = issue_link(&app, &id, "sign").await;
    for left in (1..=4).rev() {
        let (status, body) = problem(confirm_with(&app, &id, sig, &token, &wrong).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body["type"].as_str().map(|t| t.ends_with(":wrong-code")),
            Some(true),
            "{body}"
        );
        assert!(
            body["detail"]
                .as_str()
                .expect("detail")
                .contains(&format!("Le quedan {left} intentos")),
            "{body}"
        );
    }
    let (status, body) = problem(confirm_with(&app, &id, sig, &token, &wrong).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["type"]
            .as_str()
            .map(|t| t.ends_with(":wrong-code-locked")),
        Some(true),
        "{body}"
    );
    // Locked: the right code no longer signs, and nothing more is written.
    let before = app.db.event_count().await;
    let (status, body) = problem(confirm_with(&app, &id, sig, &token, &right).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["type"]
            .as_str()
            .map(|t| t.ends_with(":signature-locked")),
        Some(true),
        "{body}"
    );
    assert_eq!(app.db.event_count().await, before);
    let rejected = app
        .db
        .count("SELECT count(*) FROM events WHERE event_type = 'SignatureCodeRejected'")
        .await;
    assert_eq!(rejected, 5);
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE event_type = 'DocumentSigned'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_expired_code_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let id = book_case(&app, 6).await;
    identify(&app, &id).await;
    let signature = prepare(&app, &id, &form_signature("one_time_code")).await;
    let code = code_for(&app, &id, &signature);
    let expires: DateTime<Utc> = signature["code_expires_at"]
        .as_str()
        .expect("expiry")
        .parse()
        .expect("time");
    // The same service, on a clock just past the code's expiry.
    let clock = Arc::new(ManualClock::new(expires + chrono::Duration::seconds(1)));
    let (calendar, catalogue) = app
        .state
        .settings
        .calendar_and_catalogue()
        .expect("calendar");
    let late = SigningService {
        booking: Arc::new(BookingService::new(
            app.db.pool.clone(),
            calendar,
            catalogue,
            clock.clone(),
            app.db.personal.clone(),
        )),
        objects: app.state.objects.clone(),
        sealing: app.state.signing.sealing.clone(),
        codes: app.state.authenticator.one_time_codes().clone(),
        id_tokens: None,
        code_valid_for: chrono::Duration::minutes(10),
    };
    let before = app.db.event_count().await;
    let id_uuid: Uuid = id.parse().expect("uuid");
    let sig: Uuid = signature["id"].as_str().expect("id").parse().expect("uuid");
    let metadata = domain::metadata::EventMetadata::system("test", Utc::now(), Uuid::new_v4());
    match late.confirm_with_code(id_uuid, sig, &code, &metadata).await {
        Err(SigningError::Case(infrastructure::booking::BookingError::Request(
            domain::citizen_request::CitizenRequestError::CodeExpired,
        ))) => {}
        other => panic!("an expired code must be refused, got {other:?}"),
    }
    assert_eq!(app.db.event_count().await, before);
    // Just before expiry the same code signs.
    clock.set(expires - chrono::Duration::seconds(1));
    late.confirm_with_code(id_uuid, sig, &code, &metadata)
        .await
        .expect("signed in time");
}

#[tokio::test]
async fn signing_before_identity_is_verified_is_refused_and_stores_nothing() {
    // A store of the test's own, so that other tests' documents do not count.
    let objects = std::env::temp_dir().join(format!("arreta-objects-{}", Uuid::new_v4()));
    let mut settings = open_settings();
    settings.storage.filesystem_root = Some(objects.clone());
    let app = spawn_app_with(settings).await;
    let id = book_case(&app, 6).await;
    let stored = || walk(&objects).len();
    assert_eq!(stored(), 0);
    let before = app.db.event_count().await;
    let response = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/signatures"))),
    )
    .header("Accept-Language", "eu")
    .json(&form_signature("one_time_code"))
    .send()
    .await
    .expect("sent");
    let (status, body) = problem(response).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["type"]
            .as_str()
            .map(|t| t.ends_with(":identity-not-verified")),
        Some(true),
        "{body}"
    );
    assert_eq!(body["title"], "Identitatea egiaztatu gabe");
    assert_eq!(app.db.event_count().await, before);
    assert_eq!(stored(), 0, "no form was stored");
    let _ = std::fs::remove_dir_all(&objects);
}

#[tokio::test]
async fn an_identification_that_does_not_match_the_booking_is_refused_with_its_reason() {
    let app = spawn_app().await;
    let id = book_case(&app, 6).await;
    let before = app.db.event_count().await;
    for (field, value, slug) in [
        ("national_id", json!("87654321X"), "identity-mismatch"),
        ("name", json!("Miren Etxebarria Ruiz"), "identity-mismatch"),
        (
            "expires_on",
            json!("2020-01-01"),
            "identity-document-expired",
        ),
    ] {
        let mut body = shown_document();
        body["document"][field] = value;
        let response = as_clerk(
            app.client
                .post(app.url(&format!("/v1/requests/{id}/identity"))),
        )
        .header("Accept-Language", "es")
        .json(&body)
        .send()
        .await
        .expect("sent");
        let (status, problem) = problem(response).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(
            problem["type"]
                .as_str()
                .map(|t| t.ends_with(&format!(":{slug}"))),
            Some(true),
            "{problem}"
        );
    }
    assert_eq!(
        app.db.event_count().await,
        before,
        "a refusal writes nothing"
    );
}

/// An identity provider of the test's own: an Ed25519 key whose public half the api trusts.
struct Provider {
    key: jsonwebtoken::EncodingKey,
    settings: IdentityProviderSettings,
    _public: tests::tempfile_path::TempFile,
}

fn provider() -> Provider {
    let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let private = key.to_pkcs8_pem(LineEnding::LF).expect("pem");
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("public pem");
    let file = tests::tempfile_path::TempFile::with_content("idp", ".pem", &public);
    Provider {
        key: jsonwebtoken::EncodingKey::from_ed_pem(private.as_bytes()).expect("key"),
        settings: IdentityProviderSettings {
            issuer: "https://idp.vitoria-gasteiz.eus".into(),
            audience: "arreta".into(),
            public_keys: vec![file.path().to_path_buf()],
            jwks_file: None,
            national_id_claim: "national_id".into(),
            method_claim: "acr".into(),
            clave: vec!["clave".into()],
            bakq: vec!["bakq".into()],
            certificate: vec!["cert".into()],
            max_age_seconds: 600,
            leeway_seconds: 5,
        },
        _public: file,
    }
}

impl Provider {
    fn id_token(&self, national_id: &str, issued: DateTime<Utc>) -> String {
        let claims = json!({
            "iss": self.settings.issuer, "aud": "arreta", "sub": "cl@ve-1234",
            "iat": issued.timestamp(), "exp": Utc::now().timestamp() + 300,
            "acr": "bakq", "national_id": national_id, "name": "Miren Etxeberria Ruiz",
        });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA),
            &claims,
            &self.key,
        )
        .expect("token")
    }
}

#[tokio::test]
async fn the_identity_providers_token_identifies_the_citizen_when_it_verifies_and_matches() {
    let idp = provider();
    let mut settings = open_settings();
    settings.signing.identity_provider = Some(idp.settings.clone());
    let app = spawn_app_with(settings).await;
    let id = book_case(&app, 6).await;
    let path = format!("/v1/requests/{id}/identity");
    let with = |token: String| json!({ "method": "identity_provider", "id_token": token });
    let before = app.db.event_count().await;
    for (token, slug) in [
        (idp.id_token("87654321X", Utc::now()), "identity-mismatch"),
        (
            idp.id_token("12345678Z", Utc::now() - chrono::Duration::hours(2)),
            "id-token-stale",
        ),
        (
            provider().id_token("12345678Z", Utc::now()),
            "id-token-invalid",
        ),
    ] {
        let (status, body) = problem(post(&app, &path, &with(token)).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            body["type"]
                .as_str()
                .map(|t| t.ends_with(&format!(":{slug}"))),
            Some(true),
            "{body}"
        );
    }
    assert_eq!(app.db.event_count().await, before);
    let response = post(&app, &path, &with(idp.id_token("12345678Z", Utc::now()))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let evidence: Value =
        sqlx::query_scalar("SELECT payload FROM events WHERE event_type = 'IdentityVerified'")
            .fetch_one(&app.db.pool)
            .await
            .expect("the identification is recorded");
    let verified = &evidence["IdentityVerified"];
    assert_eq!(verified["method"], "bakq");
    assert_eq!(verified["evidence"]["source"], "identity_provider");
    assert_eq!(verified["evidence"]["subject"], "cl@ve-1234");
    assert_eq!(verified["evidence"]["national_id"], "12345678Z");
    // Without a provider configured the method is unavailable, not silently accepted.
    let plain = spawn_app().await;
    let other = book_case(&plain, 6).await;
    let (status, _) = problem(
        post(
            &plain,
            &format!("/v1/requests/{other}/identity"),
            &with(idp.id_token("12345678Z", Utc::now())),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_document_changed_after_the_request_cannot_be_signed() {
    let app = spawn_app().await;
    let id = book_case(&app, 6).await;
    identify(&app, &id).await;
    let signature = prepare(&app, &id, &form_signature("one_time_code")).await;
    let sig = signature["id"].as_str().expect("id");
    // The filesystem store keeps each version as `<version>.bin` under the key's directory: the
    // test changes one byte there, as an intruder on a store without WORM could.
    let root = app
        .state
        .settings
        .storage
        .filesystem_root(&app.state.settings.auth.data_dir);
    let document = app
        .state
        .booking
        .load(id.parse().expect("uuid"))
        .await
        .expect("case")
        .0
        .document(
            signature["document_id"]
                .as_str()
                .expect("doc")
                .parse()
                .expect("uuid"),
        )
        .cloned()
        .expect("the prepared document");
    let stored = walk(&root)
        .into_iter()
        .find(|p| {
            p.file_name().and_then(|n| n.to_str()) == Some(&format!("{}.bin", document.version_id))
        })
        .expect("the stored version");
    let mut bytes = std::fs::read(&stored).expect("read");
    bytes[0] ^= 0x20;
    std::fs::write(&stored, &bytes).expect("write");
    let token = issue_link(&app, &id, "sign").await;
    let code = code_for(&app, &id, &signature);
    let before = app.db.event_count().await;
    let (status, body) = problem(confirm_with(&app, &id, sig, &token, &code).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["type"]
            .as_str()
            .map(|t| t.ends_with(":document-changed")),
        Some(true),
        "{body}"
    );
    assert_eq!(app.db.event_count().await, before);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn the_seal_detects_one_changed_byte_of_the_document_or_of_the_claims() {
    let app = spawn_app().await;
    let id = book_case(&app, 6).await;
    identify(&app, &id).await;
    let signature = prepare(&app, &id, &form_signature("clerk_on_behalf")).await;
    let sig = signature["id"].as_str().expect("id");
    let signed = post(
        &app,
        &format!("/v1/requests/{id}/signatures/{sig}/confirm"),
        &json!({ "consent": { "wording_version": "art12-2026-01", "language": "eu" } }),
    )
    .await;
    assert_eq!(signed.status(), StatusCode::OK);
    let signed: Value = signed.json().await.expect("json");
    let seal = signed["seal"].as_str().expect("seal").to_string();
    let claims = signed["claims"].as_str().expect("claims").to_string();
    let document = as_clerk(app.client.get(app.url(&format!(
        "/v1/requests/{id}/documents/{}/content?why=verify%20seal",
        signed["document_id"].as_str().expect("doc")
    ))))
    .send()
    .await
    .expect("content")
    .bytes()
    .await
    .expect("bytes")
    .to_vec();
    let verify = |claims: &str, document: &[u8]| {
        let body = json!({
            "seal": seal,
            "claims": claims,
            "document": base64::engine::general_purpose::STANDARD.encode(document),
        });
        let request = as_clerk(app.client.post(app.url("/v1/seals/verify"))).json(&body);
        async move {
            let response = request.send().await.expect("verify");
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.expect("json")
        }
    };
    let holds = verify(&claims, &document).await;
    assert_eq!(holds["valid"], true, "{holds}");
    assert_eq!(holds["claims"]["signature"], json!(sig));
    for i in [0, document.len() / 2, document.len() - 1] {
        let mut changed = document.clone();
        changed[i] ^= 0x01;
        let verdict = verify(&claims, &changed).await;
        assert_eq!(
            (verdict["valid"].clone(), verdict["reason"].clone()),
            (json!(false), json!("document_differs")),
            "byte {i}"
        );
    }
    for i in 0..claims.len() {
        let mut changed = claims.clone().into_bytes();
        changed[i] ^= 0x01;
        let Ok(changed) = String::from_utf8(changed) else {
            continue;
        };
        let verdict = verify(&changed, &document).await;
        assert_eq!(
            verdict["valid"], false,
            "claims byte {i} changed: {changed}"
        );
        assert_eq!(verdict["reason"], "claims_altered", "claims byte {i}");
    }

    // The same check from the command line, as an auditor would run it.
    let dir = std::env::temp_dir().join(format!("arreta-seal-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("seal.jws"), &seal).expect("seal");
    std::fs::write(dir.join("claims.json"), &claims).expect("claims");
    std::fs::write(dir.join("document.txt"), &document).expect("document");
    let mut tampered = document.clone();
    tampered[3] ^= 0x01;
    std::fs::write(dir.join("tampered.txt"), &tampered).expect("tampered");
    let config = write_config(&app.state.settings);
    let run = |document: &str| {
        std::process::Command::new(arreta_binary())
            .args(["signature", "verify", "--seal"])
            .arg(dir.join("seal.jws"))
            .arg("--claims")
            .arg(dir.join("claims.json"))
            .arg("--document")
            .arg(dir.join(document))
            .env("ARRETA_CONFIG", config.path())
            .output()
            .expect("arreta runs")
    };
    let good = run("document.txt");
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(String::from_utf8_lossy(&good.stdout).contains("\"valid\":true"));
    let bad = run("tampered.txt");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("document_differs"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn fifty_concurrent_signatures_get_fifty_consecutive_registry_numbers() {
    let app = spawn_app().await;
    let mut prepared = Vec::new();
    for day in 0..50 {
        let id = book_case(&app, 6 + day).await;
        identify(&app, &id).await;
        let signature = prepare(&app, &id, &form_signature("clerk_on_behalf")).await;
        prepared.push((id, signature["id"].as_str().expect("id").to_string()));
    }
    // Two registry reactors race the signatures, as two api replicas would.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let reactors: Vec<_> = (0..2)
        .map(|_| {
            projector::ProjectorRunner {
                pool: app.db.pool.clone(),
                personal: app.db.personal.clone(),
                projectors: vec![Arc::new(RegistryReactor {
                    personal: app.db.personal.clone(),
                })],
                batch: 7,
                poll: Duration::from_millis(10),
            }
            .spawn(stopped.clone())
        })
        .collect();
    let signing: Vec<_> = prepared
        .iter()
        .map(|(id, sig)| {
            let request = as_clerk(
                app.client
                    .post(app.url(&format!("/v1/requests/{id}/signatures/{sig}/confirm"))),
            )
            .json(&json!({ "consent": { "wording_version": "art12-2026-01", "language": "es" } }));
            tokio::spawn(async move { request.send().await.expect("confirm").status() })
        })
        .collect();
    for task in signing {
        assert_eq!(task.await.expect("task"), StatusCode::OK);
    }
    app.db.wait_for_checkpoints(&["registry"]).await;
    let _ = stop.send(true);
    for reactor in reactors {
        reactor.await.expect("reactor stops");
    }
    register(&app).await;
    let numbers: Vec<(i64, Uuid)> =
        sqlx::query_as("SELECT number, signature_id FROM registry_entries ORDER BY number")
            .fetch_all(&app.db.pool)
            .await
            .expect("entries");
    assert_eq!(
        numbers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        (1..=50).collect::<Vec<i64>>(),
        "50 distinct numbers without gaps"
    );
    // Each case carries its own number, the one the registry gave its signature.
    for (id, sig) in &prepared {
        let case = app
            .state
            .booking
            .load(id.parse().expect("uuid"))
            .await
            .expect("case")
            .0;
        let record = case
            .signature(sig.parse().expect("uuid"))
            .expect("signature");
        let entry = numbers
            .iter()
            .find(|(_, s)| s.to_string() == *sig)
            .expect("an entry");
        assert_eq!(record.registry_number, Some(entry.0 as u64));
    }
    // A replay of the whole log (a lost checkpoint, a restore) numbers nothing twice, and the
    // recorder finds nothing left to record.
    sqlx::query("DELETE FROM projector_checkpoints WHERE projector = 'registry'")
        .execute(&app.db.pool)
        .await
        .expect("checkpoint reset");
    register(&app).await;
    let replayed: Vec<(i64, Uuid)> =
        sqlx::query_as("SELECT number, signature_id FROM registry_entries ORDER BY number")
            .fetch_all(&app.db.pool)
            .await
            .expect("entries");
    assert_eq!(replayed, numbers);
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE event_type = 'RegistryEntryMade'")
            .await,
        50
    );
    // Entries are fixed: neither changed nor deleted.
    assert!(
        sqlx::query("UPDATE registry_entries SET addressee = 'x' WHERE number = 1")
            .execute(&app.db.pool)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM registry_entries WHERE number = 50")
            .execute(&app.db.pool)
            .await
            .is_err()
    );
}
