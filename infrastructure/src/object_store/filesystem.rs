//! The local default: objects as files, for a developer's machine. Nothing here is WORM: the
//! files can be changed or deleted by anyone with access to the directory, and the production
//! profile refuses this store.
//!
//! Layout under the root: `BUCKET/KEYHASH/VERSION.bin` holds the bytes and `VERSION.json` their
//! sidecar (key, size, SHA-256, content type, retention, time written), where KEYHASH is the
//! SHA-256 of the key (any key is then one safe directory name) and VERSION a UUIDv7. The
//! sidecar is written last: a version without one was never completed and is not seen.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::hashing::{PartReader, reader_stream};
use super::lock_policy::{BucketLock, LockProblem};
use super::{
    Access, BackendKind, Bucket, BucketPolicy, ByteStream, LockCheck, ObjectBody, ObjectInfo,
    ObjectStore, PutOptions, Retention, RetentionMode, StorageError, StoredObject,
};

/// Bytes written to the file per write call.
const WRITE_CHUNK: usize = 1024 * 1024;

pub struct FilesystemStore {
    root: PathBuf,
    policy: BucketPolicy,
    recordings_bucket: String,
    documents_bucket: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Sidecar {
    key: String,
    version_id: String,
    size: u64,
    sha256: String,
    content_type: Option<String>,
    retain_until: DateTime<Utc>,
    written_at: DateTime<Utc>,
}

impl FilesystemStore {
    /// A store under `root` with the default bucket directory names.
    pub fn new(root: PathBuf, policy: BucketPolicy) -> Self {
        Self::with_bucket_names(root, policy, "recordings", "documents")
    }

    pub fn with_bucket_names(
        root: PathBuf,
        policy: BucketPolicy,
        recordings: &str,
        documents: &str,
    ) -> Self {
        FilesystemStore {
            root,
            policy,
            recordings_bucket: recordings.to_string(),
            documents_bucket: documents.to_string(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn bucket_dir(&self, bucket: Bucket) -> PathBuf {
        self.root.join(match bucket {
            Bucket::Recordings => &self.recordings_bucket,
            Bucket::Documents => &self.documents_bucket,
        })
    }

    fn key_dir(&self, bucket: Bucket, key: &str) -> PathBuf {
        self.bucket_dir(bucket)
            .join(hex::encode(Sha256::digest(key.as_bytes())))
    }

    fn version_paths(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<(PathBuf, PathBuf), StorageError> {
        // Only versions this store made: a UUID, so never a path.
        let version = Uuid::parse_str(version_id).map_err(|_| {
            StorageError::NotFound(format!("{bucket}/{key} has no version {version_id:?}"))
        })?;
        let dir = self.key_dir(bucket, key);
        Ok((
            dir.join(format!("{version}.bin")),
            dir.join(format!("{version}.json")),
        ))
    }

    async fn read_sidecar(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<(PathBuf, Sidecar), StorageError> {
        let (data, sidecar) = self.version_paths(bucket, key, version_id)?;
        let text = match tokio::fs::read(&sidecar).await {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::NotFound(format!(
                    "{bucket}/{key} version {version_id}"
                )));
            }
            Err(e) => return Err(StorageError::Filesystem(e)),
        };
        let sidecar: Sidecar = serde_json::from_slice(&text)
            .map_err(|e| StorageError::Protocol(format!("sidecar {}: {e}", sidecar.display())))?;
        if sidecar.key != key {
            return Err(StorageError::NotFound(format!(
                "{bucket}/{key} version {version_id}"
            )));
        }
        Ok((data, sidecar))
    }

    fn info(bucket: Bucket, sidecar: &Sidecar) -> ObjectInfo {
        ObjectInfo {
            bucket,
            key: sidecar.key.clone(),
            version_id: sidecar.version_id.clone(),
            size: sidecar.size,
            content_type: sidecar.content_type.clone(),
            retention: Some(Retention {
                mode: RetentionMode::Compliance,
                retain_until: sidecar.retain_until,
            }),
            last_modified: Some(sidecar.written_at),
        }
    }

    async fn write_version(
        &self,
        dir: &Path,
        version: Uuid,
        body: ByteStream,
    ) -> Result<(PathBuf, u64, String), StorageError> {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(StorageError::Filesystem)?;
        let temporary = dir.join(format!(".{version}.partial"));
        let mut file = tokio::fs::File::create(&temporary)
            .await
            .map_err(StorageError::Filesystem)?;
        let mut reader = PartReader::new(body);
        let written = async {
            loop {
                let part = reader
                    .next_part(WRITE_CHUNK)
                    .await
                    .map_err(StorageError::Body)?;
                if part.is_empty() {
                    break;
                }
                for chunk in &part.chunks {
                    file.write_all(chunk)
                        .await
                        .map_err(StorageError::Filesystem)?;
                }
            }
            file.flush().await.map_err(StorageError::Filesystem)?;
            file.sync_all().await.map_err(StorageError::Filesystem)
        }
        .await;
        drop(file);
        if let Err(error) = written {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(error);
        }
        let (size, sha256) = reader.finish();
        Ok((temporary, size, sha256))
    }
}

#[async_trait]
impl ObjectStore for FilesystemStore {
    fn kind(&self) -> BackendKind {
        BackendKind::Filesystem
    }

    fn enforces_worm(&self) -> bool {
        false
    }

    async fn ensure_buckets(&self) -> Result<(), StorageError> {
        for bucket in [Bucket::Recordings, Bucket::Documents] {
            tokio::fs::create_dir_all(self.bucket_dir(bucket))
                .await
                .map_err(StorageError::Filesystem)?;
        }
        Ok(())
    }

    async fn put(
        &self,
        bucket: Bucket,
        key: &str,
        body: ByteStream,
        options: PutOptions,
    ) -> Result<StoredObject, StorageError> {
        if key.is_empty() {
            return Err(StorageError::Refused {
                code: "InvalidKey".into(),
                message: "an object key may not be empty".into(),
            });
        }
        let now = Utc::now();
        let retention = self
            .policy
            .retention_for(bucket, now, options.retain_until)?;
        let version = Uuid::now_v7();
        let dir = self.key_dir(bucket, key);
        let (temporary, size, sha256) = self.write_version(&dir, version, body).await?;
        let data = dir.join(format!("{version}.bin"));
        let sidecar_path = dir.join(format!("{version}.json"));
        let sidecar = Sidecar {
            key: key.to_string(),
            version_id: version.to_string(),
            size,
            sha256: sha256.clone(),
            content_type: options.content_type,
            retain_until: retention.retain_until,
            written_at: now,
        };
        let committed = async {
            tokio::fs::rename(&temporary, &data).await?;
            let text = serde_json::to_vec_pretty(&sidecar).map_err(std::io::Error::other)?;
            let sidecar_temporary = dir.join(format!(".{version}.json.partial"));
            tokio::fs::write(&sidecar_temporary, text).await?;
            tokio::fs::rename(&sidecar_temporary, &sidecar_path).await?;
            // A reminder, not a protection: the owner can still change it back.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                for path in [&data, &sidecar_path] {
                    tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444))
                        .await?;
                }
            }
            Ok::<(), std::io::Error>(())
        }
        .await;
        if let Err(error) = committed {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(StorageError::Filesystem(error));
        }
        Ok(StoredObject {
            bucket,
            key: key.to_string(),
            version_id: version.to_string(),
            size,
            sha256,
            retention,
        })
    }

