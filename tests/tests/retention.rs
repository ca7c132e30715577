//! The retention schedule end to end, on a real S3 server with Object Lock (LocalStack's S3,
//! `ARRETA_TEST_S3_ENDPOINT`): with `retention.short_for_tests` a document is locked four
//! seconds and due two seconds after its case ends, so the tests watch it become due, be
//! purged (its version deleted from S3, `DocumentPurged` on the case, reads answering 410) and
//! nothing happen on a second run; a crash between the delete and the record; a lock the store
//! holds longer than the case recorded; a recording file; and `arreta retention report`.
//!
//! Without ARRETA_TEST_S3_ENDPOINT these tests fail, on purpose.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::citizen_request::{
    CitizenRequestCommand, ConsentDecision, ConsentWording, EndCall, Participant, RecordConsent,
    RecordRecordingStored, StartCall, StartRecording, StoredRecording,
};
use domain::metadata::EventMetadata;
use domain::values::Language;
use infrastructure::object_store::s3::{self, S3Config, S3Store};
use infrastructure::object_store::{
    Bucket, BucketPolicy, ByteStream, ObjectStore, PutOptions, Retention, RetentionMode,
    StorageError,
};
use infrastructure::retention::{DueKind, ObjectOutcome, Purger, ShortRetention, ShredOutcome};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{
    TestApp, as_clerk, as_role, book_case, booking_body, s3_endpoint, s3_settings, soon_slot,
    spawn_app_with,
};
use uuid::Uuid;

/// Documents locked 4 s from their upload; everything due 2 s after the case's end.
fn short() -> ShortRetention {
    ShortRetention {
        documents_seconds: 2,
        recordings_seconds: 2,
        case_data_seconds: 2,
        document_lock_seconds: 4,
    }
}

async fn app() -> TestApp {
    let mut settings = s3_settings(s3_endpoint());
    settings.retention.short_for_tests = Some(short());
    let app = spawn_app_with(settings).await;
    app.state
        .objects
        .ensure_buckets()
        .await
        .expect("the test buckets are created");
    app
}

fn purger(app: &TestApp) -> Purger {
    api::server::purger(&app.state).expect("purger")
}

struct Document {
    id: String,
    key: String,
    version: String,
    retain_until: DateTime<Utc>,
}

/// Uploads a small PDF as clerk-01.
async fn upload(app: &TestApp, case: &str) -> Document {
    let response = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{case}/documents"))),
    )
    .query(&[("name", "NAN.pdf")])
    .header("content-type", "application/pdf")
    .body(b"%PDF-1.7\nretention test\n".to_vec())
    .send()
    .await
    .expect("upload sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    let text = |field: &str| body[field].as_str().expect(field).to_string();
    Document {
        // Documents are stored under `<case>/<document>`.
        key: format!("{case}/{}", text("id")),
        id: text("id"),
        version: text("version_id"),
        retain_until: text("retain_until").parse().expect("retain_until"),
    }
}

async fn close(app: &TestApp, case: &str) -> DateTime<Utc> {
    let response = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{case}/close"))),
    )
    .json(&json!({ "outcome": "resolved", "summary": "done" }))
    .send()
    .await
    .expect("close");
    assert_eq!(response.status(), StatusCode::OK);
    Utc::now()
}

async fn sleep_until(time: DateTime<Utc>) {
    let wait = (time - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(300)).await;
}

async fn history_types(app: &TestApp, case: &str) -> Vec<Value> {
    app.get_json_as("auditor", &format!("/v1/requests/{case}/history?limit=200"))
        .await["items"]
        .as_array()
        .expect("history items")
        .clone()
}

async fn purged_events(app: &TestApp, case: &str, event_type: &str) -> Vec<Value> {
    history_types(app, case)
        .await
        .into_iter()
        .filter(|item| item["event_type"] == event_type)
        .collect()
}

/// A booked case with one uploaded document, closed; the document and when it is due.
async fn closed_case_with_document(app: &TestApp) -> (String, Document, DateTime<Utc>) {
    let case = book_case(app, 3).await;
    let document = upload(app, &case).await;
    let closed_at = close(app, &case).await;
    app.db.wait_for_projections().await;
    let due = (closed_at + chrono::Duration::seconds(2)).max(document.retain_until);
    (case, document, due)
}

