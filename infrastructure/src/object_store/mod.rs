//! Object storage for recordings and documents: one trait, two implementations.
//!
//! - [`s3::S3Store`]: any S3 server with Object Lock (MinIO in production, LocalStack's S3 in
//!   tests), through the `minio` crate. Buckets are versioned with Object Lock; every object is
//!   written in COMPLIANCE mode with an explicit retain-until, and the `recordings` bucket also
//!   carries a COMPLIANCE default rule of at least [`lock_policy::MIN_RECORDINGS_RETENTION_DAYS`]
//!   days.
//! - [`filesystem::FilesystemStore`]: the local default of `arreta serve`. Same interface, but
//!   nothing stops anyone with access to the directory from changing or deleting files: WORM is
//!   not enforced, and the production profile refuses it.
//!
//! Bodies are streamed: a put reads at most one part (see `storage.part_size_bytes`) into memory
//! at a time, and the SHA-256 and size reported are computed over the bytes as they are read.

pub mod filesystem;
pub mod hashing;
pub mod lock_policy;
pub mod s3;

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;

use crate::config::{Profile, Settings, StorageBackend};

pub use lock_policy::{BucketLock, LockProblem, MIN_RECORDINGS_RETENTION_DAYS};

/// A body to store or a stored body being read: chunks of bytes, or the I/O error that stopped it.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// The two buckets Arreta writes to. Each store maps them to its configured bucket names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Call recordings: COMPLIANCE retention of at least four years, a bucket default rule too.
    Recordings,
    /// Citizens' documents: retention per procedure.
    Documents,
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bucket::Recordings => "recordings",
            Bucket::Documents => "documents",
        })
    }
}

/// Object Lock retention modes. Arreta only ever writes COMPLIANCE; GOVERNANCE appears when a
/// bucket or object found on the server uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionMode {
    /// Nobody, not even the root account, may delete the version or shorten its retention.
    Compliance,
    /// Users with a special permission may bypass it: not acceptable for records.
    Governance,
}

impl fmt::Display for RetentionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetentionMode::Compliance => "COMPLIANCE",
            RetentionMode::Governance => "GOVERNANCE",
        })
    }
}

/// The retention of one object version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub mode: RetentionMode,
    /// Whole seconds (S3 servers keep no more precision than that).
    pub retain_until: DateTime<Utc>,
}

/// How a put chooses the retain-until of the new version.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// Stored as the object's `Content-Type`.
    pub content_type: Option<String>,
    /// An explicit retain-until (e.g. a procedure's retention for a document). `None` takes the
    /// bucket's configured retention from now. For recordings, one earlier than now plus
    /// `storage.recordings_retention_days` is refused.
    pub retain_until: Option<DateTime<Utc>>,
}

/// What a put stored: the event (`DocumentAttached`, `RecordingStored`) carries all of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub bucket: Bucket,
    pub key: String,
    pub version_id: String,
    /// Bytes read from the body and stored.
    pub size: u64,
    /// SHA-256 of those bytes, lowercase hex.
    pub sha256: String,
    pub retention: Retention,
}

/// What the store knows of one stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub bucket: Bucket,
    pub key: String,
    pub version_id: String,
    pub size: u64,
    pub content_type: Option<String>,
    /// `None` when the version carries no retention (never the case for what Arreta wrote).
    pub retention: Option<Retention>,
    pub last_modified: Option<DateTime<Utc>>,
}

/// A stored version being read.
pub struct ObjectBody {
    pub info: ObjectInfo,
    pub body: ByteStream,
}

impl fmt::Debug for ObjectBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectBody")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// How a reader gets at a stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A presigned GET URL that works until `expires_at`.
    Presigned {
        url: String,
        expires_at: DateTime<Utc>,
    },
    /// The store cannot presign (filesystem): stream it with [`ObjectStore::get`].
    StreamOnly,
}

/// The result of checking a bucket's lock configuration against what Arreta requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockCheck {
    pub bucket_name: String,
    pub found: BucketLock,
    /// `None` when the bucket is locked as required.
    pub problem: Option<LockProblem>,
}

impl LockCheck {
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The server could not be reached or did not answer in time, or answered that it cannot
    /// serve now (5xx, SlowDown). Retrying later may succeed; the API answers 503.
    #[error("object storage is unavailable: {0}")]
    Unavailable(String),
    /// The server refused the request: a locked version's delete or shortening, access denied,
    /// a malformed request.
    #[error("object storage refused the request ({code}): {message}")]
    Refused { code: String, message: String },
    /// No such bucket, key or version.
    #[error("not found in object storage: {0}")]
    NotFound(String),
    /// The version is under a retention still in force: Object Lock refuses to delete it.
    #[error("{key} version {version_id} is locked until {}", retain_until.map_or_else(|| "a time the server did not say".to_string(), |t| t.to_rfc3339()))]
    Locked {
        key: String,
        version_id: String,
        retain_until: Option<DateTime<Utc>>,
    },
    /// Reading the body to store failed (the client went away, a local file could not be read);
    /// nothing was stored.
    #[error("reading the body to store failed: {0}")]
    Body(std::io::Error),
    /// The request breaks Arreta's retention rules and was not sent.
    #[error("retention refused: {0}")]
    Retention(String),
    /// The store is not configured usably (endpoint, credentials, bucket names).
    #[error("object storage configuration: {0}")]
    Config(String),
    /// The filesystem store's own I/O failed.
    #[error("filesystem object store: {0}")]
    Filesystem(std::io::Error),
    /// The server answered something this client cannot read.
    #[error("object storage answered unexpectedly: {0}")]
    Protocol(String),
}

