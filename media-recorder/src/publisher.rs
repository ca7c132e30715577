//! A WebRTC publisher made of GStreamer test sources: what a browser does in a call, for the
//! end-to-end tests and the benchmark. Opus audio and VP8 (or H264) video from `audiotestsrc`
//! and `videotestsrc`, offered without trickle (every candidate in the offer). With
//! `dressed_as`, its offer wears a browser's captured codec lines (payload types, fmtp, header
//! extensions) over its own transport, so the recorder answers what that browser offered.

use std::sync::mpsc;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_sdp as gst_sdp;
use gstreamer_webrtc as gst_webrtc;

pub struct Publisher {
    pipeline: gst::Pipeline,
    webrtcbin: gst::Element,
}

fn error(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// What a publisher sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sending {
    pub h264: bool,
    pub audio_payload: u8,
    pub video_payload: u8,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl Default for Sending {
    /// 320x240 at 15 fps VP8 and a 440 Hz Opus tone.
    fn default() -> Self {
        Self {
            h264: false,
            audio_payload: 97,
            video_payload: 96,
            width: 320,
            height: 240,
            fps: 15,
        }
    }
}

impl Publisher {
    /// A publisher sending the default media; gives it with its SDP offer.
    pub fn start(local_addresses: &[String], timeout: Duration) -> Result<(Self, String), String> {
        Self::start_with(Sending::default(), local_addresses, timeout)
    }

    /// A publisher sending `sending`; gives it with its SDP offer (audio first, then video, as
    /// browsers order a camera-and-microphone stream).
    pub fn start_with(
        sending: Sending,
        local_addresses: &[String],
        timeout: Duration,
    ) -> Result<(Self, String), String> {
        crate::init().map_err(error)?;
        let Sending {
            audio_payload: apt,
            video_payload: vpt,
            width,
            height,
            fps,
            ..
        } = sending;
        let video = if sending.h264 {
            format!(
                "openh264enc bitrate=300000 ! video/x-h264,profile=constrained-baseline ! h264parse \
                   ! rtph264pay pt={vpt} config-interval=-1 ! application/x-rtp,media=video,encoding-name=H264,payload={vpt}"
            )
        } else {
            format!(
                "vp8enc deadline=1 target-bitrate=300000 ! rtpvp8pay pt={vpt} \
                   ! application/x-rtp,media=video,encoding-name=VP8,payload={vpt}"
            )
        };
        let pipeline = gst::parse::launch(&format!(
            "webrtcbin name=send bundle-policy=max-bundle \
             audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample \
               ! opusenc ! rtpopuspay pt={apt} \
               ! application/x-rtp,media=audio,encoding-name=OPUS,payload={apt} ! send. \
             videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={fps}/1 \
               ! {video} ! send."
        ))
        .map_err(error)?
        .downcast::<gst::Pipeline>()
        .map_err(|_| "not a pipeline".to_string())?;
        let webrtcbin = pipeline
            .by_name("send")
            .ok_or_else(|| "no webrtcbin".to_string())?;
        let (negotiate, negotiation) = mpsc::channel();
        webrtcbin.connect("on-negotiation-needed", false, move |_| {
            let _ = negotiate.send(());
            None
        });
        pipeline.set_state(gst::State::Playing).map_err(error)?;
        if !local_addresses.is_empty() {
            let agent = webrtcbin.property::<gst::glib::Object>("ice-agent");
            for address in local_addresses {
                agent.emit_by_name::<bool>("add-local-ip-address", &[address]);
            }
        }
        negotiation
            .recv_timeout(timeout)
            .map_err(|_| "no negotiation".to_string())?;
        let (offered, offer) = mpsc::channel();
        let promise = gst::Promise::with_change_func(move |reply| {
            let description = reply.ok().flatten().and_then(|s| {
                s.value("offer")
                    .ok()
                    .and_then(|v| v.get::<gst_webrtc::WebRTCSessionDescription>().ok())
            });
            let _ = offered.send(description);
        });
        webrtcbin.emit_by_name::<()>("create-offer", &[&None::<gst::Structure>, &promise]);
        let offer = offer
            .recv_timeout(timeout)
            .map_err(|_| "no offer".to_string())?
            .ok_or_else(|| "webrtcbin made no offer".to_string())?;
        let (gathered, gathering) = mpsc::channel();
        webrtcbin.connect_notify(Some("ice-gathering-state"), move |bin, _| {
            if bin.property::<gst_webrtc::WebRTCICEGatheringState>("ice-gathering-state")
                == gst_webrtc::WebRTCICEGatheringState::Complete
            {
                let _ = gathered.send(());
            }
        });
        webrtcbin.emit_by_name::<()>("set-local-description", &[&offer, &None::<gst::Promise>]);
        let _ = gathering.recv_timeout(timeout);
        let local = webrtcbin
            .property::<Option<gst_webrtc::WebRTCSessionDescription>>("local-description")
            .ok_or_else(|| "no local description".to_string())?;
        let sdp = local.sdp().as_text().map_err(error)?;
        Ok((
            Self {
                pipeline,
                webrtcbin,
            },
            sdp,
        ))
    }

    /// Takes the recorder's answer.
    pub fn answer(&self, sdp: &str) -> Result<(), String> {
        let message = gst_sdp::SDPMessage::parse_buffer(sdp.as_bytes()).map_err(error)?;
        let answer =
            gst_webrtc::WebRTCSessionDescription::new(gst_webrtc::WebRTCSDPType::Answer, message);
        self.webrtcbin
            .emit_by_name::<()>("set-remote-description", &[&answer, &None::<gst::Promise>]);
        Ok(())
    }

    /// Whether ICE connected within `timeout`.
    pub fn wait_connected(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            let state = self
                .webrtcbin
                .property::<gst_webrtc::WebRTCICEConnectionState>("ice-connection-state");
            if matches!(
                state,
                gst_webrtc::WebRTCICEConnectionState::Connected
                    | gst_webrtc::WebRTCICEConnectionState::Completed
            ) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

/// `offer` (this publisher's own) wearing `browser`'s codec lines: each section keeps its
/// transport, mid, SSRCs and candidates, and takes the browser section's format list, rtpmap,
/// fmtp, rtcp-fb and header extensions. Sections pair up in order (audio, then video).
pub fn dressed_as(offer: &str, browser: &str) -> Result<String, String> {
    fn sections(sdp: &str) -> (Vec<&str>, Vec<Vec<&str>>) {
        let mut session = Vec::new();
        let mut sections: Vec<Vec<&str>> = Vec::new();
        for line in sdp
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.is_empty())
        {
            if line.starts_with("m=") {
                sections.push(vec![line]);
            } else if let Some(section) = sections.last_mut() {
                section.push(line);
            } else {
                session.push(line);
            }
        }
        (session, sections)
    }
    let codec_line = |l: &str| {
        ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:", "a=extmap:"]
            .iter()
            .any(|p| l.starts_with(p))
    };
    let (session, own) = sections(offer);
    let (_, theirs) = sections(browser);
    if own.len() != theirs.len() {
        return Err(format!(
            "{} sections here, {} in the browser's offer",
            own.len(),
            theirs.len()
        ));
    }
    let mut out = String::new();
    for line in session {
        out.push_str(line);
        out.push_str("\r\n");
    }
    for (mine, browsers) in own.iter().zip(&theirs) {
        // A section the browser offered bundle-only (Firefox: port 0) stays so.
        let bundle_only = browsers.contains(&"a=bundle-only");
        let mut fields: Vec<&str> = mine[0].split(' ').take(3).collect();
        if bundle_only && let Some(port) = fields.get_mut(1) {
            *port = "0";
        }
        let mut m = fields.join(" ");
        for format in browsers[0].split(' ').skip(3) {
            m.push(' ');
            m.push_str(format);
        }
        out.push_str(&m);
        out.push_str("\r\n");
        for line in mine.iter().skip(1).filter(|l| !codec_line(l)) {
            out.push_str(line);
            out.push_str("\r\n");
        }
        for line in browsers.iter().skip(1).filter(|l| codec_line(l)) {
            out.push_str(line);
            out.push_str("\r\n");
        }
        if bundle_only && !mine.contains(&"a=bundle-only") {
            out.push_str("a=bundle-only\r\n");
        }
    }
    Ok(out)
}

impl Drop for Publisher {
    /// Stops on a thread of its own: a webrtcbin going down can take its time, and a test must
    /// not hang on it.
    fn drop(&mut self) {
        let pipeline = self.pipeline.clone();
        std::thread::spawn(move || {
            let _ = pipeline.set_state(gst::State::Null);
        });
    }
}
