//! One publication: a webrtcbin that answers the publisher's offer and receives its VP8 and Opus
//! tracks, depayloaded (never transcoded) and muxed into a WebM file on the spool.
//!
//! Facts of GStreamer 1.22 this is built around: the muxer's inputs must exist before media
//! arrives (so they are requested from the offer's media sections, not on `pad-added`); EOS does
//! not travel through webrtcbin (so a stop drops what webrtcbin still emits and pushes EOS into
//! the depayloaders); libnice ignores loopback unless the address is added to the ICE agent.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_sdp as gst_sdp;
use gstreamer_webrtc as gst_webrtc;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the offer is not SDP")]
    BadOffer,
    #[error("the offer has no VP8 video or Opus audio to record")]
    NothingToRecord,
    #[error("GStreamer: {0}")]
    Pipeline(String),
    #[error("no answer from webrtcbin within the time allowed")]
    Timeout,
}

fn pipeline_error(error: impl std::fmt::Display) -> SessionError {
    SessionError::Pipeline(error.to_string())
}

/// The media an offer carries, in the order of its sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    Video,
    Audio,
}

/// The tracks of an SDP offer worth recording: VP8 video and Opus audio sections that send.
pub fn tracks_of(offer: &gst_sdp::SDPMessage) -> Vec<Track> {
    offer
        .medias()
        .filter(|m| {
            !m.attributes()
                .any(|a| a.key() == "inactive" || a.key() == "recvonly")
        })
        .filter_map(|m| {
            let rtpmap = |codec: &str| {
                m.attributes().any(|a| {
                    a.key() == "rtpmap"
                        && a.value()
                            .is_some_and(|v| v.to_ascii_uppercase().contains(codec))
                })
            };
            match m.media() {
                Some("video") if rtpmap("VP8/") => Some(Track::Video),
                Some("audio") if rtpmap("OPUS/") => Some(Track::Audio),
                _ => None,
            }
        })
        .collect()
}

/// A running publication.
pub struct Session {
    pipeline: gst::Pipeline,
    webrtcbin: gst::Element,
    depayloaders: Vec<gst::Element>,
    eos: mpsc::Receiver<()>,
    pub file: PathBuf,
    pub answer: String,
}

