//! Uploading a document into a case's private space: the case is asked first (nothing is stored
//! for a case that would refuse it, since stored versions are locked), the type is taken from the
//! first bytes, the body is streamed into the documents bucket with its SHA-256 computed on the
//! way and its size bounded, and only then is `DocumentAttached` written.
//!
//! A body is never held whole in memory: the store reads at most one part at a time.

use bytes::Bytes;
use domain::citizen_request::{
    AttachDocument, AttachedDocument, DocumentMediaType, SNIFF_BYTES, sanitise_file_name,
};
use domain::metadata::EventMetadata;
use futures_util::StreamExt;
use uuid::Uuid;

use crate::booking::{BookingError, BookingService};
use crate::object_store::{Bucket, ByteStream, ObjectStore, PutOptions, StorageError};

/// Why an upload stored nothing (or, for [`UploadError::Case`] after the put, stored an object
/// the case then refused: logged, and left to its retention).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Case(#[from] BookingError),
    #[error("only PDF, JPEG and PNG documents are accepted")]
    UnsupportedType,
    #[error("the document is larger than {max} bytes")]
    TooLarge { max: u64 },
    /// Reading the request body failed (the client went away).
    #[error("reading the upload failed: {0}")]
    Body(std::io::Error),
    #[error(transparent)]
    Storage(StorageError),
}

/// One upload as the api received it.
pub struct Upload {
    pub request_id: Uuid,
    /// The name the client gave (query or `Content-Disposition`), not yet sanitised.
    pub file_name: Option<String>,
    /// `Content-Length`, when the client sent one.
    pub declared_length: Option<u64>,
    pub body: ByteStream,
    /// The actor: `citizen:<request>` or `staff:<id>`.
    pub uploaded_by: String,
}

/// The document as recorded, and the case's version after it.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub document: AttachedDocument,
    pub version: usize,
}

/// The error a size-bounded body ends with, recognised after the store gives up.
#[derive(Debug, thiserror::Error)]
#[error("the body is larger than {max} bytes")]
struct BodyTooLarge {
    max: u64,
}

fn too_large(error: &std::io::Error) -> Option<u64> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<BodyTooLarge>())
        .map(|e| e.max)
}

/// `body` that ends with a [`BodyTooLarge`] error as soon as more than `max` bytes have passed.
fn bounded(body: ByteStream, max: u64) -> ByteStream {
    let mut seen: u64 = 0;
    Box::pin(body.map(move |chunk| {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len() as u64);
        if seen > max {
            return Err(std::io::Error::other(BodyTooLarge { max }));
        }
        Ok(chunk)
    }))
}

/// Reads chunks until at least [`SNIFF_BYTES`] have arrived or the body ends.
async fn first_chunks(body: &mut ByteStream) -> std::io::Result<(Vec<Bytes>, Vec<u8>)> {
    let mut chunks = Vec::new();
    let mut prefix = Vec::with_capacity(SNIFF_BYTES);
    while prefix.len() < SNIFF_BYTES {
        match body.next().await {
            Some(chunk) => {
                let chunk = chunk?;
                let wanted = SNIFF_BYTES - prefix.len();
                prefix.extend_from_slice(&chunk[..chunk.len().min(wanted)]);
                chunks.push(chunk);
            }
            None => break,
        }
    }
    Ok((chunks, prefix))
}

/// Reads and drops what is left of a refused body, at most `max` bytes, so the client gets the
/// answer instead of a connection reset.
async fn drain(mut body: ByteStream, max: u64) {
    let mut seen: u64 = 0;
    while let Some(Ok(chunk)) = body.next().await {
        seen = seen.saturating_add(chunk.len() as u64);
        if seen > max {
            break;
        }
    }
}

/// Until when a document of `case` is locked: its procedure's own retention, where it has one;
/// `None` (the bucket's configured retention) otherwise.
pub fn retention(
    booking: &BookingService,
    case: &domain::citizen_request::CitizenRequest,
) -> Option<chrono::DateTime<chrono::Utc>> {
    case.booking()
        .and_then(|b| booking.catalogue().get(&b.procedure))
        .and_then(|p| p.document_retention_days)
        .map(|days| booking.now() + chrono::Duration::days(i64::from(days)))
}

