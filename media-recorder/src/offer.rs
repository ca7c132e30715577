//! What a browser's WHIP offer carries and what of it is recorded.
//!
//! Browsers offer many codecs per section (Chromium: Opus, RED, G722, PCMU, PCMA, CN and
//! telephone-event for audio; VP8, RTX, six H264 profiles, AV1, VP9, RED and ulpfec for video).
//! The recorder never transcodes, so it narrows each section to the one codec it stores before
//! webrtcbin answers: Opus for audio; VP8 for video when offered (WebM), else H264 in packetization
//! mode 1 (Matroska, since WebM takes no H264). The answer then names only that codec and the
//! browser must send it. A section with nothing recordable is answered `inactive`.

use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Video,
    Audio,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Opus,
    Vp8,
    H264,
}

impl Codec {
    pub fn kind(self) -> Kind {
        match self {
            Codec::Opus => Kind::Audio,
            Codec::Vp8 | Codec::H264 => Kind::Video,
        }
    }
}

/// One recorded track: its codec and the payload type the browser will send it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Track {
    pub codec: Codec,
    pub payload_type: u8,
}

/// The file a publication is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    #[default]
    Webm,
    Matroska,
}

impl Container {
    pub fn extension(self) -> &'static str {
        match self {
            Container::Webm => "webm",
            Container::Matroska => "mkv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Container::Webm => "video/webm",
            Container::Matroska => "video/x-matroska",
        }
    }

    pub fn muxer(self) -> &'static str {
        match self {
            Container::Webm => "webmmux",
            Container::Matroska => "matroskamux",
        }
    }
}

/// An offer narrowed to what is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The offer as webrtcbin is given it.
    pub sdp: String,
    /// The recorded tracks, in the order of their sections.
    pub tracks: Vec<Track>,
    pub container: Container,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    #[error("the offer is not SDP")]
    NotSdp,
    #[error("the offer has no Opus audio, VP8 video or H264 video that it sends")]
    NothingToRecord,
}

struct Section<'a> {
    media: &'a str,
    m_line: &'a str,
    attributes: Vec<&'a str>,
}

impl Section<'_> {
    fn attribute_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.attributes
            .iter()
            .filter_map(move |a| a.strip_prefix("a=")?.strip_prefix(name)?.strip_prefix(':'))
    }

    fn sends(&self) -> bool {
        !self
            .attributes
            .iter()
            .any(|a| *a == "a=recvonly" || *a == "a=inactive")
    }

    /// `(payload type, encoding name, the rest of rtpmap)` of each format.
    fn rtpmaps(&self) -> Vec<(u8, String)> {
        self.attribute_values("rtpmap")
            .filter_map(|v| {
                let (pt, encoding) = v.split_once(' ')?;
                Some((pt.parse().ok()?, encoding.to_ascii_uppercase()))
            })
            .collect()
    }

    fn fmtp(&self, pt: u8) -> String {
        let prefix = format!("{pt} ");
        self.attribute_values("fmtp")
            .find_map(|v| v.strip_prefix(&prefix))
            .unwrap_or_default()
            .to_ascii_lowercase()
    }

    /// The format this section is recorded with, if any.
    fn chosen(&self) -> Option<Track> {
        if !self.sends() {
            return None;
        }
        let rtpmaps = self.rtpmaps();
        let first = |name: &str| {
            rtpmaps
                .iter()
                .find(|(_, e)| e.starts_with(name))
                .map(|(pt, _)| *pt)
        };
        match self.media {
            "audio" => first("OPUS/48000").map(|payload_type| Track {
                codec: Codec::Opus,
                payload_type,
            }),
            "video" => first("VP8/90000")
                .map(|payload_type| Track {
                    codec: Codec::Vp8,
                    payload_type,
                })
                .or_else(|| {
                    self.h264().map(|payload_type| Track {
                        codec: Codec::H264,
                        payload_type,
                    })
                }),
            _ => None,
        }
    }

    /// The H264 format to take: packetization mode 1 (what every browser sends), constrained
    /// baseline first, as the most widely decodable.
    fn h264(&self) -> Option<u8> {
        let candidates: Vec<(u8, String)> = self
            .rtpmaps()
            .into_iter()
            .filter(|(_, e)| e.starts_with("H264/90000"))
            .map(|(pt, _)| (pt, self.fmtp(pt)))
            .filter(|(_, fmtp)| fmtp.contains("packetization-mode=1"))
            .collect();
        let profile = |prefix: &str| {
            candidates
                .iter()
                .find(|(_, f)| f.contains(&format!("profile-level-id={prefix}")))
                .map(|(pt, _)| *pt)
        };
        profile("42e0")
            .or_else(|| profile("4200"))
            .or_else(|| candidates.first().map(|(pt, _)| *pt))
    }
}