#[tokio::test]
async fn a_document_is_purged_once_due_recorded_on_the_case_and_then_gone() {
    let app = app().await;
    let (case, document, due) = closed_case_with_document(&app).await;
    let purger = purger(&app);

    // Before it is due: listed as coming, and the purge does nothing.
    let report = purger
        .report(Utc::now() + chrono::Duration::minutes(1))
        .await
        .expect("report");
    let item = report
        .iter()
        .find(|i| i.kind == DueKind::Document)
        .expect("the document is listed");
    assert_eq!(item.request_id.to_string(), case);
    assert_eq!(item.object_key.as_deref(), Some(document.key.as_str()));
    assert_eq!(item.version_id.as_deref(), Some(document.version.as_str()));
    assert!(!item.due, "{item:?}");
    assert!(
        report
            .iter()
            .any(|i| i.kind == DueKind::PersonalData && !i.due),
        "the personal data comes due after the document: {report:?}"
    );
    let early = purger.run().await.expect("purge");
    assert!(early.objects.is_empty(), "{early:?}");
    assert!(early.personal_data.is_empty(), "{early:?}");
    app.state
        .objects
        .stat(Bucket::Documents, &document.key, &document.version)
        .await
        .expect("still stored");

    // Once due: deleted from S3 and recorded.
    sleep_until(due).await;
    let run = purger.run().await.expect("purge");
    assert_eq!(run.objects.len(), 1, "{run:?}");
    assert_eq!(run.objects[0].outcome, ObjectOutcome::Purged);
    assert_eq!(run.objects[0].object_key, document.key);
    let gone = app
        .state
        .objects
        .get(Bucket::Documents, &document.key, &document.version)
        .await;
    assert!(matches!(gone, Err(StorageError::NotFound(_))), "{gone:?}");
    let purged = purged_events(&app, &case, "DocumentPurged").await;
    assert_eq!(purged.len(), 1);
    let payload = &purged[0]["payload"]["DocumentPurged"];
    assert_eq!(payload["document_id"], document.id.as_str());
    assert_eq!(payload["object_key"], document.key.as_str());
    assert_eq!(payload["version_id"], document.version.as_str());
    assert_eq!(purged[0]["metadata"]["actor"], "system:retention-purge");
    // The personal data was due with it: shredded, by erasing the case's key.
    assert_eq!(run.personal_data.len(), 1, "{run:?}");
    assert_eq!(run.personal_data[0].outcome, ShredOutcome::Shredded);
    let shredded = app
        .get_json_as("clerk", &format!("/v1/requests/{case}"))
        .await;
    assert_eq!(shredded["citizen"]["erased"], true, "{shredded}");
    assert_eq!(shredded["citizen"]["national_id"], "");
    assert_eq!(
        purged_events(&app, &case, "PersonalDataErased").await.len(),
        1
    );

    // A read of the document answers 410 in the caller's language, and records no read.
    let read = as_role(
        app.client.get(app.url(&format!(
            "/v1/requests/{case}/documents/{}/content",
            document.id
        ))),
        "auditor",
    )
    .query(&[("why", "annual audit")])
    .header("accept-language", "eu")
    .send()
    .await
    .expect("read");
    assert_eq!(read.status(), StatusCode::GONE);
    let problem: Value = read.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:arreta:problem:document-purged");
    assert_eq!(problem["title"], "Dokumentua ezabatuta");
    assert!(
        purged_events(&app, &case, "DocumentAccessed")
            .await
            .is_empty()
    );
    // The list still shows the document, and when it was purged.
    let listed: Value = as_clerk(
        app.client
            .get(app.url(&format!("/v1/requests/{case}/documents"))),
    )
    .send()
    .await
    .expect("list")
    .json()
    .await
    .expect("json");
    let listed = listed["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .find(|d| d["id"] == document.id.as_str())
        .expect("the purged document is still listed")
        .clone();
    assert!(listed["purged_at"].is_string(), "{listed}");

    // A second run does nothing to the objects, and the report no longer lists the document.
    app.db.wait_for_projections().await;
    let again = purger.run().await.expect("purge again");
    assert!(again.objects.is_empty(), "{again:?}");
    assert_eq!(purged_events(&app, &case, "DocumentPurged").await.len(), 1);
    let report = purger.report(Utc::now()).await.expect("report");
    assert!(
        report
            .iter()
            .all(|i| i.kind == DueKind::PersonalData && i.due),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_version_deleted_but_not_recorded_is_recorded_by_the_next_purge() {
    let app = app().await;
    let (case, document, due) = closed_case_with_document(&app).await;
    sleep_until(due).await;
    // A purge that crashed after its delete: the version is gone, the case does not know.
    app.state
        .objects
        .delete_version(Bucket::Documents, &document.key, &document.version)
        .await
        .expect("deleted by hand");
    assert!(
        purged_events(&app, &case, "DocumentPurged")
            .await
            .is_empty()
    );
    let run = purger(&app).run().await.expect("purge");
    assert_eq!(run.objects.len(), 1, "{run:?}");
    assert!(
        matches!(
            run.objects[0].outcome,
            ObjectOutcome::AlreadyGone | ObjectOutcome::Purged
        ),
        "{run:?}"
    );
    assert_eq!(run.purged(), 1);
    assert_eq!(purged_events(&app, &case, "DocumentPurged").await.len(), 1);
}

#[tokio::test]
async fn a_version_the_store_still_locks_is_reported_and_not_recorded() {
    let app = app().await;
    let (case, document, due) = closed_case_with_document(&app).await;
    // The store's lock outlives what the case recorded (an operator extended it).
    let store = S3Store::from_settings(&app.state.settings.storage).expect("store");
    let longer = Utc::now() + chrono::Duration::minutes(10);
    s3::put_retention(
        &store,
        Bucket::Documents,
        &document.key,
        &document.version,
        Retention {
            mode: RetentionMode::Compliance,
            retain_until: longer,
        },
    )
    .await
    .expect("a COMPLIANCE lock may be extended");
    sleep_until(due).await;
    let run = purger(&app).run().await.expect("purge");
    assert_eq!(run.objects.len(), 1, "{run:?}");
    assert!(
        matches!(run.objects[0].outcome, ObjectOutcome::Locked { retain_until: Some(until) } if until >= longer - chrono::Duration::seconds(1)),
        "the S3 refusal is reported, not hidden: {run:?}"
    );
    assert_eq!(run.purged(), 0);
    assert!(
        purged_events(&app, &case, "DocumentPurged")
            .await
            .is_empty()
    );
    app.state
        .objects
        .stat(Bucket::Documents, &document.key, &document.version)
        .await
        .expect("still stored");
    let report = purger(&app).report(Utc::now()).await.expect("report");
    assert!(
        report.iter().any(|i| i.kind == DueKind::Document && i.due),
        "still listed as due: {report:?}"
    );
}

fn body(bytes: &'static [u8]) -> ByteStream {
    Box::pin(futures::stream::iter([Ok(axum::body::Bytes::from_static(
        bytes,
    ))]))
}

#[tokio::test]
async fn a_recording_file_is_purged_once_due() {
    let app = app().await;
    // A call in progress with consent, recorded through the command bus (no media pipeline).
    let response = app.book(&booking_body("PADRON-ALTA", soon_slot(0))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let case: Uuid = response.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let metadata = EventMetadata::system("retention-test", Utc::now(), Uuid::now_v7());
    let execute = |command: CitizenRequestCommand| {
        let booking = app.state.booking.clone();
        let metadata = metadata.clone();
        async move {
            booking
                .execute(case, command, &metadata, None)
                .await
                .expect("command accepted");
        }
    };
    let (call_id, recording_id) = (Uuid::now_v7(), Uuid::now_v7());
    execute(CitizenRequestCommand::StartCall(StartCall {
        call_id,
        clerk: "staff:clerk-01".into(),
        early_join: chrono::Duration::hours(2),
        at: Utc::now(),
    }))
    .await;
    execute(CitizenRequestCommand::RecordConsent(RecordConsent {
        decision: ConsentDecision::Given,
        wording: ConsentWording {
            version: "test".into(),
            language: Language::Eu,
        },
        by: format!("citizen:{case}"),
        at: Utc::now(),
    }))
    .await;
    execute(CitizenRequestCommand::StartRecording(StartRecording {
        recording_id,
        at: Utc::now(),
    }))
    .await;
    // The recorder never keeps a file less than four years; a store whose policy allows a few
    // seconds puts one with an explicit short lock (which S3 prefers to the bucket's rule).
    let storage = &app.state.settings.storage;
    let short_store = S3Store::new(S3Config {
        policy: BucketPolicy {
            recordings_retention_days: 0,
            documents_retention_days: 1,
            short_documents_lock_seconds: None,
        },
        ..S3Config::from_settings(storage)
    })
    .expect("store");
    let key = format!("{case}/{recording_id}/citizen-1.webm");
    let stored = short_store
        .put(
            Bucket::Recordings,
            &key,
            body(b"\x1a\x45\xdf\xa3 not really webm"),
            PutOptions {
                content_type: Some("video/webm".into()),
                retain_until: Some(Utc::now() + chrono::Duration::seconds(4)),
            },
        )
        .await
        .expect("stored");
    execute(CitizenRequestCommand::RecordRecordingStored(
        RecordRecordingStored {
            recording_id,
            stored: StoredRecording {
                participant: Participant::Citizen,
                object_key: key.clone(),
                version_id: stored.version_id.clone(),
                sha256: stored.sha256.clone(),
                size: stored.size,
                duration_ms: 1000,
                retain_until: stored.retention.retain_until,
                stored_at: Utc::now(),
            },
        },
    ))
    .await;
    execute(CitizenRequestCommand::EndCall(EndCall {
        by: "staff:clerk-01".into(),
        at: Utc::now(),
    }))
    .await;
    let closed_at = close(&app, &case.to_string()).await;
    app.db.wait_for_projections().await;
    let purger = purger(&app);
    let report = purger
        .report(Utc::now() + chrono::Duration::minutes(1))
        .await
        .expect("report");
    assert!(
        report.iter().any(|i| i.kind == DueKind::Recording
            && !i.due
            && i.object_key.as_deref() == Some(key.as_str())),
        "{report:?}"
    );
    sleep_until((closed_at + chrono::Duration::seconds(2)).max(stored.retention.retain_until))
        .await;
    let run = purger.run().await.expect("purge");
    assert_eq!(run.objects.len(), 1, "{run:?}");
    assert_eq!(run.objects[0].kind, DueKind::Recording);
    assert_eq!(run.objects[0].outcome, ObjectOutcome::Purged);
    let gone = app
        .state
        .objects
        .stat(Bucket::Recordings, &key, &stored.version_id)
        .await;
    assert!(matches!(gone, Err(StorageError::NotFound(_))), "{gone:?}");
    let purged = purged_events(&app, &case.to_string(), "RecordingPurged").await;
    assert_eq!(purged.len(), 1);
    assert_eq!(
        purged[0]["payload"]["RecordingPurged"]["object_key"],
        key.as_str()
    );
    // Reading it now answers 410.
    let read = as_role(
        app.client
            .get(app.url(&format!("/v1/recordings/{recording_id}/access"))),
        "auditor",
    )
    .query(&[("key", key.as_str()), ("why", "audit")])
    .send()
    .await
    .expect("read");
    assert_eq!(read.status(), StatusCode::GONE);
}

#[tokio::test]
async fn arreta_retention_report_lists_what_is_coming_due() {
    let app = app().await;
    let (case, document, _) = closed_case_with_document(&app).await;
    let config = tests::write_config(&app.state.settings);
    let output = std::process::Command::new(tests::arreta_binary())
        .args(["retention", "report", "--json"])
        .env("ARRETA_CONFIG", config.path())
        .env("ARRETA_DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("arreta retention report runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["shredding_wired"], true);
    let items = report["items"].as_array().expect("items");
    let document_item = items
        .iter()
        .find(|i| i["kind"] == "document")
        .expect("the document is listed");
    assert_eq!(document_item["request_id"], case.as_str());
    assert_eq!(document_item["object_key"], document.key.as_str());
    assert_eq!(document_item["version_id"], document.version.as_str());
    assert!(document_item["due_at"].is_string());
    assert!(
        items
            .iter()
            .any(|i| i["kind"] == "personal_data" && i["request_id"] == case.as_str())
    );
    // The table says the same.
    let table = std::process::Command::new(tests::arreta_binary())
        .args(["retention", "report"])
        .env("ARRETA_CONFIG", config.path())
        .env("ARRETA_DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("arreta retention report runs");
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(&case) && text.contains("personal data"),
        "{text}"
    );
    assert!(!text.contains("shredding is not wired"), "{text}");
}
