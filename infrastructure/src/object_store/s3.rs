//! The S3 store, on the `minio` crate: MinIO in production, LocalStack's S3 in tests, any S3
//! server with Object Lock.
//!
//! A put reads the body one part at a time (`part_size` bytes, at least 5 MiB). A body that fits
//! in one part is one PUT; a longer one is a multipart upload whose lock headers (COMPLIANCE and
//! the retain-until) go on CreateMultipartUpload. Every PUT of bytes carries their SHA-256
//! checksum (`x-amz-checksum-sha256`) and their Content-MD5, which the server verifies (AWS-like
//! servers demand one of them with lock headers), and the lock configuration PUT carries its
//! Content-MD5. After the upload, the new version's retention is read back from the server: the
//! put fails if the server did not apply COMPLIANCE until at least the requested time.
//!
//! Every request is bounded by `request_timeout` (a download, between two chunks); a connection
//! that fails or a request that times out is [`StorageError::Unavailable`].

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use futures_util::TryStreamExt;
use minio::s3::builders::{ObjectToDelete, UploadPart};
use minio::s3::client::{MinioClient, MinioClientBuilder};
use minio::s3::creds::StaticProvider;
use minio::s3::error::{Error as MinioError, NetworkError, S3ServerError, ValidationErr};
use minio::s3::http::BaseUrl;
use minio::s3::minio_error_response::MinioErrorCode;
use minio::s3::multimap_ext::{Multimap, MultimapExt};
use minio::s3::response_traits::{HasChecksumHeaders, HasEtagFromHeaders, HasS3Fields, HasVersion};
use minio::s3::segmented_bytes::SegmentedBytes;
use minio::s3::types::{
    BucketName, ObjectKey, ObjectLockConfig, PartInfo, Region, Retention as S3Retention,
    RetentionMode as S3Mode, S3Api, VersionId,
};
use minio::s3::utils::ChecksumAlgorithm;

use super::hashing::{Part, PartReader, with_idle_timeout};
use super::lock_policy::{BucketLock, judge_recordings_lock};
use super::{
    Access, BackendKind, Bucket, BucketPolicy, ByteStream, LockCheck, ObjectBody, ObjectInfo,
    ObjectStore, PutOptions, Retention, RetentionMode, StorageError, StoredObject,
};
use crate::config::StorageSettings;

/// S3's smallest part (but the last).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's largest part.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Longest presigned URL this store hands out.
pub const MAX_PRESIGNED_SECONDS: u64 = 3600;

/// Everything an [`S3Store`] needs; [`S3Store::from_settings`] fills it from `[storage]`.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// `http(s)://host:port` of the S3 server.
    pub endpoint: String,
    pub region: String,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub recordings_bucket: String,
    pub documents_bucket: String,
    pub policy: BucketPolicy,
    pub part_size: u64,
    pub request_timeout: Duration,
}

impl S3Config {
    /// The configuration `[storage]` describes.
    pub fn from_settings(settings: &StorageSettings) -> Self {
        S3Config {
            endpoint: settings.endpoint.clone(),
            region: settings.region.clone(),
            access_key: settings.access_key.clone(),
            secret_key: settings.secret_key.clone(),
            recordings_bucket: settings.recordings_bucket.clone(),
            documents_bucket: settings.documents_bucket.clone(),
            policy: settings.bucket_policy(),
            part_size: settings.part_size_bytes,
            request_timeout: Duration::from_secs(settings.request_timeout_seconds),
        }
    }
}

pub struct S3Store {
    client: MinioClient,
    config: S3Config,
}