impl StorageError {
    /// Whether a retry later may succeed (the API's 503).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StorageError::Unavailable(_))
    }
}

/// Which implementation a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    S3,
    Filesystem,
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    fn kind(&self) -> BackendKind;

    /// Whether the store itself refuses deletes and shortened retention (WORM).
    fn enforces_worm(&self) -> bool;

    /// Creates the buckets that are missing, versioned with Object Lock, and gives `recordings`
    /// its COMPLIANCE default rule. Existing buckets are left as they are (see
    /// [`ObjectStore::check_recordings_lock`]).
    async fn ensure_buckets(&self) -> Result<(), StorageError>;

    /// Streams `body` into a new version of `key` with COMPLIANCE retention.
    async fn put(
        &self,
        bucket: Bucket,
        key: &str,
        body: ByteStream,
        options: PutOptions,
    ) -> Result<StoredObject, StorageError>;

    /// Streams one stored version.
    async fn get(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<ObjectBody, StorageError>;

    async fn stat(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<ObjectInfo, StorageError>;

    /// A short-lived URL to GET one version, where the store can give one.
    async fn presigned_get(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
        expiry: Duration,
    ) -> Result<Access, StorageError>;

    /// Deletes exactly one version (never the key's latest: no delete marker is written). A
    /// version whose retention is still in force is [`StorageError::Locked`]; one that is not
    /// there (already deleted) is [`StorageError::NotFound`].
    async fn delete_version(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<(), StorageError>;

    /// The lock configuration of a bucket as the server reports it.
    async fn bucket_lock(&self, bucket: Bucket) -> Result<BucketLock, StorageError>;

    /// Whether `recordings` is locked as the design requires: Object Lock on, default rule
    /// COMPLIANCE for at least the configured retention (never less than 1461 days).
    async fn check_recordings_lock(&self) -> Result<LockCheck, StorageError>;
}

/// The store the settings describe: S3 or the filesystem (under `auth.data_dir` unless
/// `storage.filesystem_root` says otherwise).
pub fn from_settings(settings: &Settings) -> Result<Arc<dyn ObjectStore>, StorageError> {
    let storage = &settings.storage;
    let policy = BucketPolicy {
        short_documents_lock_seconds: settings
            .retention
            .short_for_tests
            .as_ref()
            .map(|s| s.document_lock_seconds),
        ..storage.bucket_policy()
    };
    Ok(match storage.backend {
        StorageBackend::S3 => Arc::new(s3::S3Store::new(s3::S3Config {
            policy,
            ..s3::S3Config::from_settings(storage)
        })?),
        StorageBackend::Filesystem => Arc::new(filesystem::FilesystemStore::with_bucket_names(
            storage.filesystem_root(&settings.auth.data_dir),
            policy,
            &storage.recordings_bucket,
            &storage.documents_bucket,
        )),
    })
}

/// What the server does with a store at start, by profile.
#[derive(Debug, thiserror::Error)]
pub enum StartupRefusal {
    #[error(
        "the production profile refuses the filesystem object store: it does not enforce WORM retention (set storage.backend = \"s3\")"
    )]
    FilesystemInProduction,
    #[error("the recordings bucket {bucket} is not locked as required: {problem}")]
    RecordingsNotLocked {
        bucket: String,
        problem: LockProblem,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Builds the store and runs [`check_at_start`] on it.
pub async fn open_checked(settings: &Settings) -> Result<Arc<dyn ObjectStore>, StartupRefusal> {
    let store = from_settings(settings)?;
    check_at_start(settings, store.as_ref()).await?;
    Ok(store)
}

/// What `arreta serve` does with its store before taking requests: creates missing buckets and
/// checks the recordings bucket's lock. The production profile refuses the filesystem store, a
/// recordings bucket that is not COMPLIANCE for at least the configured retention, and a server
/// it cannot reach; the local profile warns (loudly for the filesystem) and goes on.
pub async fn check_at_start(
    settings: &Settings,
    store: &dyn ObjectStore,
) -> Result<(), StartupRefusal> {
    let production = settings.profile == Profile::Production;
    if !store.enforces_worm() {
        if production {
            return Err(StartupRefusal::FilesystemInProduction);
        }
        tracing::warn!(
            root = %settings.storage.filesystem_root(&settings.auth.data_dir).display(),
            "OBJECT STORAGE ON THE LOCAL FILESYSTEM: WORM IS NOT ENFORCED. Recordings and documents can be altered or deleted by anyone with access to this directory. Never use this for real records (the production profile refuses it)."
        );
    }
    match store.ensure_buckets().await {
        Ok(()) => {}
        Err(error) if production => return Err(error.into()),
        Err(error) => {
            tracing::warn!(%error, "object storage: could not ensure the buckets; uploads will fail until it answers");
            return Ok(());
        }
    }
    if !store.enforces_worm() {
        return Ok(());
    }
    match store.check_recordings_lock().await {
        Ok(LockCheck {
            problem: None,
            bucket_name,
            ..
        }) => {
            tracing::info!(bucket = %bucket_name, "recordings bucket locked: COMPLIANCE");
        }
        Ok(LockCheck {
            problem: Some(problem),
            bucket_name,
            ..
        }) => {
            if production {
                return Err(StartupRefusal::RecordingsNotLocked {
                    bucket: bucket_name,
                    problem,
                });
            }
            tracing::warn!(bucket = %bucket_name, %problem, "recordings bucket is not locked as required (the production profile refuses to start so)");
        }
        Err(error) if production => return Err(error.into()),
        Err(error) => {
            tracing::warn!(%error, "object storage: could not check the recordings bucket's lock")
        }
    }
    Ok(())
}

/// Retention rules of the two buckets, from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketPolicy {
    pub recordings_retention_days: u32,
    pub documents_retention_days: u32,
    /// Tests only (`retention.short_for_tests`, refused by the production profile): documents
    /// without a retention of their procedure are locked this many seconds instead of
    /// `documents_retention_days`, so a test sees their lock end.
    pub short_documents_lock_seconds: Option<u32>,
}

impl BucketPolicy {
    pub fn retention_days(&self, bucket: Bucket) -> u32 {
        match bucket {
            Bucket::Recordings => self.recordings_retention_days,
            Bucket::Documents => self.documents_retention_days,
        }
    }

    /// The retention a new version written at `now` gets: COMPLIANCE, until the explicit
    /// retain-until or `now` plus the bucket's days, in whole seconds. A recording's explicit
    /// retain-until must not be earlier than the configured retention allows.
    pub fn retention_for(
        &self,
        bucket: Bucket,
        now: DateTime<Utc>,
        explicit: Option<DateTime<Utc>>,
    ) -> Result<Retention, StorageError> {
        let period = match (bucket, self.short_documents_lock_seconds) {
            (Bucket::Documents, Some(seconds)) => chrono::Duration::seconds(i64::from(seconds)),
            _ => chrono::Duration::days(self.retention_days(bucket) as i64),
        };
        let default = whole_seconds(now + period);
        let retain_until = match explicit {
            None => default,
            Some(until) => {
                let until = whole_seconds(until);
                if until <= now {
                    return Err(StorageError::Retention(format!(
                        "retain-until {until} is not in the future"
                    )));
                }
                if bucket == Bucket::Recordings && until < default {
                    return Err(StorageError::Retention(format!(
                        "a recording is kept at least {} days (until {default}); {until} is earlier",
                        self.recordings_retention_days
                    )));
                }
                until
            }
        };
        Ok(Retention {
            mode: RetentionMode::Compliance,
            retain_until,
        })
    }
}

/// Rounds up to a whole second: S3 servers keep whole seconds (LocalStack rounds), and rounding
/// up keeps the promise "at least this long".
pub(crate) fn whole_seconds(time: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{SubsecRound, Timelike};
    if time.nanosecond() == 0 {
        time
    } else {
        time.trunc_subsecs(0) + chrono::Duration::seconds(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn policy() -> BucketPolicy {
        BucketPolicy {
            recordings_retention_days: 1461,
            documents_retention_days: 365,
            short_documents_lock_seconds: None,
        }
    }

    #[test]
    fn a_recording_is_kept_for_the_configured_days_from_now() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
            .single()
            .expect("time");
        let retention = policy()
            .retention_for(Bucket::Recordings, now, None)
            .expect("retention");
        assert_eq!(retention.mode, RetentionMode::Compliance);
        assert_eq!(
            retention.retain_until,
            Utc.with_ymd_and_hms(2030, 11, 28, 10, 0, 0)
                .single()
                .expect("time")
        );
    }

    #[test]
    fn a_recording_may_not_be_kept_shorter_but_a_document_may() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
            .single()
            .expect("time");
        let sooner = now + chrono::Duration::days(30);
        assert!(matches!(
            policy().retention_for(Bucket::Recordings, now, Some(sooner)),
            Err(StorageError::Retention(_))
        ));
        let document = policy()
            .retention_for(Bucket::Documents, now, Some(sooner))
            .expect("document retention");
        assert_eq!(document.retain_until, sooner);
        assert!(matches!(
            policy().retention_for(Bucket::Documents, now, Some(now)),
            Err(StorageError::Retention(_))
        ));
    }

    #[test]
    fn sub_seconds_round_up_never_down() {
        let time = Utc
            .with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
            .single()
            .expect("time")
            + chrono::Duration::milliseconds(1);
        assert_eq!(
            whole_seconds(time),
            Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 1)
                .single()
                .expect("time")
        );
    }
}