/// Narrows `offer` to the recorded codecs.
pub fn plan(offer: &str) -> Result<Plan, OfferError> {
    let lines: Vec<&str> = offer
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .collect();
    if !lines.first().is_some_and(|l| l.starts_with("v=")) {
        return Err(OfferError::NotSdp);
    }
    let mut session: Vec<&str> = Vec::new();
    let mut sections: Vec<Section> = Vec::new();
    for line in lines {
        if let Some(rest) = line.strip_prefix("m=") {
            sections.push(Section {
                media: rest.split(' ').next().unwrap_or_default(),
                m_line: line,
                attributes: Vec::new(),
            });
        } else if let Some(section) = sections.last_mut() {
            section.attributes.push(line);
        } else {
            session.push(line);
        }
    }
    let mut sdp = String::new();
    for line in &session {
        let _ = write!(sdp, "{line}\r\n");
    }
    let mut tracks = Vec::new();
    for section in &sections {
        let chosen = section.chosen();
        match chosen {
            Some(track) => {
                tracks.push(track);
                let mut fields = section.m_line.splitn(4, ' ');
                let (media, port, proto) = (
                    fields.next().unwrap_or_default(),
                    fields.next().unwrap_or_default(),
                    fields.next().unwrap_or_default(),
                );
                let _ = write!(sdp, "{media} {port} {proto} {}\r\n", track.payload_type);
                for attribute in &section.attributes {
                    if keeps(attribute, track.payload_type) {
                        let _ = write!(sdp, "{attribute}\r\n");
                    }
                }
            }
            None => {
                let _ = write!(sdp, "{}\r\n", section.m_line);
                for attribute in &section.attributes {
                    let direction = matches!(
                        *attribute,
                        "a=sendrecv" | "a=sendonly" | "a=recvonly" | "a=inactive"
                    );
                    if !direction {
                        let _ = write!(sdp, "{attribute}\r\n");
                    }
                }
                if section.media == "audio" || section.media == "video" {
                    sdp.push_str("a=inactive\r\n");
                }
            }
        }
    }
    if tracks.is_empty() {
        return Err(OfferError::NothingToRecord);
    }
    let container = if tracks.iter().any(|t| t.codec == Codec::H264) {
        Container::Matroska
    } else {
        Container::Webm
    };
    Ok(Plan {
        sdp,
        tracks,
        container,
    })
}

/// Whether a section's attribute stays once only `pt` is left: every attribute but the
/// format-specific ones of other formats.
fn keeps(attribute: &str, pt: u8) -> bool {
    for name in ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"] {
        if let Some(rest) = attribute.strip_prefix(name) {
            let format = rest.split(' ').next().unwrap_or_default();
            return format == "*" || format == pt.to_string();
        }
    }
    // A simulcast or RTX source group names formats this answer no longer has.
    !attribute.starts_with("a=ssrc-group:FID")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROMIUM: &str = include_str!("../tests/fixtures/chromium-156-offer.sdp");

    fn section_of<'a>(sdp: &'a str, media: &str) -> Vec<&'a str> {
        let mut inside = false;
        sdp.lines()
            .filter(|l| {
                if l.starts_with("m=") {
                    inside = l.starts_with(&format!("m={media}"));
                }
                inside
            })
            .collect()
    }

    #[test]
    fn chromium_is_recorded_as_opus_and_vp8_in_webm() {
        let plan = plan(CHROMIUM).expect("recordable");
        assert_eq!(plan.container, Container::Webm);
        let codecs: Vec<Codec> = plan.tracks.iter().map(|t| t.codec).collect();
        assert_eq!(codecs, vec![Codec::Opus, Codec::Vp8]);
        let audio = section_of(&plan.sdp, "audio");
        let pt = plan.tracks[0].payload_type;
        assert!(audio[0].ends_with(&format!(" {pt}")), "{}", audio[0]);
        assert!(
            audio
                .iter()
                .filter(|l| l.starts_with("a=rtpmap:"))
                .all(|l| l.to_ascii_lowercase().contains("opus/48000")),
            "only Opus is left: {audio:?}"
        );
        let video = section_of(&plan.sdp, "video");
        assert!(
            video
                .iter()
                .filter(|l| l.starts_with("a=rtpmap:") || l.starts_with("a=fmtp:"))
                .all(|l| l.contains(&format!(":{} ", plan.tracks[1].payload_type))),
            "only VP8 is left: {video:?}"
        );
        assert!(
            video.iter().any(|l| l.starts_with("a=ice-ufrag:")),
            "transport attributes stay"
        );
        assert!(!plan.sdp.contains("a=ssrc-group:FID"));
    }

    #[test]
    fn without_vp8_h264_goes_into_matroska() {
        let offer = include_str!("../tests/fixtures/chromium-156-h264-offer.sdp");
        let plan = plan(offer).expect("recordable");
        assert_eq!(plan.container, Container::Matroska);
        let video = plan.tracks.iter().find(|t| t.codec.kind() == Kind::Video);
        let video = video.expect("a video track");
        assert_eq!(video.codec, Codec::H264);
        let fmtp = section_of(&plan.sdp, "video")
            .into_iter()
            .find(|l| l.starts_with("a=fmtp:"))
            .expect("its fmtp")
            .to_string();
        assert!(fmtp.contains("packetization-mode=1"), "{fmtp}");
    }

    #[test]
    fn a_section_without_a_recordable_codec_is_answered_inactive() {
        let offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
            m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 45\r\na=mid:1\r\na=sendonly\r\na=rtpmap:45 AV1/90000\r\n";
        let plan = plan(offer).expect("audio is recordable");
        assert_eq!(plan.tracks.len(), 1);
        let video = section_of(&plan.sdp, "video");
        assert!(video.contains(&"a=inactive") && !video.contains(&"a=sendonly"));
    }

    #[test]
    fn an_offer_with_nothing_to_record_or_no_sdp_is_refused() {
        assert_eq!(plan("hello"), Err(OfferError::NotSdp));
        let recvonly =
            "v=0\r\ns=-\r\nm=audio 9 RTP/SAVPF 111\r\na=recvonly\r\na=rtpmap:111 opus/48000/2\r\n";
        assert_eq!(plan(recvonly), Err(OfferError::NothingToRecord));
    }
}