    async fn get(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<ObjectBody, StorageError> {
        let (data, sidecar) = self.read_sidecar(bucket, key, version_id).await?;
        let file = tokio::fs::File::open(&data).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                StorageError::NotFound(format!("{bucket}/{key} version {version_id}"))
            } else {
                StorageError::Filesystem(e)
            }
        })?;
        Ok(ObjectBody {
            info: Self::info(bucket, &sidecar),
            body: reader_stream(file),
        })
    }

    async fn stat(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<ObjectInfo, StorageError> {
        let (_, sidecar) = self.read_sidecar(bucket, key, version_id).await?;
        Ok(Self::info(bucket, &sidecar))
    }

    async fn presigned_get(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
        _expiry: Duration,
    ) -> Result<Access, StorageError> {
        self.read_sidecar(bucket, key, version_id).await?;
        Ok(Access::StreamOnly)
    }

    /// Keeps S3's rule although nothing here enforces it: a version is deleted only once its
    /// retain-until has passed, so the local profile purges as production does.
    async fn delete_version(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<(), StorageError> {
        let (data, sidecar) = self.read_sidecar(bucket, key, version_id).await?;
        if sidecar.retain_until > Utc::now() {
            return Err(StorageError::Locked {
                key: key.to_string(),
                version_id: version_id.to_string(),
                retain_until: Some(sidecar.retain_until),
            });
        }
        let (_, sidecar_path) = self.version_paths(bucket, key, version_id)?;
        // The sidecar first: a version without one is not seen, so a crash between the two
        // leaves only unreachable bytes, never a version that reads as present but is not.
        for path in [sidecar_path, data] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::Filesystem(e)),
            }
        }
        Ok(())
    }

    async fn bucket_lock(&self, _bucket: Bucket) -> Result<BucketLock, StorageError> {
        Ok(BucketLock::default())
    }

    async fn check_recordings_lock(&self) -> Result<LockCheck, StorageError> {
        Ok(LockCheck {
            bucket_name: self.bucket_dir(Bucket::Recordings).display().to_string(),
            found: BucketLock::default(),
            problem: Some(LockProblem::NotLocked),
        })
    }
}

impl FilesystemStore {
    /// The SHA-256 recorded when the version was written (to compare with what is read back).
    pub async fn recorded_sha256(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<String, StorageError> {
        Ok(self.read_sidecar(bucket, key, version_id).await?.1.sha256)
    }
}
