//! A publisher and a recording session over loopback, without HTTP: the GStreamer half alone.
//! Besides the recorder's own publisher, each browser offer captured in `fixtures/` is answered
//! and recorded: the publisher wears that browser's codec lines (payload types, fmtp without
//! `sprop-maxcapturerate`, header extensions) over its own transport and sends with its payload
//! types, so the recorder sees what it would see from that browser.

use std::path::Path;
use std::time::Duration;

use media_recorder::offer::Container;
use media_recorder::probe::probe;
use media_recorder::publisher::{Publisher, Sending, dressed_as};
use media_recorder::session::{IceConfig, Session};

const SECONDS_SENT: u64 = 3;

fn ice() -> IceConfig {
    IceConfig {
        local_addresses: vec!["127.0.0.1".to_string()],
        gathering_timeout: Duration::from_secs(10),
        ..IceConfig::default()
    }
}

/// Publishes for about three seconds what `sending` says, offered as `dress` would have it
/// (or as the publisher does), and gives the recorded file's codecs and duration.
fn record(sending: Sending, dress: Option<&str>) -> (Container, Vec<String>, u64) {
    let ice = ice();
    let (publisher, offer) =
        Publisher::start_with(sending, &ice.local_addresses, Duration::from_secs(10))
            .expect("publisher");
    let offer = match dress {
        Some(browser) => dressed_as(&offer, browser).expect("dressed"),
        None => offer,
    };
    let dir = std::env::temp_dir().join(format!("arreta-loopback-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let plan = media_recorder::offer::plan(&offer).expect("a recordable offer");
    let session = Session::start(&plan, &dir.join("citizen.webm"), &ice).expect("session");
    publisher.answer(&session.answer).expect("answer");
    assert!(
        publisher.wait_connected(Duration::from_secs(10)),
        "ICE connected"
    );
    std::thread::sleep(Duration::from_secs(SECONDS_SENT));
    assert!(session.gone_for() < Duration::from_secs(1), "media flows");
    let (file, container) = (session.file.clone(), session.container);
    assert!(
        session.finish(Duration::from_secs(10)),
        "the file was finalised"
    );
    drop(publisher);
    let facts = probe(&file, Duration::from_secs(10)).expect("probe");
    let _ = std::fs::remove_dir_all(&dir);
    (container, facts.codecs, facts.duration_ms)
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_about_the_time_sent(duration_ms: u64) {
    let sent = SECONDS_SENT * 1000;
    assert!(
        (sent * 85 / 100..=sent * 125 / 100).contains(&duration_ms),
        "duration {duration_ms} ms for about {sent} ms sent"
    );
}

#[test]
fn vp8_and_opus_published_over_loopback_are_recorded_without_transcoding() {
    let (container, codecs, duration_ms) = record(Sending::default(), None);
    assert_eq!(container, Container::Webm);
    assert_eq!(codecs, vec!["audio/x-opus", "video/x-vp8"]);
    assert_about_the_time_sent(duration_ms);
}

#[test]
fn chromiums_offer_is_recorded_with_its_audio_and_video() {
    // Chromium 156: Opus on 111 without sprop-maxcapturerate, VP8 on 96 among 22 formats.
    let sending = Sending {
        audio_payload: 111,
        video_payload: 96,
        ..Sending::default()
    };
    let (container, codecs, duration_ms) =
        record(sending, Some(&fixture("chromium-156-offer.sdp")));
    assert_eq!(container, Container::Webm);
    assert_eq!(codecs, vec!["audio/x-opus", "video/x-vp8"]);
    assert_about_the_time_sent(duration_ms);
}

#[test]
fn chromiums_offer_without_vp8_is_recorded_as_h264_in_matroska() {
    // Video restricted to H264 (as Safari prefers it): constrained baseline, mode 1, is 108.
    let sending = Sending {
        h264: true,
        audio_payload: 111,
        video_payload: 108,
        ..Sending::default()
    };
    let (container, codecs, duration_ms) =
        record(sending, Some(&fixture("chromium-156-h264-offer.sdp")));
    assert_eq!(container, Container::Matroska);
    assert_eq!(codecs, vec!["audio/x-opus", "video/x-h264"]);
    assert_about_the_time_sent(duration_ms);
}

#[test]
fn firefoxs_offer_is_recorded_with_its_audio_and_video() {
    // Firefox ESR 153: Opus on 109 (stereo, no sprop-maxcapturerate), VP8 on 120, and the video
    // section bundle-only on port 0.
    let sending = Sending {
        audio_payload: 109,
        video_payload: 120,
        ..Sending::default()
    };
    let (container, codecs, duration_ms) = record(sending, Some(&fixture("firefox-esr-offer.sdp")));
    assert_eq!(container, Container::Webm);
    assert_eq!(codecs, vec!["audio/x-opus", "video/x-vp8"]);
    assert_about_the_time_sent(duration_ms);
}
