//! `[call]`: when a call may open, the STUN/TURN servers browsers use, and where the recorder
//! takes publications.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSettings {
    /// How long before the appointment's start a clerk may open the call.
    pub early_join_minutes: u32,
    /// STUN servers handed to both browsers for the peer-to-peer call. TURN goes in `turn`:
    /// a static TURN password here would be handed to every link holder, so it is refused.
    pub ice_servers: Vec<IceServer>,
    /// The TURN server (coturn with `use-auth-secret`): each participant of a call gets its own
    /// credential, valid for `ttl_seconds`. Required by the production profile.
    pub turn: Option<TurnSettings>,
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

/// `[call.turn]`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnSettings {
    /// `turn:` / `turns:` URLs of the server, e.g. `turns:turn.council.example:5349?transport=tcp`.
    pub urls: Vec<String>,
    /// coturn's `static-auth-secret` (at least 16 bytes).
    pub secret: String,
    /// How long an issued credential works. coturn checks it on every allocation and refresh,
    /// so it must outlast a call; the pages ask again before reconnecting.
    pub ttl_seconds: u32,
}

impl std::fmt::Debug for TurnSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnSettings")
            .field("urls", &self.urls)
            .field("secret", &"[redacted]")
            .field("ttl_seconds", &self.ttl_seconds)
            .finish()
    }
}

impl TurnSettings {
    /// The credential of `participant` of the call of `request_id`, from `now`.
    pub fn credential(
        &self,
        request_id: uuid::Uuid,
        participant: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> super::turn::TurnCredential {
        super::turn::credential(
            self.secret.as_bytes(),
            &format!("{request_id}:{participant}"),
            now + chrono::Duration::seconds(i64::from(self.ttl_seconds)),
        )
    }
}

impl Default for CallSettings {
    fn default() -> Self {
        Self {
            early_join_minutes: 15,
            ice_servers: vec![],
            turn: None,
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
            let stun = |u: &String| u.starts_with("stun:") || u.starts_with("stuns:");
            if server.urls.is_empty() || !server.urls.iter().all(stun) {
                return Err(
                    "call.ice_servers[].urls are stun: or stuns: URLs; TURN goes in [call.turn], whose credentials are issued per participant".into(),
                );
            }
            if server.username.is_some() || server.credential.is_some() {
                return Err("call.ice_servers take no username or credential: they would be handed to every link holder".into());
            }
        }
        match &self.turn {
            Some(turn) => {
                let is_turn = |u: &String| u.starts_with("turn:") || u.starts_with("turns:");
                if turn.urls.is_empty() || !turn.urls.iter().all(is_turn) {
                    return Err("call.turn.urls are turn: or turns: URLs".into());
                }
                if turn.secret.len() < 16 {
                    return Err("call.turn.secret has at least 16 bytes".into());
                }
                if !(60..=86_400).contains(&turn.ttl_seconds) {
                    return Err("call.turn.ttl_seconds is between 60 and 86400".into());
                }
            }
            None if production => {
                return Err("the production profile needs [call.turn]: without TURN, citizens behind strict NATs or firewalls cannot be reached".into());
            }
            None => {}
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
    /// How often it looks at a recording's case (consent withdrawn, call ended) when no change
    /// notification came, in ms: the event log's NOTIFY wakes it at once otherwise.
    pub poll_interval_ms: u64,
    /// How long it waits for ICE candidates before answering an offer, in ms.
    pub ice_gathering_timeout_ms: u64,
    /// Addresses added to the ICE agent as local candidates (libnice skips loopback unless
    /// told): `127.0.0.1` for tests on one machine; none in production.
    pub local_ice_addresses: Vec<String>,
    /// A publication whose browser has sent nothing (or whose ICE connection is lost) for this
    /// long is ended and stored up to there: a closed tab or a lost network sends no `DELETE`.
    pub disconnect_timeout_ms: u64,
    /// `stun://host:port`: for a recorder that must learn its public address.
    pub stun_server: Option<String>,
    /// `turn://host:port` (or `turns://`) of `[call.turn]`'s server, for a recorder that can
    /// be reached only through it; its credentials come from `call.turn.secret`.
    pub turn_server: Option<String>,
    /// The UDP ports the recorder's ICE agent uses, `[first, last]`, for a firewall that
    /// opens only those.
    pub rtp_port_range: Option<[u16; 2]>,
    /// The public address of a 1:1 NAT in front of the recorder, given in its answers instead
    /// of its own IPv4 address.
    pub advertised_address: Option<String>,
}

impl Default for RecorderSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8090".into(),
            spool_dir: None,
            min_duration_ms: 1000,
            poll_interval_ms: 2000,
            ice_gathering_timeout_ms: 5000,
            local_ice_addresses: vec![],
            disconnect_timeout_ms: 10_000,
            stun_server: None,
            turn_server: None,
            rtp_port_range: None,
            advertised_address: None,
        }
    }
}

impl RecorderSettings {
    pub fn validate(&self, turn: Option<&TurnSettings>) -> Result<(), String> {
        if self.disconnect_timeout_ms < 1000 {
            return Err("recorder.disconnect_timeout_ms is at least 1000".into());
        }
        if let Some(url) = &self.turn_server {
            if !(url.starts_with("turn://") || url.starts_with("turns://")) {
                return Err("recorder.turn_server is a turn:// or turns:// host:port".into());
            }
            if turn.is_none() {
                return Err("recorder.turn_server needs [call.turn] for its credentials".into());
            }
        }
        if let Some([first, last]) = self.rtp_port_range
            && (first == 0 || first > last)
        {
            return Err("recorder.rtp_port_range is [first, last] with 0 < first <= last".into());
        }
        if let Some(address) = &self.advertised_address
            && address.parse::<std::net::Ipv4Addr>().is_err()
        {
            return Err("recorder.advertised_address is an IPv4 address".into());
        }
        Ok(())
    }

    pub fn spool_dir(&self, data_dir: &std::path::Path) -> std::path::PathBuf {
        self.spool_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("spool"))
    }
}