impl Session {
    /// Starts receiving the publisher's `offer` into `file`; gives the session with its SDP
    /// answer (ICE candidates included: WHIP without trickle).
    pub fn start(
        offer_sdp: &str,
        file: &Path,
        local_addresses: &[String],
        gathering_timeout: Duration,
    ) -> Result<Self, SessionError> {
        let offer = gst_sdp::SDPMessage::parse_buffer(offer_sdp.as_bytes())
            .map_err(|_| SessionError::BadOffer)?;
        let tracks = tracks_of(&offer);
        if tracks.is_empty() {
            return Err(SessionError::NothingToRecord);
        }
        let pipeline = gst::Pipeline::new();
        let webrtcbin = gst::ElementFactory::make("webrtcbin")
            .property_from_str("bundle-policy", "max-bundle")
            .build()
            .map_err(pipeline_error)?;
        let mux = gst::ElementFactory::make("webmmux")
            .property("writing-app", "arreta-recorder")
            // Media arrives once ICE and DTLS are done: without this the file would start with
            // that wait, as if silence had been recorded.
            .property("offset-to-zero", true)
            .build()
            .map_err(pipeline_error)?;
        let sink = gst::ElementFactory::make("filesink")
            .property("location", file.to_string_lossy().to_string())
            .property("async", false)
            // Every buffer reaches the file at once: what was recorded before a crash is on
            // disk for the restart to store.
            .property_from_str("buffer-mode", "unbuffered")
            .build()
            .map_err(pipeline_error)?;
        pipeline
            .add_many([&webrtcbin, &mux, &sink])
            .map_err(pipeline_error)?;
        mux.link(&sink).map_err(pipeline_error)?;
        // The muxer's inputs, one per track, before any media arrives.
        let mut depayloaders = Vec::new();
        for track in &tracks {
            let (depay, template) = match track {
                Track::Video => ("rtpvp8depay", "video_%u"),
                Track::Audio => ("rtpopusdepay", "audio_%u"),
            };
            let depay = gst::ElementFactory::make(depay)
                .build()
                .map_err(pipeline_error)?;
            pipeline.add(&depay).map_err(pipeline_error)?;
            let mux_pad = mux
                .request_pad_simple(template)
                .ok_or_else(|| SessionError::Pipeline(format!("webmmux has no {template}")))?;
            depay
                .static_pad("src")
                .ok_or_else(|| SessionError::Pipeline("depayloader without src".into()))?
                .link(&mux_pad)
                .map_err(pipeline_error)?;
            depayloaders.push(depay);
        }
        // RTP arriving from the publisher goes to the depayloader of its kind (the first free).
        let video: Vec<gst::Element> = tracks
            .iter()
            .zip(&depayloaders)
            .filter(|(t, _)| **t == Track::Video)
            .map(|(_, d)| d.clone())
            .collect();
        let audio: Vec<gst::Element> = tracks
            .iter()
            .zip(&depayloaders)
            .filter(|(t, _)| **t == Track::Audio)
            .map(|(_, d)| d.clone())
            .collect();
        webrtcbin.connect_pad_added(move |_, pad| {
            if pad.direction() != gst::PadDirection::Src {
                return;
            }
            let Some(caps) = pad.current_caps().or_else(|| Some(pad.query_caps(None))) else {
                return;
            };
            let media = caps
                .structure(0)
                .and_then(|s| s.get::<&str>("media").ok())
                .unwrap_or_default()
                .to_string();
            let candidates = if media == "video" { &video } else { &audio };
            for depay in candidates {
                if let Some(sink) = depay.static_pad("sink")
                    && !sink.is_linked()
                {
                    if let Err(error) = pad.link(&sink) {
                        tracing::warn!(%error, "a track could not be linked");
                    }
                    return;
                }
            }
            tracing::warn!(media, "an unexpected track is ignored");
        });
        // The file sink's EOS says the file is complete.
        let (eos_sender, eos) = mpsc::channel();
        sink.static_pad("sink")
            .ok_or_else(|| SessionError::Pipeline("filesink without sink".into()))?
            .add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
                if let Some(gst::PadProbeData::Event(event)) = &info.data
                    && event.type_() == gst::EventType::Eos
                {
                    let _ = eos_sender.send(());
                }
                gst::PadProbeReturn::Ok
            });
        pipeline
            .set_state(gst::State::Playing)
            .map_err(pipeline_error)?;
        if !local_addresses.is_empty() {
            let agent = webrtcbin.property::<gst::glib::Object>("ice-agent");
            for address in local_addresses {
                agent.emit_by_name::<bool>("add-local-ip-address", &[address]);
            }
        }
        let answer = negotiate(&webrtcbin, offer, gathering_timeout)?;
        Ok(Self {
            pipeline,
            webrtcbin,
            depayloaders,
            eos,
            file: file.to_path_buf(),
            answer,
        })
    }

    /// Ends the publication: drops what webrtcbin still emits, pushes EOS into the depayloaders
    /// and waits (at most `within`) for the file to be finalised. Whether it was.
    pub fn finish(self, within: Duration) -> bool {
        for pad in self.webrtcbin.src_pads() {
            pad.add_probe(
                gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
                |_, _| gst::PadProbeReturn::Drop,
            );
        }
        // One thread per depayloader: EOS is serialised, so it waits for the pad's stream lock,
        // which a streaming thread holds while the muxer waits for the other track. Sent one
        // after the other, the first could wait forever for the second.
        for depay in &self.depayloaders {
            if let Some(sink) = depay.static_pad("sink") {
                std::thread::spawn(move || sink.send_event(gst::event::Eos::new()));
            }
        }
        let finalised = self.eos.recv_timeout(within).is_ok();
        let _ = self.pipeline.set_state(gst::State::Null);
        finalised
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// Sets the offer, answers it, waits for ICE gathering, and gives the local description.
fn negotiate(
    webrtcbin: &gst::Element,
    offer: gst_sdp::SDPMessage,
    timeout: Duration,
) -> Result<String, SessionError> {
    let offer = gst_webrtc::WebRTCSessionDescription::new(gst_webrtc::WebRTCSDPType::Offer, offer);
    let (set, remote_set) = mpsc::channel();
    let promise = gst::Promise::with_change_func(move |_| {
        let _ = set.send(());
    });
    webrtcbin.emit_by_name::<()>("set-remote-description", &[&offer, &promise]);
    remote_set
        .recv_timeout(timeout)
        .map_err(|_| SessionError::Timeout)?;
    let (answered, answer) = mpsc::channel();
    let promise = gst::Promise::with_change_func(move |reply| {
        let description = reply.ok().flatten().and_then(|s| {
            s.value("answer")
                .ok()
                .and_then(|v| v.get::<gst_webrtc::WebRTCSessionDescription>().ok())
        });
        let _ = answered.send(description);
    });
    webrtcbin.emit_by_name::<()>("create-answer", &[&None::<gst::Structure>, &promise]);
    let answer = answer
        .recv_timeout(timeout)
        .map_err(|_| SessionError::Timeout)?
        .ok_or_else(|| SessionError::Pipeline("webrtcbin gave no answer".into()))?;
    let (gathered, gathering) = mpsc::channel();
    webrtcbin.connect_notify(Some("ice-gathering-state"), move |bin, _| {
        let state = bin.property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state");
        if state == gst_webrtc::WebRTCICEGatheringState::Complete {
            let _ = gathered.send(());
        }
    });
    webrtcbin.emit_by_name::<()>("set-local-description", &[&answer, &None::<gst::Promise>]);
    // Answer with every candidate gathered by then: WHIP here does not trickle.
    let complete = webrtcbin.property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state")
        == gst_webrtc::WebRTCICEGatheringState::Complete;
    if !complete && gathering.recv_timeout(timeout).is_err() {
        tracing::warn!("ICE gathering did not complete in time; answering with what there is");
    }
    let local = webrtcbin
        .property::<Option<gst_webrtc::WebRTCSessionDescription>>("local-description")
        .ok_or_else(|| SessionError::Pipeline("no local description".into()))?;
    local.sdp().as_text().map_err(pipeline_error)
}
