//! `[call]`: when a call may open, the STUN/TURN servers browsers use, and where the recorder
//! takes publications.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSettings {
    /// How long before the appointment's start a clerk may open the call.
    pub early_join_minutes: u32,
    /// Handed to both browsers for the peer-to-peer call (and to nobody else).
    pub ice_servers: Vec<IceServer>,
    /// The recorder's public WHIP base, e.g. `https://recorder.council.example/whip`; each case
    /// publishes to `{whip_url}/{request id}`.
    pub whip_url: String,
}

/// One STUN or TURN server, as `RTCPeerConnection` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
}

impl Default for CallSettings {
    fn default() -> Self {
        Self {
            early_join_minutes: 15,
            ice_servers: vec![],
            whip_url: "http://127.0.0.1:8090/whip".into(),
        }
    }
}

impl CallSettings {
    pub fn validate(&self, production: bool) -> Result<(), String> {
        if self.early_join_minutes > 120 {
            return Err("call.early_join_minutes is at most 120".into());
        }
        for server in &self.ice_servers {
            let known = |u: &String| {
                ["stun:", "stuns:", "turn:", "turns:"]
                    .iter()
                    .any(|s| u.starts_with(s))
            };
            if server.urls.is_empty() || !server.urls.iter().all(known) {
                return Err(
                    "call.ice_servers[].urls are stun:, stuns:, turn: or turns: URLs".into(),
                );
            }
        }
        if production && !self.whip_url.starts_with("https://") {
            return Err("the production profile needs an https call.whip_url".into());
        }
        Ok(())
    }
}

/// `[recorder]`: the `arreta-recorder` process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecorderSettings {
    /// Where it listens for WHIP.
    pub listen: String,
    /// Its local spool (recordings being written, finalised, waiting for upload); under
    /// `auth.data_dir` when absent. It must survive restarts: unfinished uploads resume from it.
    pub spool_dir: Option<std::path::PathBuf>,
    /// A file shorter than this is reported as failed rather than stored.
    pub min_duration_ms: u64,
    /// How often it looks at a recording's case (consent withdrawn, call ended), in ms.
    pub poll_interval_ms: u64,
    /// How long it waits for ICE candidates before answering an offer, in ms.
    pub ice_gathering_timeout_ms: u64,
    /// Addresses added to the ICE agent as local candidates (libnice skips loopback unless
    /// told): `127.0.0.1` for tests on one machine; none in production.
    pub local_ice_addresses: Vec<String>,
}

impl Default for RecorderSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8090".into(),
            spool_dir: None,
            min_duration_ms: 1000,
            poll_interval_ms: 250,
            ice_gathering_timeout_ms: 5000,
            local_ice_addresses: vec![],
        }
    }
}

impl RecorderSettings {
    pub fn spool_dir(&self, data_dir: &std::path::Path) -> std::path::PathBuf {
        self.spool_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("spool"))
    }
}
