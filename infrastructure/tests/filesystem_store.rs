//! The filesystem store (the local default): same interface as S3, versions as files, the
//! digest in a sidecar, and no pretence of WORM.

use bytes::Bytes;
use chrono::Utc;
use futures_util::TryStreamExt;
use infrastructure::config::{Profile, Settings};
use infrastructure::object_store::filesystem::FilesystemStore;
use infrastructure::object_store::hashing::bytes_stream;
use infrastructure::object_store::{
    Access, BackendKind, Bucket, BucketPolicy, ByteStream, LockProblem, ObjectStore, PutOptions,
    RetentionMode, StartupRefusal, StorageError,
};
use sha2::{Digest, Sha256};

fn policy() -> BucketPolicy {
    BucketPolicy {
        recordings_retention_days: 1461,
        documents_retention_days: 30,
        short_documents_lock_seconds: None,
    }
}

struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("arreta-fs-store-{}", uuid::Uuid::new_v4()));
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // The store makes its files read-only; the directory's owner may still remove them.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn chunks(bytes: &[u8]) -> ByteStream {
    let chunks: Vec<std::io::Result<Bytes>> = bytes
        .chunks(4099)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures_util::stream::iter(chunks))
}

async fn read(store: &FilesystemStore, bucket: Bucket, key: &str, version: &str) -> Vec<u8> {
    let object = store.get(bucket, key, version).await.expect("get");
    let chunks: Vec<Bytes> = object.body.try_collect().await.expect("body");
    chunks.concat()
}

