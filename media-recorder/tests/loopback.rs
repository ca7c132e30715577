//! A publisher and a recording session over loopback, without HTTP: the GStreamer half alone.

use std::time::Duration;

use media_recorder::probe::probe;
use media_recorder::publisher::Publisher;
use media_recorder::session::Session;

#[test]
fn vp8_and_opus_published_over_loopback_are_recorded_without_transcoding() {
    let local = vec!["127.0.0.1".to_string()];
    let (publisher, offer) = Publisher::start(&local, Duration::from_secs(10)).expect("publisher");
    let dir = std::env::temp_dir().join(format!("arreta-loopback-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("citizen.webm");
    let session = Session::start(&offer, &file, &local, Duration::from_secs(10)).expect("session");
    publisher.answer(&session.answer).expect("answer");
    assert!(
        publisher.wait_connected(Duration::from_secs(10)),
        "ICE connected"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        session.finish(Duration::from_secs(10)),
        "the file was finalised"
    );
    drop(publisher);
    let facts = probe(&file, Duration::from_secs(10)).expect("probe");
    assert_eq!(
        facts.codecs,
        vec!["audio/x-opus".to_string(), "video/x-vp8".to_string()]
    );
    assert!(
        (2500..=3700).contains(&facts.duration_ms),
        "duration {} ms for about 3 s sent",
        facts.duration_ms
    );
    let _ = std::fs::remove_dir_all(&dir);
}