impl S3Store {
    pub fn new(config: S3Config) -> Result<Self, StorageError> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&config.part_size) {
            return Err(StorageError::Config(format!(
                "part size {} is outside S3's {MIN_PART_SIZE}..={MAX_PART_SIZE} bytes",
                config.part_size
            )));
        }
        let mut base = BaseUrl::from_str(&config.endpoint)
            .map_err(|e| StorageError::Config(format!("endpoint {:?}: {e}", config.endpoint)))?;
        base.region = Region::new(&config.region)
            .map_err(|e| StorageError::Config(format!("region {:?}: {e}", config.region)))?;
        let provider = match (&config.access_key, &config.secret_key) {
            (Some(access), Some(secret)) => Some(StaticProvider::new(access, secret, None)),
            (None, None) => None,
            _ => {
                return Err(StorageError::Config(
                    "storage.access_key and storage.secret_key go together".into(),
                ));
            }
        };
        let client = MinioClientBuilder::new(base)
            .provider(provider)
            .app_info(Some((
                "arreta".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            )))
            .build()
            .map_err(|e| StorageError::Config(format!("S3 client: {e}")))?;
        Ok(S3Store { client, config })
    }

    pub fn from_settings(settings: &StorageSettings) -> Result<Self, StorageError> {
        Self::new(S3Config::from_settings(settings))
    }

    /// The underlying client, for operations outside the trait (tests trying to break a lock).
    pub fn client(&self) -> &MinioClient {
        &self.client
    }

    pub fn config(&self) -> &S3Config {
        &self.config
    }

    pub fn bucket_name(&self, bucket: Bucket) -> &str {
        match bucket {
            Bucket::Recordings => &self.config.recordings_bucket,
            Bucket::Documents => &self.config.documents_bucket,
        }
    }

    /// One request, bounded in time, its errors classified.
    async fn call<T>(
        &self,
        what: &str,
        request: impl Future<Output = Result<T, MinioError>>,
    ) -> Result<T, StorageError> {
        match tokio::time::timeout(self.config.request_timeout, request).await {
            Ok(result) => result.map_err(|e| classify(what, e)),
            Err(_) => Err(StorageError::Unavailable(format!(
                "{what}: no answer within {} s",
                self.config.request_timeout.as_secs()
            ))),
        }
    }

    /// Creates `name` with Object Lock (hence versioned) and, when given, a default retention
    /// rule. A bucket that already exists is left as it is.
    pub async fn create_locked_bucket(
        &self,
        name: &str,
        default_rule: Option<(RetentionMode, u32)>,
    ) -> Result<(), StorageError> {
        let exists = self
            .call("bucket exists", async {
                self.client.bucket_exists(name)?.build().send().await
            })
            .await?
            .exists();
        if exists {
            return Ok(());
        }
        let created = self
            .call("create bucket", async {
                self.client
                    .create_bucket(name)?
                    .object_lock(true)
                    .build()
                    .send()
                    .await
            })
            .await;
        match created {
            Ok(_) => {}
            // Another replica made it in the meantime.
            Err(StorageError::Refused { code, .. })
                if code.eq_ignore_ascii_case("BucketAlreadyOwnedByYou")
                    || code.eq_ignore_ascii_case("BucketAlreadyExists") =>
            {
                return Ok(());
            }
            Err(error) => return Err(error),
        }
        tracing::info!(bucket = name, "created bucket with Object Lock");
        if let Some((mode, days)) = default_rule {
            self.put_default_rule(name, mode, days).await?;
            tracing::info!(bucket = name, %mode, days, "set the bucket's default retention");
        }
        Ok(())
    }

    /// Sets a bucket's default retention rule (with the Content-MD5 S3 demands).
    pub async fn put_default_rule(
        &self,
        name: &str,
        mode: RetentionMode,
        days: u32,
    ) -> Result<(), StorageError> {
        let days = i32::try_from(days)
            .map_err(|_| StorageError::Retention(format!("{days} days is too long")))?;
        let config = ObjectLockConfig::new(to_s3_mode(mode), Some(days), None)
            .map_err(|e| StorageError::Retention(e.to_string()))?;
        let mut headers = Multimap::new();
        headers.add(
            "Content-MD5",
            minio::s3::utils::md5sum_hash(config.to_xml().as_bytes()),
        );
        self.call("put object lock configuration", async {
            self.client
                .put_object_lock_config(name)?
                .config(config)
                .extra_headers(Some(headers))
                .build()
                .send()
                .await
        })
        .await?;
        Ok(())
    }

    /// The lock configuration of a bucket by name.
    pub async fn lock_of(&self, name: &str) -> Result<BucketLock, StorageError> {
        let answer = self
            .call("get object lock configuration", async {
                self.client
                    .get_object_lock_config(name)?
                    .build()
                    .send()
                    .await
            })
            .await;
        let response = match answer {
            Ok(response) => response,
            Err(StorageError::Refused { code, .. })
                if code.eq_ignore_ascii_case("ObjectLockConfigurationNotFoundError")
                    || code.eq_ignore_ascii_case("NoSuchObjectLockConfiguration") =>
            {
                return Ok(BucketLock::default());
            }
            Err(error) => return Err(error),
        };
        let config = response
            .config()
            .map_err(|e| StorageError::Protocol(format!("object lock configuration: {e}")))?;
        Ok(BucketLock::from_rule(
            config.retention_mode.map(from_s3_mode),
            config.retention_duration_days,
            config.retention_duration_years,
        ))
    }

    async fn put_single(
        &self,
        name: &str,
        key: &str,
        part: Part,
        retention: &S3Retention,
        content_type: Option<String>,
    ) -> Result<String, StorageError> {
        let invalid = |e: ValidationErr| StorageError::Config(format!("{name}/{key}: {e}"));
        let request = UploadPart::builder()
            .client(self.client.clone())
            .bucket(BucketName::try_from(name).map_err(invalid)?)
            .object(ObjectKey::try_from(key).map_err(invalid)?)
            .retention(Some(retention.clone()))
            .content_type(content_type)
            .checksum_algorithm(Some(ChecksumAlgorithm::SHA256))
            .extra_headers(Some(content_md5(&part)))
            .data(std::sync::Arc::new(segmented(part)))
            .build();
        let response = self
            .call("put object", async { request.send().await })
            .await?;
        version_of(response.version_id())
    }

    async fn put_multipart(
        &self,
        name: &str,
        key: &str,
        first: Part,
        reader: &mut PartReader,
        retention: &S3Retention,
        content_type: Option<String>,
    ) -> Result<String, StorageError> {
        let created = self
            .call("create multipart upload", async {
                self.client
                    .create_multipart_upload(name, key)?
                    .retention(Some(retention.clone()))
                    .content_type(content_type)
                    .checksum_algorithm(Some(ChecksumAlgorithm::SHA256))
                    .build()
                    .send()
                    .await
            })
            .await?;
        let upload_id = created
            .upload_id()
            .await
            .map_err(|e| StorageError::Protocol(format!("multipart upload id: {e}")))?;
        let uploaded = self
            .upload_parts(name, key, &upload_id, first, reader)
            .await;
        let completed = match uploaded {
            Ok(parts) => {
                self.call("complete multipart upload", async {
                    self.client
                        .complete_multipart_upload(name, key, upload_id.clone(), parts)?
                        .checksum_algorithm(Some(ChecksumAlgorithm::SHA256))
                        .build()
                        .send()
                        .await
                })
                .await
            }
            Err(error) => Err(error),
        };
        match completed {
            Ok(response) => version_of(response.version_id()),
            Err(error) => {
                let aborted = self
                    .call("abort multipart upload", async {
                        self.client
                            .abort_multipart_upload(name, key, upload_id.clone())?
                            .build()
                            .send()
                            .await
                    })
                    .await;
                if let Err(abort_error) = aborted {
                    tracing::warn!(bucket = name, key, %abort_error, "could not abort a failed multipart upload (the server's lifecycle rules must clean it up)");
                }
                Err(error)
            }
        }
    }

    async fn upload_parts(
        &self,
        name: &str,
        key: &str,
        upload_id: &minio::s3::types::UploadId,
        first: Part,
        reader: &mut PartReader,
    ) -> Result<Vec<PartInfo>, StorageError> {
        let mut parts = Vec::new();
        let mut next = Some(first);
        let mut number: u16 = 0;
        loop {
            let part = match next.take() {
                Some(part) => part,
                None => reader
                    .next_part(self.part_size())
                    .await
                    .map_err(StorageError::Body)?,
            };
            if part.is_empty() {
                break;
            }
            number = number
                .checked_add(1)
                .filter(|n| *n <= 10_000)
                .ok_or_else(|| StorageError::Refused {
                    code: "TooManyParts".into(),
                    message: "the body needs more than 10,000 parts: raise storage.part_size_bytes"
                        .into(),
                })?;
            let size = part.len as u64;
            let md5 = content_md5(&part);
            let response = self
                .call("upload part", async {
                    self.client
                        .upload_part(name, key, upload_id.clone(), number, segmented(part))?
                        .checksum_algorithm(Some(ChecksumAlgorithm::SHA256))
                        .extra_headers(Some(md5))
                        .build()
                        .send()
                        .await
                })
                .await?;
            let etag = response
                .etag()
                .map_err(|e| StorageError::Protocol(format!("part {number} ETag: {e}")))?;
            let checksum = response
                .get_checksum(ChecksumAlgorithm::SHA256)
                .map(|value| (ChecksumAlgorithm::SHA256, value));
            parts.push(PartInfo::new(number, etag, size, checksum));
        }
        Ok(parts)
    }

    fn part_size(&self) -> usize {
        usize::try_from(self.config.part_size).unwrap_or(usize::MAX)
    }

    async fn stat_named(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<ObjectInfo, StorageError> {
        let name = self.bucket_name(bucket);
        let version = VersionId::new(version_id)
            .map_err(|e| StorageError::NotFound(format!("version {version_id:?}: {e}")))?;
        let response = self
            .call("stat object", async {
                self.client
                    .stat_object(name, key)?
                    .version_id(Some(version))
                    .build()
                    .send()
                    .await
            })
            .await?;
        let protocol = |e: ValidationErr| StorageError::Protocol(format!("stat {key}: {e}"));
        let retention = match (
            response.retention_mode().map_err(protocol)?,
            response.retention_retain_until_date().map_err(protocol)?,
        ) {
            (Some(mode), Some(retain_until)) => Some(Retention {
                mode: from_s3_mode(mode),
                retain_until,
            }),
            _ => None,
        };
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(ObjectInfo {
            bucket,
            key: key.to_string(),
            version_id: response
                .version_id()
                .map(|v| v.to_string())
                .unwrap_or_else(|| version_id.to_string()),
            size: response.size().map_err(protocol)?,
            content_type,
            retention,
            last_modified: response.last_modified().map_err(protocol)?,
        })
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    fn kind(&self) -> BackendKind {
        BackendKind::S3
    }

    fn enforces_worm(&self) -> bool {
        true
    }

    async fn ensure_buckets(&self) -> Result<(), StorageError> {
        let days = self.config.policy.recordings_retention_days;
        self.create_locked_bucket(
            &self.config.recordings_bucket,
            Some((RetentionMode::Compliance, days)),
        )
        .await?;
        self.create_locked_bucket(&self.config.documents_bucket, None)
            .await
    }

    async fn put(
        &self,
        bucket: Bucket,
        key: &str,
        body: ByteStream,
        options: PutOptions,
    ) -> Result<StoredObject, StorageError> {
        let name = self.bucket_name(bucket).to_string();
        let retention =
            self.config
                .policy
                .retention_for(bucket, Utc::now(), options.retain_until)?;
        let s3_retention = S3Retention {
            mode: to_s3_mode(retention.mode),
            retain_until_date: retention.retain_until,
        };
        let mut reader = PartReader::new(body);
        let first = reader
            .next_part(self.part_size())
            .await
            .map_err(StorageError::Body)?;
        let single = (first.len as u64) < self.config.part_size
            || !has_more(&mut reader).await.map_err(StorageError::Body)?;
        let version_id = if single {
            self.put_single(&name, key, first, &s3_retention, options.content_type)
                .await?
        } else {
            self.put_multipart(
                &name,
                key,
                first,
                &mut reader,
                &s3_retention,
                options.content_type,
            )
            .await?
        };
        let (size, sha256) = reader.finish();
        // What the server holds, not what was asked for.
        let stored = self.stat_named(bucket, key, &version_id).await?;
        let held = stored.retention.ok_or_else(|| {
            StorageError::Protocol(format!(
                "{name}/{key} version {version_id} was stored without retention: is Object Lock enabled on the bucket?"
            ))
        })?;
        if held.mode != RetentionMode::Compliance || held.retain_until < retention.retain_until {
            return Err(StorageError::Protocol(format!(
                "{name}/{key} version {version_id} holds {} until {}, not COMPLIANCE until {}",
                held.mode, held.retain_until, retention.retain_until
            )));
        }
        if stored.size != size {
            return Err(StorageError::Protocol(format!(
                "{name}/{key} version {version_id} holds {} bytes, {size} were sent",
                stored.size
            )));
        }
        Ok(StoredObject {
            bucket,
            key: key.to_string(),
            version_id,
            size,
            sha256,
            retention: held,
        })
    }

    async fn get(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<ObjectBody, StorageError> {
        let info = self.stat_named(bucket, key, version_id).await?;
        let name = self.bucket_name(bucket);
        let response = self
            .call("get object", async {
                self.client
                    .get_object(name, key)?
                    .version_id(Some(version_id.to_string()))
                    .build()
                    .send()
                    .await
            })
            .await?;
        let (stream, _) = response
            .into_boxed_stream()
            .map_err(|e| classify("get object", e))?;
        Ok(ObjectBody {
            info,
            body: with_idle_timeout(
                Box::pin(stream.map_err(std::io::Error::other)),
                self.config.request_timeout,
            ),
        })
    }

    async fn stat(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<ObjectInfo, StorageError> {
        self.stat_named(bucket, key, version_id).await
    }

    async fn presigned_get(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
        expiry: Duration,
    ) -> Result<Access, StorageError> {
        let seconds = expiry.as_secs().clamp(1, MAX_PRESIGNED_SECONDS);
        let name = self.bucket_name(bucket);
        let version = VersionId::new(version_id)
            .map_err(|e| StorageError::NotFound(format!("version {version_id:?}: {e}")))?;
        let requested_at = Utc::now();
        let response = self
            .call("presign get object", async {
                self.client
                    .get_presigned_object_url(name, key, http::Method::GET)?
                    .version_id(Some(version))
                    .expiry_seconds(Some(seconds as u32))
                    .build()
                    .send()
                    .await
            })
            .await?;
        Ok(Access::Presigned {
            url: response.url,
            expires_at: requested_at + chrono::Duration::seconds(seconds as i64),
        })
    }

    async fn delete_version(
        &self,
        bucket: Bucket,
        key: &str,
        version_id: &str,
    ) -> Result<(), StorageError> {
        let name = self.bucket_name(bucket);
        let version = VersionId::new(version_id)
            .map_err(|e| StorageError::NotFound(format!("version {version_id:?}: {e}")))?;
        let target = ObjectToDelete::try_from((key, version))
            .map_err(|e| StorageError::Config(format!("delete {key} {version_id}: {e}")))?;
        let deleted = self
            .call("delete object version", async {
                self.client
                    .delete_object(name, target)?
                    .build()
                    .send()
                    .await
            })
            .await;
        match deleted {
            Ok(_) => Ok(()),
            // S3 says AccessDenied for a locked version, as for a missing permission: the
            // version's own retention tells them apart.
            Err(StorageError::Refused { code, message }) => {
                match self.stat_named(bucket, key, version_id).await {
                    Ok(ObjectInfo {
                        retention: Some(retention),
                        ..
                    }) if retention.retain_until > Utc::now() => Err(StorageError::Locked {
                        key: key.to_string(),
                        version_id: version_id.to_string(),
                        retain_until: Some(retention.retain_until),
                    }),
                    _ => Err(StorageError::Refused { code, message }),
                }
            }
            Err(other) => Err(other),
        }
    }

    async fn bucket_lock(&self, bucket: Bucket) -> Result<BucketLock, StorageError> {
        self.lock_of(self.bucket_name(bucket)).await
    }

    async fn check_recordings_lock(&self) -> Result<LockCheck, StorageError> {
        let found = self.bucket_lock(Bucket::Recordings).await?;
        Ok(LockCheck {
            bucket_name: self.config.recordings_bucket.clone(),
            found,
            problem: judge_recordings_lock(&found, self.config.policy.recordings_retention_days)
                .err(),
        })
    }
}

/// Sets a version's retention (the server refuses shortening COMPLIANCE or switching it to
/// GOVERNANCE).
pub async fn put_retention(
    store: &S3Store,
    bucket: Bucket,
    key: &str,
    version_id: &str,
    retention: Retention,
) -> Result<(), StorageError> {
    let name = store.bucket_name(bucket);
    let version = VersionId::new(version_id)
        .map_err(|e| StorageError::NotFound(format!("version {version_id:?}: {e}")))?;
    store
        .call("put object retention", async {
            store
                .client
                .put_object_retention(name, key)?
                .version_id(Some(version))
                .retention_mode(Some(to_s3_mode(retention.mode)))
                .retain_until_date(Some(retention.retain_until))
                .build()
                .send()
                .await
        })
        .await?;
    Ok(())
}

async fn has_more(reader: &mut PartReader) -> std::io::Result<bool> {
    reader.peek_more().await
}

/// The `Content-MD5` header of a part's bytes.
fn content_md5(part: &Part) -> Multimap {
    use base64::Engine;
    use md5::{Digest, Md5};
    let mut hasher = Md5::new();
    for chunk in &part.chunks {
        hasher.update(chunk);
    }
    let mut headers = Multimap::new();
    headers.add(
        "Content-MD5",
        base64::engine::general_purpose::STANDARD.encode(hasher.finalize()),
    );
    headers
}

fn segmented(part: Part) -> SegmentedBytes {
    let mut bytes = SegmentedBytes::new();
    for chunk in part.chunks {
        bytes.append(chunk);
    }
    bytes
}

fn version_of(version: Option<VersionId>) -> Result<String, StorageError> {
    version.map(|v| v.to_string()).ok_or_else(|| {
        StorageError::Protocol(
            "the server returned no version id: is the bucket versioned with Object Lock?".into(),
        )
    })
}

fn to_s3_mode(mode: RetentionMode) -> S3Mode {
    match mode {
        RetentionMode::Compliance => S3Mode::COMPLIANCE,
        RetentionMode::Governance => S3Mode::GOVERNANCE,
    }
}

fn from_s3_mode(mode: S3Mode) -> RetentionMode {
    match mode {
        S3Mode::COMPLIANCE => RetentionMode::Compliance,
        S3Mode::GOVERNANCE => RetentionMode::Governance,
    }
}

/// Which of "unavailable", "refused" and "not found" a client error is.
fn classify(what: &str, error: MinioError) -> StorageError {
    match error {
        MinioError::Network(NetworkError::ReqwestError(e)) => {
            StorageError::Unavailable(format!("{what}: {e}"))
        }
        MinioError::Network(NetworkError::ServerError(status)) if status >= 500 => {
            StorageError::Unavailable(format!("{what}: HTTP {status}"))
        }
        MinioError::Network(NetworkError::ServerError(status)) => StorageError::Refused {
            code: format!("HTTP {status}"),
            message: what.to_string(),
        },
        // Connection refused, reset, DNS, TLS: reqwest's error before any answer.
        MinioError::Validation(ValidationErr::HttpError(e)) if e.is_builder() => {
            StorageError::Config(format!("{what}: {e}"))
        }
        MinioError::Validation(ValidationErr::HttpError(e)) => {
            StorageError::Unavailable(format!("{what}: {}", error_chain(&e)))
        }
        MinioError::Validation(ValidationErr::IOError(e)) => {
            StorageError::Unavailable(format!("{what}: {e}"))
        }
        MinioError::S3Server(S3ServerError::S3Error(response)) => {
            let code = match response.code() {
                MinioErrorCode::OtherError(code) => code,
                code => code.to_string(),
            };
            let message = response.message().clone().unwrap_or_default();
            // The client keeps codes it does not know in lowercase.
            match code.to_ascii_lowercase().as_str() {
                "nosuchkey" | "nosuchbucket" | "nosuchversion" | "resourcenotfound" => {
                    StorageError::NotFound(format!("{what}: {code}: {message}"))
                }
                "internalerror" | "serviceunavailable" | "slowdown" | "requesttimeout" => {
                    StorageError::Unavailable(format!("{what}: {code}: {message}"))
                }
                _ => StorageError::Refused {
                    code,
                    message: format!("{what}: {message}"),
                },
            }
        }
        MinioError::S3Server(S3ServerError::InvalidServerResponse {
            http_status_code, ..
        })
        | MinioError::S3Server(S3ServerError::HttpError(http_status_code, _))
            if http_status_code >= 500 =>
        {
            StorageError::Unavailable(format!("{what}: HTTP {http_status_code}"))
        }
        MinioError::Validation(e) => StorageError::Protocol(format!("{what}: {e}")),
        other => StorageError::Protocol(format!("{what}: {other}")),
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
