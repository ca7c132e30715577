//! One publication: a webrtcbin that answers the publisher's offer (narrowed by `offer` to the
//! codecs recorded) and receives its tracks, depayloaded and parsed (never transcoded) and muxed
//! into a WebM file (VP8 and Opus) or a Matroska one (H264) on the spool.
//!
//! Facts of GStreamer 1.22 this is built around: the muxer's inputs must exist before media
//! arrives (so they are requested from the offer's media sections, not on `pad-added`); EOS does
//! not travel through webrtcbin (so a stop drops what webrtcbin still emits and pushes EOS into
//! the depayloaders); libnice ignores loopback unless the address is added to the ICE agent.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_sdp as gst_sdp;
use gstreamer_webrtc as gst_webrtc;

use crate::offer::{Codec, Container, Kind, OfferError, Plan};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Offer(#[from] OfferError),
    #[error("GStreamer: {0}")]
    Pipeline(String),
    #[error("no answer from webrtcbin within the time allowed")]
    Timeout,
}

fn pipeline_error(error: impl std::fmt::Display) -> SessionError {
    SessionError::Pipeline(error.to_string())
}

/// How the recorder's ICE agent is set up (see `RecorderSettings`).
#[derive(Debug, Clone, Default)]
pub struct IceConfig {
    /// Added to the agent as local candidates (libnice skips loopback unless told).
    pub local_addresses: Vec<String>,
    /// `stun://host:port`, for a recorder that must learn its public address.
    pub stun_server: Option<String>,
    /// `turn://user:password@host:port`, for a recorder behind a NAT that lets no one in.
    pub turn_server: Option<String>,
    /// The UDP ports the agent may use, for a firewall that opens only those.
    pub port_range: Option<(u16, u16)>,
    /// The public address of a 1:1 NAT in front of the recorder: host candidates in the answer
    /// carry it instead of the private one.
    pub advertised_address: Option<String>,
    pub gathering_timeout: Duration,
}

/// The elements each recorded codec passes through between webrtcbin and the muxer: RTP
/// depayloading and parsing only, never decoding. `opusparse` gives the muxer the `rate` and
/// `channels` its caps need, which `rtpopusdepay` in 1.22 sets only when the RTP caps carry
/// `sprop-maxcapturerate` (browsers never send it); without them `webmmux` refuses Opus and
/// then holds video back after its first frame.
fn chain_of(codec: Codec) -> &'static [&'static str] {
    match codec {
        Codec::Opus => &["rtpopusdepay", "opusparse"],
        Codec::Vp8 => &["rtpvp8depay"],
        Codec::H264 => &["rtph264depay", "h264parse"],
    }
}

/// A running publication.
pub struct Session {
    pipeline: gst::Pipeline,
    webrtcbin: gst::Element,
    /// The first element of each track's chain, where a stop pushes EOS.
    inputs: Vec<gst::Element>,
    eos: mpsc::Receiver<()>,
    liveness: Arc<Liveness>,
    pub file: PathBuf,
    pub container: Container,
    pub answer: String,
}

/// Whether the publisher is still there: when media last arrived and whether ICE holds.
/// A browser that goes away without a WHIP `DELETE` (tab closed, network gone) stops sending;
/// libnice may never call the connection failed, so silence counts as much as ICE's word.
struct Liveness {
    started: Instant,
    /// Milliseconds after `started` when the last RTP buffer arrived (0: none yet).
    last_media_ms: AtomicU64,
    /// Milliseconds after `started` when ICE was last seen connected, or `u64::MAX` while
    /// it is.
    ice_lost_ms: AtomicU64,
}

