//! A put streams: storing a body many times the part size grows the process by about a part or
//! two, not by the body. Alone in its test binary so that no other test's allocations count;
//! needs ARRETA_TEST_S3_ENDPOINT like the other S3 tests (it fails without it).

use std::time::Duration;

use bytes::Bytes;
use infrastructure::object_store::s3::{self, S3Config, S3Store};
use infrastructure::object_store::{Bucket, BucketPolicy, ByteStream, ObjectStore, PutOptions};
use sha2::{Digest, Sha256};

const MIB: u64 = 1024 * 1024;

/// Peak resident set size of this process so far, in bytes (Linux).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmHWM")
}

/// `total` bytes made as they are read, 64 KiB at a time, hashed on the side.
fn generated(total: u64, digest: std::sync::Arc<std::sync::Mutex<Sha256>>) -> ByteStream {
    let chunk = 64 * 1024u64;
    Box::pin(futures_util::stream::unfold(0u64, move |sent| {
        let digest = digest.clone();
        async move {
            if sent >= total {
                return None;
            }
            let len = chunk.min(total - sent) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| ((sent as usize + i).wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect();
            if let Ok(mut digest) = digest.lock() {
                digest.update(&bytes);
            }
            Some((Ok(Bytes::from(bytes)), sent + len as u64))
        }
    }))
}

#[tokio::test]
async fn a_large_put_holds_about_a_part_in_memory_not_the_body() {
    let endpoint = match std::env::var("ARRETA_TEST_S3_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => panic!(
            "ARRETA_TEST_S3_ENDPOINT is not set: run scripts/test.sh (it starts LocalStack's S3)"
        ),
    };
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let store = S3Store::new(S3Config {
        endpoint,
        region: "us-east-1".into(),
        access_key: Some("test".into()),
        secret_key: Some("test".into()),
        recordings_bucket: format!("memrec-{suffix}"),
        documents_bucket: format!("memdoc-{suffix}"),
        policy: BucketPolicy {
            recordings_retention_days: 1461,
            documents_retention_days: 1,
            short_documents_lock_seconds: None,
        },
        part_size: s3::MIN_PART_SIZE,
        request_timeout: Duration::from_secs(60),
    })
    .expect("store");
    store.ensure_buckets().await.expect("buckets");
    let baseline = peak_rss();
    // Warm up the client, TLS-less connection pool and allocator with one small put.
    let warm = std::sync::Arc::new(std::sync::Mutex::new(Sha256::new()));
    store
        .put(
            Bucket::Documents,
            "warm",
            generated(s3::MIN_PART_SIZE + 1, warm),
            PutOptions::default(),
        )
        .await
        .expect("warm-up put");

    let total = 60 * MIB;
    let digest = std::sync::Arc::new(std::sync::Mutex::new(Sha256::new()));
    let before = peak_rss();
    let started = std::time::Instant::now();
    let stored = store
        .put(
            Bucket::Recordings,
            "big.webm",
            generated(total, digest.clone()),
            PutOptions::default(),
        )
        .await
        .expect("put");
    let elapsed = started.elapsed();
    let peak = peak_rss();
    let growth = peak.saturating_sub(baseline);
    let expected = hex::encode(digest.lock().map(|d| d.clone().finalize()).expect("digest"));
    assert_eq!(stored.size, total);
    assert_eq!(stored.sha256, expected);
    let mib = |bytes: u64| bytes as f64 / MIB as f64;
    eprintln!(
        "peak RSS growth: {:.1} MiB for a put of one part (5 MiB + 1 byte), {:.1} MiB more for 60 MiB in parts of 5 MiB ({:.1} MiB in all); 60 MiB at {:.1} MiB/s",
        mib(before.saturating_sub(baseline)),
        mib(peak.saturating_sub(before)),
        mib(growth),
        mib(total) / elapsed.as_secs_f64()
    );
    assert!(
        growth < 30 * MIB,
        "a 60 MiB put grew the process by {:.1} MiB: the body is being held, not streamed",
        mib(growth)
    );
}
