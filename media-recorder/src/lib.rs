//! The media recorder: GStreamer ingest of consented calls over WHIP, finalisation and WORM
//! upload, run as its own process (`arreta-recorder`). Built by the recording issue; the crate
//! exists now so the workspace and its dependency directions are in place.