impl Liveness {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

impl Session {
    /// Starts receiving the publication that `plan` (the publisher's offer, narrowed by
    /// `offer::plan`) describes into `file` (its extension set by the container the offer's
    /// codecs need); gives the session with its SDP answer (ICE candidates included: WHIP
    /// without trickle).
    pub fn start(plan: &Plan, file: &Path, ice: &IceConfig) -> Result<Self, SessionError> {
        let offer = gst_sdp::SDPMessage::parse_buffer(plan.sdp.as_bytes())
            .map_err(|_| SessionError::Offer(OfferError::NotSdp))?;
        let file = file.with_extension(plan.container.extension());
        let pipeline = gst::Pipeline::new();
        let mut webrtc =
            gst::ElementFactory::make("webrtcbin").property_from_str("bundle-policy", "max-bundle");
        if let Some(stun) = &ice.stun_server {
            webrtc = webrtc.property("stun-server", stun);
        }
        if let Some(turn) = &ice.turn_server {
            webrtc = webrtc.property("turn-server", turn);
        }
        let webrtcbin = webrtc.build().map_err(pipeline_error)?;
        let mux = gst::ElementFactory::make(plan.container.muxer())
            .property("writing-app", "arreta-recorder")
            // Media arrives once ICE and DTLS are done: without this a WebM file would start
            // with that wait, as if silence had been recorded. matroskamux with H264 writes a
            // segment duration of a fraction of a second when asked to (1.22), so Matroska
            // keeps its timestamps and starts with the wait (a few hundred ms) instead.
            .property("offset-to-zero", plan.container == Container::Webm)
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
        let liveness = Arc::new(Liveness {
            started: Instant::now(),
            last_media_ms: AtomicU64::new(0),
            ice_lost_ms: AtomicU64::new(0),
        });
        // Each track's chain into the muxer, before any media arrives.
        let mut inputs = Vec::new();
        for track in &plan.tracks {
            let elements = chain_of(track.codec)
                .iter()
                .map(|name| {
                    let element = gst::ElementFactory::make(name);
                    // After a lost packet a video depayloader asks for a keyframe (PLI) rather
                    // than write undecodable frames until the sender's next one.
                    if name.ends_with("depay") && track.codec.kind() == Kind::Video {
                        element
                            .property("request-keyframe", true)
                            .property("wait-for-keyframe", true)
                            .build()
                    } else {
                        element.build()
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(pipeline_error)?;
            pipeline.add_many(&elements).map_err(pipeline_error)?;
            gst::Element::link_many(&elements).map_err(pipeline_error)?;
            let template = match track.codec.kind() {
                Kind::Video => "video_%u",
                Kind::Audio => "audio_%u",
            };
            let mux_pad = mux
                .request_pad_simple(template)
                .ok_or_else(|| SessionError::Pipeline(format!("the muxer has no {template}")))?;
            let (first, last) = match (elements.first(), elements.last()) {
                (Some(first), Some(last)) => (first.clone(), last.clone()),
                _ => return Err(SessionError::Pipeline("an empty chain".into())),
            };
            last.static_pad("src")
                .ok_or_else(|| SessionError::Pipeline("a chain without src".into()))?
                .link(&mux_pad)
                .map_err(pipeline_error)?;
            let seen = liveness.clone();
            first
                .static_pad("sink")
                .ok_or_else(|| SessionError::Pipeline("a chain without sink".into()))?
                .add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                    seen.last_media_ms
                        .store(seen.now_ms().max(1), Ordering::Relaxed);
                    gst::PadProbeReturn::Ok
                });
            inputs.push((track.codec.kind(), first));
        }
        // RTP arriving from the publisher goes to the chain of its kind (the first free).
        let by_kind = |kind: Kind| -> Vec<gst::Element> {
            inputs
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, e)| e.clone())
                .collect()
        };
        let (video, audio) = (by_kind(Kind::Video), by_kind(Kind::Audio));
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
            for input in candidates {
                if let Some(sink) = input.static_pad("sink")
                    && !sink.is_linked()
                {
                    if let Err(error) = pad.link(&sink) {
                        tracing::warn!(%error, "a track could not be linked");
                    } else if media == "video" {
                        // The first frames may have gone before DTLS was up: the file starts
                        // at a keyframe the sender makes now (webrtcbin sends it as a PLI).
                        let force = gst::Structure::builder("GstForceKeyUnit")
                            .field("all-headers", true)
                            .build();
                        pad.send_event(gst::event::CustomUpstream::new(force));
                    }
                    return;
                }
            }
            tracing::warn!(media, "an unexpected track is ignored");
        });
        let watched = liveness.clone();
        webrtcbin.connect_notify(Some("ice-connection-state"), move |bin, _| {
            use gst_webrtc::WebRTCICEConnectionState as Ice;
            let state = bin.property::<Ice>("ice-connection-state");
            match state {
                Ice::Connected | Ice::Completed => {
                    watched.ice_lost_ms.store(u64::MAX, Ordering::Relaxed)
                }
                Ice::Disconnected | Ice::Failed | Ice::Closed => {
                    let now = watched.now_ms();
                    let _ = watched.ice_lost_ms.compare_exchange(
                        u64::MAX,
                        now,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    );
                }
                _ => {}
            }
            tracing::debug!(?state, "ICE connection state");
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
        let agent = webrtcbin.property::<gst::glib::Object>("ice-agent");
        for address in &ice.local_addresses {
            agent.emit_by_name::<bool>("add-local-ip-address", &[address]);
        }
        if let Some((min, max)) = ice.port_range {
            agent.set_property("min-rtp-port", u32::from(min));
            agent.set_property("max-rtp-port", u32::from(max));
        }
        let answer = negotiate(&webrtcbin, offer, ice.gathering_timeout)?;
        let answer = match &ice.advertised_address {
            Some(public) => advertise(&answer, public),
            None => answer,
        };
        Ok(Self {
            pipeline,
            webrtcbin,
            inputs: inputs.into_iter().map(|(_, e)| e).collect(),
            eos,
            liveness,
            file,
            container: plan.container,
            answer,
        })
    }

    /// How long the publisher has been silent or its connection lost, whichever is longer;
    /// zero while media flows. A publication that never sent anything counts from its start.
    pub fn gone_for(&self) -> Duration {
        let now = self.liveness.now_ms();
        let last_media = self.liveness.last_media_ms.load(Ordering::Relaxed);
        let silent = now.saturating_sub(last_media);
        let lost = match self.liveness.ice_lost_ms.load(Ordering::Relaxed) {
            u64::MAX => 0,
            since => now.saturating_sub(since),
        };
        Duration::from_millis(silent.max(lost))
    }

    /// Ends the publication: drops what webrtcbin still emits, pushes EOS into each track's
    /// chain and waits (at most `within`) for the file to be finalised. Whether it was.
    pub fn finish(self, within: Duration) -> bool {
        for pad in self.webrtcbin.src_pads() {
            pad.add_probe(
                gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
                |_, _| gst::PadProbeReturn::Drop,
            );
        }
        // One thread per track: EOS is serialised, so it waits for the pad's stream lock,
        // which a streaming thread holds while the muxer waits for the other track. Sent one
        // after the other, the first could wait forever for the second.
        for input in &self.inputs {
            if let Some(sink) = input.static_pad("sink") {
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

/// `answer` with its IPv4 host candidates' addresses (and the connection lines) replaced by
/// `public`: the address a 1:1 NAT in front of the recorder maps to it.
fn advertise(answer: &str, public: &str) -> String {
    let mut out = String::with_capacity(answer.len());
    for line in answer.split_inclusive('\n') {
        let text = line.trim_end_matches(['\r', '\n']);
        let ending = &line[text.len()..];
        let rewritten = if text.starts_with("a=candidate:") && text.contains(" typ host") {
            let mut fields: Vec<&str> = text.split(' ').collect();
            // foundation component transport priority ADDRESS port typ host ...
            if fields.len() > 5 && fields[4].parse::<std::net::Ipv4Addr>().is_ok() {
                fields[4] = public;
            }
            fields.join(" ")
        } else if let Some(address) = text.strip_prefix("c=IN IP4 ") {
            if address.parse::<std::net::Ipv4Addr>().is_ok() && address != "0.0.0.0" {
                format!("c=IN IP4 {public}")
            } else {
                text.to_string()
            }
        } else {
            text.to_string()
        };
        out.push_str(&rewritten);
        out.push_str(ending);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::advertise;

    #[test]
    fn a_nat_address_replaces_private_host_candidates_only() {
        let answer = "v=0\r\nc=IN IP4 10.0.0.5\r\na=candidate:1 1 UDP 2015363327 10.0.0.5 40000 typ host\r\na=candidate:2 1 UDP 2015363327 fd00::5 40001 typ host\r\na=candidate:3 1 UDP 1 203.0.113.9 3478 typ relay raddr 10.0.0.5 rport 40002\r\n";
        let rewritten = advertise(answer, "198.51.100.7");
        assert!(rewritten.contains("c=IN IP4 198.51.100.7\r\n"));
        assert!(rewritten.contains("2015363327 198.51.100.7 40000 typ host\r\n"));
        assert!(
            rewritten.contains("fd00::5 40001 typ host"),
            "IPv6 is left alone"
        );
        assert!(
            rewritten.contains("203.0.113.9 3478 typ relay"),
            "relay is left alone"
        );
    }
}
