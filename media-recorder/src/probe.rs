//! What a recorded file holds, as GStreamer's discoverer reads it: duration and codecs. The
//! recorder checks every file with it before upload; tests check what was stored.

use std::path::Path;
use std::time::Duration;

use gstreamer as gst;
use gstreamer_pbutils as gst_pbutils;
use gstreamer_pbutils::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFacts {
    pub duration_ms: u64,
    /// Caps names of the streams, e.g. `video/x-vp8`, `audio/x-opus`.
    pub codecs: Vec<String>,
}

pub fn probe(file: &Path, timeout: Duration) -> Result<MediaFacts, String> {
    crate::init().map_err(|e| e.to_string())?;
    let absolute = std::fs::canonicalize(file).map_err(|e| e.to_string())?;
    let uri = gst::glib::filename_to_uri(&absolute, None).map_err(|e| e.to_string())?;
    let discoverer = gst_pbutils::Discoverer::new(gst::ClockTime::from_mseconds(
        u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
    ))
    .map_err(|e| e.to_string())?;
    let info = discoverer.discover_uri(&uri).map_err(|e| e.to_string())?;
    let mut codecs: Vec<String> = info
        .stream_list()
        .iter()
        .filter_map(|s| s.caps())
        .filter_map(|c| c.structure(0).map(|s| s.name().to_string()))
        .filter(|name| name.starts_with("video/") || name.starts_with("audio/"))
        .collect();
    codecs.sort();
    Ok(MediaFacts {
        duration_ms: info.duration().map(|d| d.mseconds()).unwrap_or(0),
        codecs,
    })
}
