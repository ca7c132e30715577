//! The case's private document space against a real S3 server with Object Lock (LocalStack's
//! S3, started by scripts/test.sh, which exports ARRETA_TEST_S3_ENDPOINT): uploads through the
//! citizen's link, the refusals (links, size, type), storage outages, reviews and recorded reads.
//! Every test has its own buckets and its own database.
//!
//! Without ARRETA_TEST_S3_ENDPOINT these tests fail, on purpose.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use domain::capability::Purpose;
use futures::StreamExt;
use infrastructure::config::Settings;
use infrastructure::object_store::{Bucket, RetentionMode};
use infrastructure::tokens::CapabilityKeys;
use rand::RngCore;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tests::{
    CuttableProxy, TestApp, as_clerk, as_role, book_case as book, issue_link as link,
    open_settings, s3_endpoint as endpoint, s3_settings, spawn_app_with, test_keys, unique,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: usize = 1024 * 1024;

/// The api over its own database and buckets, the buckets created.
async fn s3_app_with(settings: Settings) -> TestApp {
    let app = spawn_app_with(settings).await;
    app.state
        .objects
        .ensure_buckets()
        .await
        .expect("the test buckets are created");
    app
}

async fn s3_app() -> TestApp {
    s3_app_with(s3_settings(endpoint())).await
}

/// Every object version in the app's documents bucket, straight from S3.
async fn stored_versions(app: &TestApp) -> Vec<(String, Option<String>)> {
    let storage = &app.state.settings.storage;
    tests::bucket_versions(storage, &storage.documents_bucket).await
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// `len` bytes that read as a PDF from their first bytes.
fn pdf(len: usize) -> Vec<u8> {
    let mut bytes = random_bytes(len);
    bytes[..9].copy_from_slice(b"%PDF-1.7\n");
    bytes
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// POSTs `bytes` as a document named `name`, with the link `token` or as clerk-01.
async fn upload(
    app: &TestApp,
    id: &str,
    token: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let request = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/documents")))
        .query(&[("name", name)])
        .header("content-type", "application/pdf")
        // A refused upload is answered before its body is read, and the server then closes the
        // connection: never reuse it for the next request.
        .header("connection", "close")
        .body(bytes);
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => as_clerk(request),
    };
    request.send().await.expect("upload sent")
}

async fn problem_type(response: reqwest::Response) -> String {
    response.json::<Value>().await.expect("a problem")["type"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn history(app: &TestApp, id: &str) -> Vec<Value> {
    app.get_json_as("auditor", &format!("/v1/requests/{id}/history?limit=200"))
        .await["items"]
        .as_array()
        .expect("history items")
        .clone()
}

fn of_type<'a>(items: &'a [Value], event_type: &str) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|item| item["event_type"] == event_type)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_mb_upload_through_the_link_lands_with_its_digest_and_version() {
    let app = s3_app().await;
    let id = book(&app, 5).await;
    let token = link(&app, &id, "upload").await;
    let bytes = pdf(20_000_000);
    let expected = sha256_hex(&bytes);

    let response = upload(
        &app,
        &id,
        Some(&token),
        "../../NAN\u{7} aurrealdea.pdf",
        bytes,
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let document: Value = response.json().await.expect("document");
    assert_eq!(document["sha256"], expected.as_str());
    assert_eq!(document["size"], 20_000_000);
    assert_eq!(document["media_type"], "application/pdf");
    assert_eq!(document["file_name"], "NAN aurrealdea.pdf");
    assert_eq!(document["uploaded_by"], format!("citizen:{id}"));
    assert_eq!(document["status"], "pending");
    let version = document["version_id"].as_str().expect("version id");
    assert!(!version.is_empty());
    let doc = document["id"].as_str().expect("document id");

    // What S3 holds: that version, locked in COMPLIANCE until the recorded time, and the very
    // bytes that were sent.
    let key = format!("{id}/{doc}");
    let info = app
        .state
        .objects
        .stat(Bucket::Documents, &key, version)
        .await
        .expect("the version is stored");
    assert_eq!(info.size, 20_000_000);
    assert_eq!(info.content_type.as_deref(), Some("application/pdf"));
    let retention = info.retention.expect("retention");
    assert_eq!(retention.mode, RetentionMode::Compliance);
    assert_eq!(
        retention
            .retain_until
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        document["retain_until"]
            .as_str()
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).expect("time"))
            .expect("retain_until")
            .with_timezone(&Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let mut body = app
        .state
        .objects
        .get(Bucket::Documents, &key, version)
        .await
        .expect("get")
        .body;
    let mut hasher = Sha256::new();
    while let Some(chunk) = body.next().await {
        hasher.update(chunk.expect("chunk"));
    }
    assert_eq!(hex::encode(hasher.finalize()), expected);
    assert_eq!(stored_versions(&app).await.len(), 1);

    // The event carries key, version, size, type and digest.
    let items = history(&app, &id).await;
    let attached = of_type(&items, "DocumentAttached");
    assert_eq!(attached.len(), 1);
    let payload = &attached[0]["payload"]["DocumentAttached"];
    assert_eq!(payload["sha256"], expected.as_str());
    assert_eq!(payload["version_id"], version);
    assert_eq!(payload["object_key"], key.as_str());
    assert_eq!(payload["size"], 20_000_000);
    assert_eq!(payload["media_type"], "pdf");
    assert_eq!(attached[0]["metadata"]["actor"], format!("citizen:{id}"));

    // The link sees its own list; so does the clerk.
    for request in [
        app.client
            .get(app.url(&format!("/v1/requests/{id}/documents")))
            .bearer_auth(&token),
        as_clerk(
            app.client
                .get(app.url(&format!("/v1/requests/{id}/documents"))),
        ),
    ] {
        let list: Value = request
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        assert_eq!(list["documents"][0]["id"], doc);
        assert_eq!(list["documents"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_of_another_case_or_purpose_expired_or_after_close_are_refused() {
    let app = s3_app().await;
    let id = book(&app, 6).await;
    let other = book(&app, 7).await;
    let other_upload = link(&app, &other, "upload").await;
    let manage = link(&app, &id, "manage").await;
    let join = link(&app, &id, "join").await;
    let upload_link = link(&app, &id, "upload").await;
    let keys = CapabilityKeys::new(test_keys().capability_secret(), 8192).expect("keys");
    let (expired, _) = keys
        .issue(
            id.parse().expect("uuid"),
            Purpose::Upload,
            None,
            Utc::now() - chrono::Duration::hours(3),
            chrono::Duration::hours(1),
        )
        .expect("issued");
    let events = app.db.event_count().await;

    for (token, status, what) in [
        (&other_upload, StatusCode::FORBIDDEN, "another case's link"),
        (&manage, StatusCode::FORBIDDEN, "a manage link"),
        (&join, StatusCode::FORBIDDEN, "a join link"),
        (&expired, StatusCode::UNAUTHORIZED, "an expired link"),
    ] {
        let response = upload(&app, &id, Some(token), "a.pdf", pdf(64 * 1024)).await;
        assert_eq!(response.status(), status, "{what}");
    }
    // The listing is wider: the manage page shows what was asked and how it was reviewed, and
    // the space's limits, so the manage link reads it (and still uploads nothing).
    let listed = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/documents")))
        .bearer_auth(&manage)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.status(), StatusCode::OK);
    let listed: Value = listed.json().await.expect("json");
    assert_eq!(
        listed["max_bytes"].as_u64(),
        Some(app.state.settings.storage.max_document_bytes)
    );
    assert_eq!(
        listed["media_types"],
        json!(["application/pdf", "image/jpeg", "image/png"])
    );
    let by_other_case = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/documents")))
        .bearer_auth(&other_upload)
        .send()
        .await
        .expect("list");
    assert_eq!(by_other_case.status(), StatusCode::FORBIDDEN);

    let closed = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/close"))),
    )
    .json(&json!({ "outcome": "withdrawn", "summary": "no longer needed" }))
    .send()
    .await
    .expect("close");
    assert_eq!(closed.status(), StatusCode::OK);
    let events = events + 1;

    let after_close = upload(&app, &id, Some(&upload_link), "a.pdf", pdf(64 * 1024)).await;
    assert_eq!(after_close.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        problem_type(after_close).await,
        "urn:arreta:problem:link-void"
    );
    // Staff cannot add to a closed case either, and nothing is stored for it.
    let by_clerk = upload(&app, &id, None, "a.pdf", pdf(64 * 1024)).await;
    assert_eq!(by_clerk.status(), StatusCode::CONFLICT);
    assert_eq!(
        problem_type(by_clerk).await,
        "urn:arreta:problem:case-closed"
    );

    assert_eq!(app.db.event_count().await, events, "no event was written");
    assert!(stored_versions(&app).await.is_empty(), "nothing was stored");

    // The same link on its own open case works.
    let own = upload(&app, &other, Some(&other_upload), "b.pdf", pdf(64 * 1024)).await;
    assert_eq!(own.status(), StatusCode::CREATED);
}

/// A raw HTTP/1.1 upload of `total` PDF bytes, `pause` between chunks: with `Content-Length` (and the body not sent until
/// the answer came: a server that reads nothing answers at once), or chunked. The status code.
async fn raw_upload(
    address: SocketAddr,
    id: &str,
    token: &str,
    total: usize,
    chunked: bool,
    pause: Duration,
) -> u16 {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let framing = if chunked {
        "Transfer-Encoding: chunked\r\n".to_string()
    } else {
        format!("Content-Length: {total}\r\n")
    };
    let head = format!(
        "POST /v1/requests/{id}/documents?name=big.pdf HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/pdf\r\n{framing}\r\n"
    );
    writer.write_all(head.as_bytes()).await.expect("head");
    let sender = tokio::spawn(async move {
        if !chunked {
            std::future::pending::<()>().await;
        }
        let mut sent = 0;
        while sent < total {
            let len = MIB.min(total - sent);
            let chunk = if sent == 0 { pdf(len) } else { vec![0x55; len] };
            let framed = [format!("{len:x}\r\n").into_bytes(), chunk, b"\r\n".to_vec()].concat();
            if writer.write_all(&framed).await.is_err() {
                return;
            }
            sent += len;
            tokio::time::sleep(pause).await;
        }
        let _ = writer.write_all(b"0\r\n\r\n").await;
        // Keep the connection's write side open until the answer is read: a client that
        // half-closes is taken to have gone away.
        std::future::pending::<()>().await;
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let read = tokio::time::timeout(Duration::from_secs(120), reader.read(&mut buffer))
            .await
            .expect("an answer within 2 minutes")
            .expect("read the answer");
        assert!(read > 0, "the server closed without answering");
        answer.extend_from_slice(&buffer[..read]);
    }
    sender.abort();
    let line = String::from_utf8_lossy(&answer);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_megabytes_are_refused_with_413_and_nothing_is_stored() {
    let app = s3_app().await;
    let id = book(&app, 8).await;
    let token = link(&app, &id, "upload").await;
    let events = app.db.event_count().await;
    assert_eq!(
        app.state.settings.storage.max_document_bytes,
        50 * MIB as u64,
        "the default limit"
    );

    // Declared too large: refused before a byte of the body is read.
    assert_eq!(
        raw_upload(app.address, &id, &token, 60 * MIB, false, Duration::ZERO).await,
        413
    );
    // Not declared (chunked): refused once the limit is passed, after some parts went to S3
    // as a multipart upload, which is aborted.
    assert_eq!(
        raw_upload(app.address, &id, &token, 60 * MIB, true, Duration::ZERO).await,
        413
    );

    assert_eq!(app.db.event_count().await, events, "no event was written");
    assert!(stored_versions(&app).await.is_empty(), "nothing was stored");

    // The limit is configurable.
    let mut settings = s3_settings(endpoint());
    settings.storage.max_document_bytes = MIB as u64;
    let small = s3_app_with(settings).await;
    let id = book(&small, 8).await;
    let refused = upload(&small, &id, None, "a.pdf", pdf(MIB + 1)).await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        problem_type(refused).await,
        "urn:arreta:problem:document-too-large"
    );
    let fits = upload(&small, &id, None, "a.pdf", pdf(MIB)).await;
    assert_eq!(fits.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upload_is_not_cut_by_the_request_timeout() {
    let mut settings = s3_settings(endpoint());
    settings.request_timeout_seconds = 1;
    let app = s3_app_with(settings).await;
    let id = book(&app, 13).await;
    let token = link(&app, &id, "upload").await;
    // Three chunks 1.5 s apart: longer than the request timeout, well within the upload's.
    let status = raw_upload(
        app.address,
        &id,
        &token,
        3 * MIB,
        true,
        Duration::from_millis(1500),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(stored_versions(&app).await.len(), 1);
    // Other routes keep the request timeout (the setting is what the app runs with).
    assert_eq!(app.state.settings.request_timeout_seconds, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_body_stops_arriving_is_ended_by_the_idle_timeout() {
    let mut settings = s3_settings(endpoint());
    settings.storage.upload_idle_seconds = 1;
    let app = s3_app_with(settings).await;
    let id = book(&app, 14).await;
    let token = link(&app, &id, "upload").await;
    let events = app.db.event_count().await;
    // Announces 1 MiB and sends none of it: answered (raw_upload waits at most 2 minutes), long
    // before the 900 s the upload may take.
    assert_eq!(app.state.settings.storage.upload_timeout_seconds, 900);
    let status = raw_upload(app.address, &id, &token, MIB, false, Duration::ZERO).await;
    assert_eq!(status, 400);
    assert_eq!(app.db.event_count().await, events, "no event");
    assert!(stored_versions(&app).await.is_empty(), "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_executable_renamed_pdf_is_refused_with_415_and_images_are_taken_by_content() {
    let app = s3_app().await;
    let id = book(&app, 9).await;
    let token = link(&app, &id, "upload").await;
    let events = app.db.event_count().await;

    let mut elf = random_bytes(256 * 1024);
    elf[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\0");
    let response = upload(&app, &id, Some(&token), "invoice.pdf", elf).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        problem_type(response).await,
        "urn:arreta:problem:document-type"
    );
    assert_eq!(app.db.event_count().await, events, "no event was written");
    assert!(stored_versions(&app).await.is_empty(), "nothing was stored");

    // A PNG sent as "application/pdf" named .pdf is a PNG.
    let mut png = random_bytes(4096);
    png[..8].copy_from_slice(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]);
    let response = upload(&app, &id, Some(&token), "photo.pdf", png).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let document: Value = response.json().await.expect("json");
    assert_eq!(document["media_type"], "image/png");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_s3_down_the_upload_is_503_with_no_event_and_a_retry_succeeds() {
    // Nothing listens where the store points.
    let unused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let dead = spawn_app_with(s3_settings(format!("http://{unused}"))).await;
    let id = book(&dead, 10).await;
    let events = dead.db.event_count().await;
    let response = upload(&dead, &id, None, "a.pdf", pdf(256 * 1024)).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        problem_type(response).await,
        "urn:arreta:problem:service-unavailable"
    );
    assert_eq!(dead.db.event_count().await, events, "no event was written");

    // The server goes away under a running app, then comes back: the same upload is retried.
    let target: SocketAddr = endpoint()
        .trim_start_matches("http://")
        .parse()
        .expect("ARRETA_TEST_S3_ENDPOINT is http://IP:PORT");
    let proxy = CuttableProxy::start(target).await;
    let app = s3_app_with(s3_settings(format!("http://{}", proxy.address))).await;
    let id = book(&app, 11).await;
    let token = link(&app, &id, "upload").await;
    let events = app.db.event_count().await;
    let bytes = pdf(6 * MIB);
    proxy.cut();
    let response = upload(&app, &id, Some(&token), "a.pdf", bytes.clone()).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.db.event_count().await, events, "no event was written");
    proxy.restore();
    let retried = upload(&app, &id, Some(&token), "a.pdf", bytes.clone()).await;
    assert_eq!(retried.status(), StatusCode::CREATED);
    let document: Value = retried.json().await.expect("json");
    assert_eq!(document["sha256"], sha256_hex(&bytes).as_str());
    assert_eq!(app.db.event_count().await, events + 1);
    assert_eq!(stored_versions(&app).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_reviews_documents_and_every_read_is_recorded_with_its_reason() {
    let app = s3_app().await;
    let id = book(&app, 12).await;
    let bytes = pdf(300 * 1024);
    let uploaded = upload(&app, &id, None, "NAN.pdf", bytes.clone()).await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let doc = uploaded.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let review = |body: Value| {
        as_clerk(
            app.client
                .post(app.url(&format!("/v1/requests/{id}/documents/{doc}/review"))),
        )
        .json(&body)
        .send()
    };

    let no_reason = review(json!({ "accepted": false })).await.expect("review");
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rejected = review(json!({ "accepted": false, "reason": "The back side is missing" }))
        .await
        .expect("review");
    assert_eq!(rejected.status(), StatusCode::OK);
    let view: Value = rejected.json().await.expect("json");
    assert_eq!(view["status"], "rejected");
    assert_eq!(view["review"]["reason"], "The back side is missing");
    let again = review(json!({ "accepted": true })).await.expect("review");
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(
        problem_type(again).await,
        "urn:arreta:problem:document-already-reviewed"
    );
    let unknown = as_clerk(app.client.post(app.url(&format!(
        "/v1/requests/{id}/documents/{}/review",
        uuid::Uuid::now_v7()
    ))))
    .json(&json!({ "accepted": true }))
    .send()
    .await
    .expect("review");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // A read needs a reason; it is recorded before the bytes are handed out.
    let content = format!("/v1/requests/{id}/documents/{doc}/content");
    let without_why = as_clerk(app.client.get(app.url(&content)))
        .send()
        .await
        .expect("content");
    assert_eq!(without_why.status(), StatusCode::BAD_REQUEST);
    let read = as_clerk(app.client.get(app.url(&content)))
        .query(&[("why", "checking before the appointment")])
        .send()
        .await
        .expect("content");
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(
        read.headers()["content-type"].to_str().ok(),
        Some("application/pdf")
    );
    assert!(
        read.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("NAN.pdf")
    );
    let body = read.bytes().await.expect("body");
    assert_eq!(sha256_hex(&body), sha256_hex(&bytes));

    // The citizen sees that read, who made it and why, through the manage link; the upload
    // link does not open this list.
    let manage = link(&app, &id, "manage").await;
    let seen: Value = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/accesses")))
        .bearer_auth(&manage)
        .send()
        .await
        .expect("accesses")
        .json()
        .await
        .expect("json");
    assert_eq!(
        seen["accesses"],
        json!([{
            "kind": "document",
            "subject": "NAN.pdf",
            "by": "staff:clerk-01",
            "role": "clerk",
            "at": seen["accesses"][0]["at"],
            "why": "checking before the appointment",
        }]),
        "{seen}"
    );
    assert!(seen["accesses"][0]["at"].is_string());
    // And downloads the case file: the case, its documents, the reads and every event, without
    // the network details recorded for staff.
    let file = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/case-file")))
        .bearer_auth(&manage)
        .send()
        .await
        .expect("case file");
    assert_eq!(file.status(), StatusCode::OK);
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains(&format!("arreta-{id}.json"))
    );
    let file: Value = file.json().await.expect("json");
    assert_eq!(file["case"]["id"], id.as_str());
    assert_eq!(file["documents"][0]["file_name"], "NAN.pdf");
    assert_eq!(file["accesses"], seen["accesses"]);
    let events = file["events"].as_array().expect("events");
    assert_eq!(events[0]["event_type"], "AppointmentBooked");
    assert!(
        events
            .iter()
            .any(|e| e["event_type"] == "DocumentAccessed" && e["actor"] == "staff:clerk-01")
    );
    let text = file.to_string();
    assert!(
        !text.contains("client_address") && !text.contains("user_agent"),
        "{text}"
    );

    // The citizen's upload link lists documents but does not read them back.
    let token = link(&app, &id, "upload").await;
    let not_this_list = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/accesses")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("accesses");
    assert_eq!(not_this_list.status(), StatusCode::FORBIDDEN);
    let by_link = app
        .client
        .get(app.url(&content))
        .query(&[("why", "curious")])
        .bearer_auth(&token)
        .send()
        .await
        .expect("content");
    assert_eq!(by_link.status(), StatusCode::FORBIDDEN);

    // Once the case is closed an auditor may still read, and that read is recorded too.
    let closed = as_clerk(
        app.client
            .post(app.url(&format!("/v1/requests/{id}/close"))),
    )
    .json(&json!({ "outcome": "resolved", "summary": "done" }))
    .send()
    .await
    .expect("close");
    assert_eq!(closed.status(), StatusCode::OK);
    let audited = as_role(app.client.get(app.url(&content)), "auditor")
        .query(&[("why", "yearly audit")])
        .send()
        .await
        .expect("content");
    assert_eq!(audited.status(), StatusCode::OK);
    assert_eq!(audited.bytes().await.expect("body").len(), bytes.len());

    let items = history(&app, &id).await;
    let reads: Vec<(String, String)> = of_type(&items, "DocumentAccessed")
        .iter()
        .map(|item| {
            let payload = &item["payload"]["DocumentAccessed"];
            (
                payload["by"].as_str().unwrap_or_default().to_string(),
                payload["why"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        reads,
        vec![
            (
                "staff:clerk-01".to_string(),
                "checking before the appointment".to_string()
            ),
            ("staff:auditor-01".to_string(), "yearly audit".to_string()),
        ]
    );
    let reviews = of_type(&items, "DocumentReviewed");
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0]["payload"]["DocumentReviewed"]["accepted"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_filesystem_store_takes_and_gives_back_the_same_bytes() {
    let mut settings = open_settings();
    let root = std::env::temp_dir().join(unique("arreta-test-objects"));
    settings.storage.filesystem_root = Some(root.clone());
    let app = spawn_app_with(settings).await;
    let id = book(&app, 14).await;
    let mut jpeg = random_bytes(100 * 1024);
    jpeg[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    let uploaded = upload(&app, &id, None, "scan.jpeg", jpeg.clone()).await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let document: Value = uploaded.json().await.expect("json");
    assert_eq!(document["media_type"], "image/jpeg");
    assert_eq!(document["sha256"], sha256_hex(&jpeg).as_str());
    let read = as_role(
        app.client.get(app.url(&format!(
            "/v1/requests/{id}/documents/{}/content",
            document["id"].as_str().expect("id")
        ))),
        "supervisor",
    )
    .query(&[("why", "checking the local store")])
    .send()
    .await
    .expect("content");
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.bytes().await.expect("body").as_ref(), jpeg.as_slice());
    let _ = std::fs::remove_dir_all(root);
}

#[tokio::test]
async fn a_procedure_with_its_own_retention_keeps_its_documents_that_long() {
    let mut settings = s3_settings(endpoint());
    // The bucket default is 2 days (s3_settings); PADRON-ALTA keeps its documents 30.
    for procedure in &mut settings.procedures {
        if procedure.code == "PADRON-ALTA" {
            procedure.document_retention_days = Some(30);
        }
    }
    let app = s3_app_with(settings).await;
    let id = book(&app, 5).await;
    let before = Utc::now();
    let response = upload(&app, &id, None, "ziurtagiria.pdf", pdf(10_000)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let document: Value = response.json().await.expect("document");
    let retain_until = chrono::DateTime::parse_from_rfc3339(
        document["retain_until"].as_str().expect("retain_until"),
    )
    .expect("time")
    .with_timezone(&Utc);
    let thirty = before + chrono::Duration::days(30);
    assert!(
        (retain_until - thirty).num_seconds().abs() < 120,
        "{retain_until} is not 30 days from {before}"
    );
    let info = app
        .state
        .objects
        .stat(
            Bucket::Documents,
            document["object_key"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{id}/{}", document["id"].as_str().unwrap_or_default()))
                .as_str(),
            document["version_id"].as_str().expect("version"),
        )
        .await
        .expect("stored");
    let held = info.retention.expect("retention");
    assert_eq!(held.mode, RetentionMode::Compliance);
    assert!((held.retain_until - thirty).num_seconds().abs() < 120);
}

#[tokio::test]
async fn readiness_reports_the_object_store_and_fails_without_it() {
    let app = s3_app().await;
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(
        (body["database"].as_str(), body["storage"].as_str()),
        (Some("up"), Some("s3"))
    );
    assert_eq!(body["recordings_lock"], "compliant", "{body}");

    // The service's own credentials turn the recordings bucket's rule to GOVERNANCE for a day:
    // the server allows it, and readiness says so (explicit retention on each object still holds).
    let store =
        infrastructure::object_store::s3::S3Store::from_settings(&app.state.settings.storage)
            .expect("store");
    store
        .put_default_rule(
            store.bucket_name(Bucket::Recordings),
            infrastructure::object_store::RetentionMode::Governance,
            1,
        )
        .await
        .expect("LocalStack lets the rule be weakened");
    let weakened: Value = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(weakened["status"], "ready");
    assert_eq!(weakened["recordings_lock"], "weakened", "{weakened}");
    assert!(
        weakened["recordings_lock_problem"].is_string(),
        "{weakened}"
    );

    // Nothing listens where this app looks for S3: not ready.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let down = spawn_app_with(s3_settings(format!("http://{dead}"))).await;
    let response = down
        .client
        .get(down.url("/health/ready"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}
