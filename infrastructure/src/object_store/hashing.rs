//! Reading a body once, in bounded parts, with its SHA-256 and size computed on the way.

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncRead;

use super::ByteStream;

/// A body from anything that reads bytes (a file, a request body adapter).
pub fn reader_stream(reader: impl AsyncRead + Send + 'static) -> ByteStream {
    Box::pin(tokio_util::io::ReaderStream::with_capacity(
        reader,
        64 * 1024,
    ))
}

/// A body already in memory (small objects, tests).
pub fn bytes_stream(bytes: impl Into<Bytes>) -> ByteStream {
    let bytes: Bytes = bytes.into();
    Box::pin(futures_util::stream::once(async move { Ok(bytes) }))
}

/// Ends `stream` with a `TimedOut` error when no chunk arrives for `idle` (a stalled download
/// must not hold its reader forever).
pub fn with_idle_timeout(stream: ByteStream, idle: std::time::Duration) -> ByteStream {
    Box::pin(futures_util::stream::unfold(
        Some(stream),
        move |state| async move {
            let mut stream = state?;
            match tokio::time::timeout(idle, stream.next()).await {
                Ok(Some(item)) => Some((item, Some(stream))),
                Ok(None) => None,
                Err(_) => Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no bytes from object storage for {} s", idle.as_secs()),
                    )),
                    None,
                )),
            }
        },
    ))
}

/// Reads a body in parts of at most a given size, hashing every byte exactly once, as it is
/// handed out. Only the part being assembled is held in memory.
pub struct PartReader {
    body: ByteStream,
    /// What the last chunk had beyond the previous part's limit.
    leftover: Option<Bytes>,
    ended: bool,
    hasher: Sha256,
    size: u64,
}

/// One part: the chunks as read (no copy) and their total length.
#[derive(Debug, Default)]
pub struct Part {
    pub chunks: Vec<Bytes>,
    pub len: usize,
}

impl Part {
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl PartReader {
    pub fn new(body: ByteStream) -> Self {
        PartReader {
            body,
            leftover: None,
            ended: false,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// The next `limit` bytes, fewer only at the end of the body (an empty part: the end).
    pub async fn next_part(&mut self, limit: usize) -> std::io::Result<Part> {
        let mut part = Part::default();
        while part.len < limit {
            let chunk = match self.leftover.take() {
                Some(chunk) => chunk,
                None if self.ended => break,
                None => match self.body.next().await {
                    Some(chunk) => chunk?,
                    None => {
                        self.ended = true;
                        break;
                    }
                },
            };
            if chunk.is_empty() {
                continue;
            }
            let room = limit - part.len;
            let chunk = if chunk.len() > room {
                let mut chunk = chunk;
                let rest = chunk.split_off(room);
                self.leftover = Some(rest);
                chunk
            } else {
                chunk
            };
            self.hasher.update(&chunk);
            self.size += chunk.len() as u64;
            part.len += chunk.len();
            part.chunks.push(chunk);
        }
        Ok(part)
    }

    /// Whether the body has more bytes, reading ahead one chunk when needed (kept for the next
    /// part, not hashed yet).
    pub async fn peek_more(&mut self) -> std::io::Result<bool> {
        while self.leftover.is_none() && !self.ended {
            match self.body.next().await {
                Some(chunk) => {
                    let chunk = chunk?;
                    if !chunk.is_empty() {
                        self.leftover = Some(chunk);
                    }
                }
                None => self.ended = true,
            }
        }
        Ok(self.leftover.is_some())
    }

    /// Whether the body is known to have no more bytes.
    pub fn at_end(&self) -> bool {
        self.ended && self.leftover.is_none()
    }

    /// Bytes handed out so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The size and lowercase hex SHA-256 of everything handed out.
    pub fn finish(self) -> (u64, String) {
        (self.size, hex::encode(self.hasher.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(chunks: Vec<&'static [u8]>) -> ByteStream {
        Box::pin(futures_util::stream::iter(
            chunks.into_iter().map(|c| Ok(Bytes::from_static(c))),
        ))
    }

    #[tokio::test]
    async fn parts_split_chunks_and_the_digest_covers_every_byte_once() {
        let mut reader = PartReader::new(chunked(vec![b"abc", b"", b"defgh", b"ij"]));
        let mut parts = Vec::new();
        loop {
            let part = reader.next_part(4).await.expect("part");
            if part.is_empty() {
                break;
            }
            parts.push(part.chunks.concat());
        }
        assert_eq!(
            parts,
            vec![b"abcd".to_vec(), b"efgh".to_vec(), b"ij".to_vec()]
        );
        assert!(reader.at_end());
        let (size, sha256) = reader.finish();
        assert_eq!(size, 10);
        assert_eq!(sha256, hex::encode(Sha256::digest(b"abcdefghij")));
    }

    #[tokio::test]
    async fn a_stalled_stream_ends_with_a_timeout() {
        let stalled: ByteStream = Box::pin(
            futures_util::stream::iter(vec![Ok(Bytes::from_static(b"abc"))])
                .chain(futures_util::stream::pending()),
        );
        let mut stream = with_idle_timeout(stalled, std::time::Duration::from_millis(50));
        assert_eq!(
            stream.next().await.expect("a chunk").expect("bytes"),
            Bytes::from_static(b"abc")
        );
        let error = stream
            .next()
            .await
            .expect("an item")
            .expect_err("a timeout");
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
        assert!(stream.next().await.is_none(), "and then the end");
    }

    #[tokio::test]
    async fn a_body_error_is_returned_not_hidden() {
        let body: ByteStream = Box::pin(futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"abc")),
            Err(std::io::Error::other("client went away")),
        ]));
        let mut reader = PartReader::new(body);
        assert!(reader.next_part(1024).await.is_err());
    }
}
