//! The S3 store against a real S3 server that enforces Object Lock (LocalStack's S3, started by
//! scripts/test.sh, which exports ARRETA_TEST_S3_ENDPOINT). Every test makes its own buckets.
//!
//! Without ARRETA_TEST_S3_ENDPOINT these tests fail, on purpose: the retention guarantees are
//! never skipped silently.

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use futures_util::TryStreamExt;
use infrastructure::config::{Profile, Settings, StorageBackend};
use infrastructure::object_store::s3::{self, S3Config, S3Store};
use infrastructure::object_store::{
    Access, Bucket, BucketPolicy, ByteStream, LockProblem, ObjectStore, PutOptions, Retention,
    RetentionMode, StartupRefusal, StorageError, StoredObject,
};
use minio::s3::response_traits::HasS3Fields;
use minio::s3::segmented_bytes::SegmentedBytes;
use minio::s3::types::S3Api;
use rand::RngCore;
use sha2::{Digest, Sha256};

const MIB: usize = 1024 * 1024;
const FOUR_YEARS: u32 = 1461;

fn endpoint() -> String {
    match std::env::var("ARRETA_TEST_S3_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => panic!(
            "ARRETA_TEST_S3_ENDPOINT is not set: the object-lock tests need a real S3 server with \
             Object Lock. Run scripts/test.sh (it starts LocalStack's S3), or start one with \
             `scripts/localstack.sh run 4566` and export ARRETA_TEST_S3_ENDPOINT=http://127.0.0.1:4566"
        ),
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn config(endpoint: String, recordings: String, documents: String) -> S3Config {
    S3Config {
        endpoint,
        region: "us-east-1".into(),
        access_key: Some("test".into()),
        secret_key: Some("test".into()),
        recordings_bucket: recordings,
        documents_bucket: documents,
        policy: BucketPolicy {
            recordings_retention_days: FOUR_YEARS,
            documents_retention_days: 30,
            short_documents_lock_seconds: None,
        },
        part_size: s3::MIN_PART_SIZE,
        request_timeout: Duration::from_secs(30),
    }
}

/// A store on fresh buckets, created.
async fn fresh_store() -> S3Store {
    let store = S3Store::new(config(endpoint(), unique("rec"), unique("doc"))).expect("store");
    store.ensure_buckets().await.expect("ensure buckets");
    store
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// The bytes as a stream of uneven chunks, as a request body arrives.
fn body(bytes: &[u8]) -> ByteStream {
    let chunks: Vec<std::io::Result<Bytes>> = bytes
        .chunks(65_521)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures_util::stream::iter(chunks))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn read_all(store: &S3Store, stored: &StoredObject) -> Vec<u8> {
    let object = store
        .get(stored.bucket, &stored.key, &stored.version_id)
        .await
        .expect("get");
    let chunks: Vec<Bytes> = object.body.try_collect().await.expect("read body");
    chunks.concat()
}

/// The server's ETag of a version: a multipart upload's ends in `-<parts>`.
async fn etag(store: &S3Store, bucket: Bucket, key: &str, version: &str) -> String {
    let response = store
        .client()
        .stat_object(store.bucket_name(bucket), key)
        .expect("stat request")
        .version_id(Some(
            minio::s3::types::VersionId::new(version).expect("version"),
        ))
        .build()
        .send()
        .await
        .expect("stat");
    response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag header")
        .trim_matches('"')
        .to_string()
}

fn assert_about(actual: chrono::DateTime<Utc>, expected: chrono::DateTime<Utc>) {
    let off = (actual - expected).num_seconds().abs();
    assert!(off <= 120, "{actual} is not about {expected}");
}

/// What the server must refuse on a COMPLIANCE version, and that the version is intact after.
async fn assert_locked(store: &S3Store, stored: &StoredObject, bytes: &[u8]) {
    let before = store
        .stat(stored.bucket, &stored.key, &stored.version_id)
        .await
        .expect("stat");
    let held = before.retention.expect("the version carries a retention");
    assert_eq!(held.mode, RetentionMode::Compliance);
    assert_eq!(held.retain_until, stored.retention.retain_until);

    let deleted = store
        .delete_version(stored.bucket, &stored.key, &stored.version_id)
        .await;
    assert!(
        matches!(deleted, Err(StorageError::Locked { .. })),
        "deleting a COMPLIANCE version must be refused, got {deleted:?}"
    );

    let shorter = Retention {
        mode: RetentionMode::Compliance,
        retain_until: held.retain_until - chrono::Duration::days(1),
    };
    let shortened = s3::put_retention(
        store,
        stored.bucket,
        &stored.key,
        &stored.version_id,
        shorter,
    )
    .await;
    assert!(
        matches!(shortened, Err(StorageError::Refused { .. })),
        "shortening COMPLIANCE retention must be refused, got {shortened:?}"
    );

    let governance = Retention {
        mode: RetentionMode::Governance,
        retain_until: held.retain_until + chrono::Duration::days(1),
    };
    let switched = s3::put_retention(
        store,
        stored.bucket,
        &stored.key,
        &stored.version_id,
        governance,
    )
    .await;
    assert!(
        matches!(switched, Err(StorageError::Refused { .. })),
        "switching COMPLIANCE to GOVERNANCE must be refused, got {switched:?}"
    );

    let after = store
        .stat(stored.bucket, &stored.key, &stored.version_id)
        .await
        .expect("the version is still there");
    assert_eq!(after.retention, Some(held), "the retention did not change");
    assert_eq!(after.size, bytes.len() as u64);
    assert_eq!(
        read_all(store, stored).await,
        bytes,
        "the bytes did not change"
    );
}

#[tokio::test]
async fn a_single_part_upload_reports_its_digest_and_version_and_is_locked() {
    let store = fresh_store().await;
    let bytes = random_bytes(MIB + 17);
    let started = Utc::now();
    let stored = store
        .put(
            Bucket::Recordings,
            "calls/one.webm",
            body(&bytes),
            PutOptions {
                content_type: Some("video/webm".into()),
                retain_until: None,
            },
        )
        .await
        .expect("put");
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(stored.sha256, sha256_hex(&bytes));
    assert!(!stored.version_id.is_empty(), "a version id");
    assert_eq!(stored.retention.mode, RetentionMode::Compliance);
    assert_about(
        stored.retention.retain_until,
        started + chrono::Duration::days(FOUR_YEARS as i64),
    );
    let tag = etag(
        &store,
        Bucket::Recordings,
        "calls/one.webm",
        &stored.version_id,
    )
    .await;
    assert!(!tag.contains('-'), "one PUT, not a multipart upload: {tag}");
    let info = store
        .stat(Bucket::Recordings, "calls/one.webm", &stored.version_id)
        .await
        .expect("stat");
    assert_eq!(info.content_type.as_deref(), Some("video/webm"));
    assert_locked(&store, &stored, &bytes).await;
}

#[tokio::test]
async fn a_multipart_upload_reports_its_digest_and_version_and_is_locked() {
    let store = fresh_store().await;
    // Three parts of 5 MiB, 5 MiB and a bit.
    let bytes = random_bytes(2 * s3::MIN_PART_SIZE as usize + 123_457);
    let stored = store
        .put(
            Bucket::Recordings,
            "calls/long.webm",
            body(&bytes),
            PutOptions::default(),
        )
        .await
        .expect("put");
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(stored.sha256, sha256_hex(&bytes));
    assert!(!stored.version_id.is_empty(), "a version id");
    let tag = etag(
        &store,
        Bucket::Recordings,
        "calls/long.webm",
        &stored.version_id,
    )
    .await;
    assert!(tag.ends_with("-3"), "a multipart upload of 3 parts: {tag}");
    assert_locked(&store, &stored, &bytes).await;
}

#[tokio::test]
async fn a_body_of_exactly_one_part_is_one_put() {
    let store = fresh_store().await;
    let bytes = random_bytes(s3::MIN_PART_SIZE as usize);
    let stored = store
        .put(
            Bucket::Documents,
            "exact",
            body(&bytes),
            PutOptions::default(),
        )
        .await
        .expect("put");
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(stored.sha256, sha256_hex(&bytes));
    let tag = etag(&store, Bucket::Documents, "exact", &stored.version_id).await;
    assert!(!tag.contains('-'), "one PUT: {tag}");
}

#[tokio::test]
async fn a_document_keeps_its_procedure_retention_and_versions_stay_apart() {
    let store = fresh_store().await;
    let until = Utc::now() + chrono::Duration::days(10);
    let first = store
        .put(
            Bucket::Documents,
            "case/dni.pdf",
            body(b"%PDF-1.7 first"),
            PutOptions {
                content_type: Some("application/pdf".into()),
                retain_until: Some(until),
            },
        )
        .await
        .expect("first");
    let second = store
        .put(
            Bucket::Documents,
            "case/dni.pdf",
            body(b"%PDF-1.7 second"),
            PutOptions::default(),
        )
        .await
        .expect("second");
    assert_ne!(first.version_id, second.version_id);
    assert_about(first.retention.retain_until, until);
    assert_about(
        second.retention.retain_until,
        Utc::now() + chrono::Duration::days(30),
    );
    assert_eq!(read_all(&store, &first).await, b"%PDF-1.7 first");
    assert_eq!(read_all(&store, &second).await, b"%PDF-1.7 second");
    let deleted = store
        .delete_version(Bucket::Documents, "case/dni.pdf", &first.version_id)
        .await;
    assert!(
        matches!(deleted, Err(StorageError::Locked { .. })),
        "{deleted:?}"
    );
}

#[tokio::test]
async fn a_version_locked_a_few_seconds_is_deleted_only_once_its_lock_ends() {
    let store = fresh_store().await;
    let retain_until = Utc::now() + chrono::Duration::seconds(3);
    let stored = store
        .put(
            Bucket::Documents,
            "case/short.pdf",
            body(b"%PDF-1.7 short"),
            PutOptions {
                content_type: Some("application/pdf".into()),
                retain_until: Some(retain_until),
            },
        )
        .await
        .expect("stored");
    let early = store
        .delete_version(Bucket::Documents, &stored.key, &stored.version_id)
        .await;
    assert!(
        matches!(&early, Err(StorageError::Locked { retain_until: Some(until), .. }) if *until == stored.retention.retain_until),
        "a version still locked is refused, and says until when: {early:?}"
    );
    assert_eq!(read_all(&store, &stored).await, b"%PDF-1.7 short");
    let wait = (stored.retention.retain_until - Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(1200)).await;
    store
        .delete_version(Bucket::Documents, &stored.key, &stored.version_id)
        .await
        .expect("deleted once the lock has ended");
    let gone = store
        .get(Bucket::Documents, &stored.key, &stored.version_id)
        .await;
    assert!(matches!(gone, Err(StorageError::NotFound(_))), "{gone:?}");
    // Deleting it again (a purge retried after a crash) is not an error of another kind.
    let again = store
        .delete_version(Bucket::Documents, &stored.key, &stored.version_id)
        .await;
    assert!(
        matches!(again, Ok(()) | Err(StorageError::NotFound(_))),
        "{again:?}"
    );
}

#[tokio::test]
async fn the_recordings_bucket_default_rule_locks_an_object_written_without_retention() {
    let store = fresh_store().await;
    let name = store.bucket_name(Bucket::Recordings).to_string();
    let mut data = SegmentedBytes::new();
    data.append(Bytes::from_static(
        b"written by someone else, without lock headers",
    ));
    let started = Utc::now();
    let response = store
        .client()
        .put_object(&name, "bare", data)
        .expect("put request")
        .build()
        .send()
        .await
        .expect("put without retention");
    use minio::s3::response_traits::HasVersion;
    let version = response.version_id().expect("a version").to_string();
    let info = store
        .stat(Bucket::Recordings, "bare", &version)
        .await
        .expect("stat");
    let retention = info
        .retention
        .expect("the default rule gave it a retention");
    assert_eq!(retention.mode, RetentionMode::Compliance);
    assert_about(
        retention.retain_until,
        started + chrono::Duration::days(FOUR_YEARS as i64),
    );
    let deleted = store
        .delete_version(Bucket::Recordings, "bare", &version)
        .await;
    assert!(
        matches!(deleted, Err(StorageError::Locked { .. })),
        "{deleted:?}"
    );

    let documents = store.bucket_lock(Bucket::Documents).await.expect("lock");
    assert!(documents.enabled, "documents has Object Lock");
    assert_eq!(
        documents.default_mode, None,
        "documents has no default rule"
    );
}

#[tokio::test]
async fn the_recordings_lock_check_accepts_four_years_of_compliance_only() {
    let good = fresh_store().await;
    let check = good.check_recordings_lock().await.expect("check");
    assert!(check.is_ok(), "{check:?}");
    assert_eq!(check.found.default_mode, Some(RetentionMode::Compliance));
    assert_eq!(check.found.default_days, Some(FOUR_YEARS));

    // A bucket without Object Lock.
    let plain = S3Store::new(config(endpoint(), unique("plain"), unique("doc"))).expect("store");
    plain
        .client()
        .create_bucket(plain.bucket_name(Bucket::Recordings))
        .expect("create request")
        .build()
        .send()
        .await
        .expect("create plain bucket");
    let check = plain.check_recordings_lock().await.expect("check");
    assert_eq!(check.problem, Some(LockProblem::NotLocked), "{check:?}");

    // Locked, but GOVERNANCE.
    let governance = S3Store::new(config(endpoint(), unique("gov"), unique("doc"))).expect("store");
    governance
        .create_locked_bucket(
            governance.bucket_name(Bucket::Recordings),
            Some((RetentionMode::Governance, FOUR_YEARS)),
        )
        .await
        .expect("create");
    let check = governance.check_recordings_lock().await.expect("check");
    assert_eq!(
        check.problem,
        Some(LockProblem::NotCompliance(RetentionMode::Governance)),
        "{check:?}"
    );

    // COMPLIANCE, but a day short.
    let short = S3Store::new(config(endpoint(), unique("short"), unique("doc"))).expect("store");
    short
        .create_locked_bucket(
            short.bucket_name(Bucket::Recordings),
            Some((RetentionMode::Compliance, FOUR_YEARS - 1)),
        )
        .await
        .expect("create");
    let check = short.check_recordings_lock().await.expect("check");
    assert_eq!(
        check.problem,
        Some(LockProblem::TooShort {
            days: Some(FOUR_YEARS - 1),
            required: FOUR_YEARS
        }),
        "{check:?}"
    );

    // Locked with no default rule.
    let bare = S3Store::new(config(endpoint(), unique("bare"), unique("doc"))).expect("store");
    bare.create_locked_bucket(bare.bucket_name(Bucket::Recordings), None)
        .await
        .expect("create");
    let check = bare.check_recordings_lock().await.expect("check");
    assert_eq!(check.problem, Some(LockProblem::NoDefaultRule), "{check:?}");

    // A bucket that is not there.
    let missing =
        S3Store::new(config(endpoint(), unique("missing"), unique("doc"))).expect("store");
    let check = missing.check_recordings_lock().await;
    assert!(matches!(check, Err(StorageError::NotFound(_))), "{check:?}");
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_not_refused() {
    // A port nothing listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let store = S3Store::new(config(
        format!("http://127.0.0.1:{port}"),
        unique("rec"),
        unique("doc"),
    ))
    .expect("store");
    let put = store
        .put(
            Bucket::Documents,
            "nowhere",
            body(b"bytes"),
            PutOptions::default(),
        )
        .await;
    assert!(
        matches!(&put, Err(e) if e.is_unavailable()),
        "a put to a server that is not there is Unavailable: {put:?}"
    );
    let big = store
        .put(
            Bucket::Recordings,
            "nowhere-big",
            body(&random_bytes(s3::MIN_PART_SIZE as usize + 1)),
            PutOptions::default(),
        )
        .await;
    assert!(matches!(&big, Err(e) if e.is_unavailable()), "{big:?}");
    let ensured = store.ensure_buckets().await;
    assert!(
        matches!(&ensured, Err(e) if e.is_unavailable()),
        "{ensured:?}"
    );
    let checked = store.check_recordings_lock().await;
    assert!(
        matches!(&checked, Err(e) if e.is_unavailable()),
        "{checked:?}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_unavailable_after_the_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let address = listener.local_addr().expect("address");
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut settings = config(format!("http://{address}"), unique("rec"), unique("doc"));
    settings.request_timeout = Duration::from_millis(500);
    let store = S3Store::new(settings).expect("store");
    let put = store
        .put(
            Bucket::Documents,
            "silence",
            body(b"bytes"),
            PutOptions::default(),
        )
        .await;
    assert!(matches!(&put, Err(e) if e.is_unavailable()), "{put:?}");
    silent.abort();
}

/// A server that answers every request with `status` and an S3 error `code` (or no body).
async fn failing_server(status: &'static str, code: Option<&'static str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut request).await;
                let body = code
                    .map(|code| {
                        format!(
                            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>try later</Message></Error>"
                        )
                    })
                    .unwrap_or_default();
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_server_that_cannot_serve_now_is_unavailable() {
    for (status, code) in [
        ("503 Service Unavailable", Some("ServiceUnavailable")),
        ("503 Slow Down", Some("SlowDown")),
        ("500 Internal Server Error", Some("InternalError")),
        ("502 Bad Gateway", None),
    ] {
        let endpoint = failing_server(status, code).await;
        let store = S3Store::new(config(endpoint, unique("rec"), unique("doc"))).expect("store");
        let put = store
            .put(
                Bucket::Documents,
                "busy",
                body(b"bytes"),
                PutOptions::default(),
            )
            .await;
        assert!(
            matches!(&put, Err(e) if e.is_unavailable()),
            "{status}: a put is Unavailable: {put:?}"
        );
    }
    // A refusal is not an outage.
    let endpoint = failing_server("403 Forbidden", Some("AccessDenied")).await;
    let store = S3Store::new(config(endpoint, unique("rec"), unique("doc"))).expect("store");
    let put = store
        .put(
            Bucket::Documents,
            "denied",
            body(b"bytes"),
            PutOptions::default(),
        )
        .await;
    assert!(
        matches!(&put, Err(StorageError::Refused { code, .. }) if code == "AccessDenied"),
        "{put:?}"
    );
}

#[tokio::test]
async fn ensuring_the_buckets_again_changes_nothing() {
    let store = fresh_store().await;
    store.ensure_buckets().await.expect("a second time");
    let check = store.check_recordings_lock().await.expect("check");
    assert!(check.is_ok(), "{check:?}");
}

#[tokio::test]
async fn a_recording_kept_shorter_than_four_years_is_refused_before_sending() {
    let store = fresh_store().await;
    let put = store
        .put(
            Bucket::Recordings,
            "short",
            body(b"bytes"),
            PutOptions {
                content_type: None,
                retain_until: Some(Utc::now() + chrono::Duration::days(FOUR_YEARS as i64 - 1)),
            },
        )
        .await;
    assert!(matches!(put, Err(StorageError::Retention(_))), "{put:?}");
}

#[tokio::test]
async fn a_missing_version_is_not_found() {
    let store = fresh_store().await;
    let stored = store
        .put(
            Bucket::Documents,
            "here",
            body(b"bytes"),
            PutOptions::default(),
        )
        .await
        .expect("put");
    let other_key = store
        .stat(Bucket::Documents, "not-here", &stored.version_id)
        .await;
    assert!(
        matches!(other_key, Err(StorageError::NotFound(_))),
        "{other_key:?}"
    );
}

#[tokio::test]
async fn a_presigned_url_serves_that_version_for_a_short_while() {
    let store = fresh_store().await;
    let stored = store
        .put(
            Bucket::Documents,
            "case/photo.jpg",
            body(b"\xff\xd8\xff first"),
            PutOptions::default(),
        )
        .await
        .expect("put");
    store
        .put(
            Bucket::Documents,
            "case/photo.jpg",
            body(b"\xff\xd8\xff second"),
            PutOptions::default(),
        )
        .await
        .expect("a newer version");
    let access = store
        .presigned_get(
            Bucket::Documents,
            "case/photo.jpg",
            &stored.version_id,
            Duration::from_secs(60),
        )
        .await
        .expect("presign");
    let Access::Presigned { url, expires_at } = access else {
        panic!("S3 presigns: {access:?}");
    };
    assert_about(expires_at, Utc::now() + chrono::Duration::seconds(60));
    assert!(url.contains("X-Amz-Expires=60"), "{url}");
    let fetched = reqwest::get(&url).await.expect("GET the presigned URL");
    assert!(fetched.status().is_success(), "{}", fetched.status());
    assert_eq!(
        fetched.bytes().await.expect("body").as_ref(),
        b"\xff\xd8\xff first",
        "the URL serves the version asked for, not the newest"
    );
    let tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=6000");
    let refused = reqwest::get(&tampered).await.expect("GET");
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_production_start_refuses_a_recordings_bucket_not_locked_as_required() {
    let mut settings = Settings {
        profile: Profile::Production,
        ..Settings::default()
    };
    settings.storage.backend = StorageBackend::S3;
    settings.storage.endpoint = endpoint();
    settings.storage.access_key = Some("test".into());
    settings.storage.secret_key = Some("test".into());
    settings.storage.recordings_bucket = unique("prodrec");
    settings.storage.documents_bucket = unique("proddoc");

    // Fresh names: the start creates both buckets, locked as required.
    let store = infrastructure::object_store::open_checked(&settings)
        .await
        .expect("a production start on fresh buckets");
    let check = store.check_recordings_lock().await.expect("check");
    assert!(check.is_ok(), "{check:?}");

    // A recordings bucket someone made with GOVERNANCE.
    let governance = unique("prodgov");
    S3Store::new(config(endpoint(), governance.clone(), unique("doc")))
        .expect("store")
        .create_locked_bucket(&governance, Some((RetentionMode::Governance, FOUR_YEARS)))
        .await
        .expect("create");
    settings.storage.recordings_bucket = governance;
    let refused = infrastructure::object_store::open_checked(&settings).await;
    assert!(
        matches!(refused, Err(StartupRefusal::RecordingsNotLocked { .. })),
        "{:?}",
        refused.err()
    );

    // The local profile starts anyway (and says so in the log).
    settings.profile = Profile::Local;
    assert!(
        infrastructure::object_store::open_checked(&settings)
            .await
            .is_ok()
    );
}