#[tokio::test]
async fn a_round_trip_keeps_the_bytes_and_reports_their_digest() {
    let scratch = Scratch::new();
    let store = FilesystemStore::new(scratch.0.clone(), policy());
    store.ensure_buckets().await.expect("buckets");
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let started = Utc::now();
    let stored = store
        .put(
            Bucket::Recordings,
            "calls/2026/one.webm",
            chunks(&bytes),
            PutOptions {
                content_type: Some("video/webm".into()),
                retain_until: None,
            },
        )
        .await
        .expect("put");
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(stored.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(stored.retention.mode, RetentionMode::Compliance);
    let days = (stored.retention.retain_until - started).num_days();
    assert!((1460..=1461).contains(&days), "{days} days");
    assert_eq!(
        read(
            &store,
            Bucket::Recordings,
            "calls/2026/one.webm",
            &stored.version_id
        )
        .await,
        bytes
    );
    let info = store
        .stat(
            Bucket::Recordings,
            "calls/2026/one.webm",
            &stored.version_id,
        )
        .await
        .expect("stat");
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(info.content_type.as_deref(), Some("video/webm"));
    assert_eq!(info.retention, Some(stored.retention));
    assert_eq!(
        store
            .recorded_sha256(
                Bucket::Recordings,
                "calls/2026/one.webm",
                &stored.version_id
            )
            .await
            .expect("sidecar"),
        stored.sha256
    );
}

#[tokio::test]
async fn every_put_is_a_new_version_and_old_versions_stay_readable() {
    let scratch = Scratch::new();
    let store = FilesystemStore::new(scratch.0.clone(), policy());
    let first = store
        .put(
            Bucket::Documents,
            "dni.pdf",
            bytes_stream("first"),
            PutOptions::default(),
        )
        .await
        .expect("first");
    let second = store
        .put(
            Bucket::Documents,
            "dni.pdf",
            bytes_stream("second"),
            PutOptions::default(),
        )
        .await
        .expect("second");
    assert_ne!(first.version_id, second.version_id);
    assert_eq!(
        read(&store, Bucket::Documents, "dni.pdf", &first.version_id).await,
        b"first"
    );
    assert_eq!(
        read(&store, Bucket::Documents, "dni.pdf", &second.version_id).await,
        b"second"
    );
    // A version belongs to its key and bucket.
    let elsewhere = store
        .stat(Bucket::Documents, "other.pdf", &first.version_id)
        .await;
    assert!(
        matches!(elsewhere, Err(StorageError::NotFound(_))),
        "{elsewhere:?}"
    );
    let other_bucket = store
        .stat(Bucket::Recordings, "dni.pdf", &first.version_id)
        .await;
    assert!(
        matches!(other_bucket, Err(StorageError::NotFound(_))),
        "{other_bucket:?}"
    );
    let not_a_version = store
        .get(Bucket::Documents, "dni.pdf", "../../etc/passwd")
        .await;
    assert!(
        matches!(not_a_version, Err(StorageError::NotFound(_))),
        "{:?}",
        not_a_version.err()
    );
}

#[tokio::test]
async fn a_failed_body_leaves_no_version() {
    let scratch = Scratch::new();
    let store = FilesystemStore::new(scratch.0.clone(), policy());
    let body: ByteStream = Box::pin(futures_util::stream::iter(vec![
        Ok(Bytes::from_static(b"half a docu")),
        Err(std::io::Error::other("the citizen's connection dropped")),
    ]));
    let put = store
        .put(Bucket::Documents, "half.pdf", body, PutOptions::default())
        .await;
    assert!(matches!(put, Err(StorageError::Body(_))), "{put:?}");
    let left: Vec<_> = walk(&scratch.0);
    assert!(left.is_empty(), "nothing is left behind: {left:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[tokio::test]
async fn the_filesystem_says_it_is_not_worm() {
    let scratch = Scratch::new();
    let store = FilesystemStore::new(scratch.0.clone(), policy());
    assert_eq!(store.kind(), BackendKind::Filesystem);
    assert!(!store.enforces_worm());
    let check = store.check_recordings_lock().await.expect("check");
    assert_eq!(check.problem, Some(LockProblem::NotLocked));
    let stored = store
        .put(
            Bucket::Documents,
            "a",
            bytes_stream("a"),
            PutOptions::default(),
        )
        .await
        .expect("put");
    let access = store
        .presigned_get(
            Bucket::Documents,
            "a",
            &stored.version_id,
            std::time::Duration::from_secs(60),
        )
        .await
        .expect("access");
    assert_eq!(access, Access::StreamOnly);
}

#[tokio::test]
async fn production_refuses_the_filesystem_and_local_warns_and_goes_on() {
    let scratch = Scratch::new();
    let mut settings = Settings::default();
    settings.auth.data_dir = scratch.0.clone();
    let store = infrastructure::object_store::open_checked(&settings)
        .await
        .expect("the local profile starts on the filesystem");
    assert_eq!(store.kind(), BackendKind::Filesystem);
    assert!(scratch.0.join("objects").join("recordings").is_dir());
    settings.profile = Profile::Production;
    let refused = infrastructure::object_store::open_checked(&settings).await;
    assert!(
        matches!(refused, Err(StartupRefusal::FilesystemInProduction)),
        "{:?}",
        refused.err()
    );
}

#[tokio::test]
async fn a_version_is_deleted_only_once_its_retain_until_has_passed() {
    let scratch = Scratch::new();
    let store = FilesystemStore::new(
        scratch.0.clone(),
        BucketPolicy {
            short_documents_lock_seconds: Some(1),
            ..policy()
        },
    );
    store.ensure_buckets().await.expect("buckets");
    let stored = store
        .put(
            Bucket::Documents,
            "case/short.pdf",
            chunks(b"%PDF-1.7 short"),
            PutOptions::default(),
        )
        .await
        .expect("put");
    let early = store
        .delete_version(Bucket::Documents, &stored.key, &stored.version_id)
        .await;
    assert!(
        matches!(early, Err(StorageError::Locked { .. })),
        "{early:?}"
    );
    let wait = (stored.retention.retain_until - Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(100)).await;
    store
        .delete_version(Bucket::Documents, &stored.key, &stored.version_id)
        .await
        .expect("deleted");
    let gone = store
        .get(Bucket::Documents, &stored.key, &stored.version_id)
        .await;
    assert!(matches!(gone, Err(StorageError::NotFound(_))), "{gone:?}");
    let again = store
        .delete_version(Bucket::Documents, &stored.key, &stored.version_id)
        .await;
    assert!(matches!(again, Err(StorageError::NotFound(_))), "{again:?}");
}