/// Stores and records one document. See the module's documentation for the order of things.
pub async fn upload(
    booking: &BookingService,
    objects: &dyn ObjectStore,
    max_bytes: u64,
    upload: Upload,
    metadata: &EventMetadata,
) -> Result<Uploaded, UploadError> {
    if upload.declared_length.is_some_and(|len| len > max_bytes) {
        return Err(UploadError::TooLarge { max: max_bytes });
    }
    let (case, _) = booking.load(upload.request_id).await?;
    case.check_attach()
        .map_err(|e| UploadError::Case(BookingError::Request(e)))?;
    let retain_until = retention(booking, &case);
    let mut body = bounded(upload.body, max_bytes);
    let (chunks, prefix) = match first_chunks(&mut body).await {
        Ok(first) => first,
        Err(error) => {
            return Err(match too_large(&error) {
                Some(max) => UploadError::TooLarge { max },
                None => UploadError::Body(error),
            });
        }
    };
    let Some(media_type) = DocumentMediaType::sniff(&prefix) else {
        drain(body, max_bytes).await;
        return Err(UploadError::UnsupportedType);
    };
    let file_name = sanitise_file_name(upload.file_name.as_deref(), media_type);
    let document_id = Uuid::now_v7();
    let key = format!("{}/{document_id}", upload.request_id);
    let whole: ByteStream = Box::pin(
        futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>)).chain(body),
    );
    let stored = objects
        .put(
            Bucket::Documents,
            &key,
            whole,
            PutOptions {
                content_type: Some(media_type.mime().to_string()),
                retain_until,
            },
        )
        .await
        .map_err(|error| match error {
            StorageError::Body(io) => match too_large(&io) {
                Some(max) => UploadError::TooLarge { max },
                None => UploadError::Body(io),
            },
            other => UploadError::Storage(other),
        })?;
    let command = AttachDocument {
        document_id,
        file_name,
        media_type,
        size: stored.size,
        sha256: stored.sha256.clone(),
        object_key: stored.key.clone(),
        version_id: stored.version_id.clone(),
        retain_until: stored.retention.retain_until,
        uploaded_by: upload.uploaded_by,
        at: booking.now(),
    };
    let done = match booking
        .attach_document(upload.request_id, command, metadata)
        .await
    {
        Ok(done) => done,
        Err(error) => {
            // The bytes are stored and locked; only the record is missing.
            tracing::warn!(
                request_id = %upload.request_id,
                key = %stored.key,
                version_id = %stored.version_id,
                %error,
                "a document was stored but the case refused to record it; the object stays until its retention ends"
            );
            return Err(error.into());
        }
    };
    let document = done.case.document(document_id).cloned().ok_or_else(|| {
        BookingError::Store("the document just attached is not in the case".into())
    })?;
    Ok(Uploaded {
        document,
        version: done.version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    fn chunks(sizes: &[usize]) -> ByteStream {
        let items: Vec<std::io::Result<Bytes>> = sizes
            .iter()
            .map(|n| Ok(Bytes::from(vec![b'x'; *n])))
            .collect();
        Box::pin(futures_util::stream::iter(items))
    }

    #[tokio::test]
    async fn a_bounded_body_ends_with_too_large_past_the_limit() {
        let within: Vec<Bytes> = bounded(chunks(&[4, 6]), 10)
            .try_collect()
            .await
            .expect("ten bytes pass");
        assert_eq!(within.iter().map(Bytes::len).sum::<usize>(), 10);
        let error = bounded(chunks(&[4, 6, 1]), 10)
            .try_collect::<Vec<Bytes>>()
            .await
            .expect_err("eleven bytes do not");
        assert_eq!(too_large(&error), Some(10));
        assert_eq!(too_large(&std::io::Error::other("other")), None);
    }

    #[tokio::test]
    async fn the_first_bytes_are_gathered_across_chunks() {
        let mut body = chunks(&[3, 3, 3, 100]);
        let (first, prefix) = first_chunks(&mut body).await.expect("read");
        assert_eq!(first.len(), 3);
        assert_eq!(prefix.len(), SNIFF_BYTES);
        let rest: Vec<Bytes> = body.try_collect().await.expect("rest");
        assert_eq!(rest.len(), 1);
        let mut short = chunks(&[2]);
        let (_, prefix) = first_chunks(&mut short).await.expect("read");
        assert_eq!(prefix.len(), 2);
    }
}
