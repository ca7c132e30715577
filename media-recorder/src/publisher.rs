//! A WebRTC publisher made of GStreamer test sources: what a browser does in a call, for the
//! end-to-end tests and the benchmark. VP8 video and Opus audio from `videotestsrc` and
//! `audiotestsrc`, offered without trickle (every candidate in the offer).

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

impl Publisher {
    /// A publisher sending 320x240 at 15 fps and a 440 Hz tone; gives it with its SDP offer.
    pub fn start(local_addresses: &[String], timeout: Duration) -> Result<(Self, String), String> {
        crate::init().map_err(error)?;
        let pipeline = gst::parse::launch(
            "webrtcbin name=send bundle-policy=max-bundle \
             videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 \
               ! vp8enc deadline=1 target-bitrate=300000 ! rtpvp8pay pt=96 \
               ! application/x-rtp,media=video,encoding-name=VP8,payload=96 ! send. \
             audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample \
               ! opusenc ! rtpopuspay pt=97 \
               ! application/x-rtp,media=audio,encoding-name=OPUS,payload=97 ! send.",
        )
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
