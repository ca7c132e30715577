//! Signalling for the peer-to-peer call: one WebSocket per participant, relaying offer, answer
//! and ICE candidates between exactly the two participants of a call (the citizen and the
//! clerk). Messages are opaque to the api beyond their `type`; nothing is stored.
//!
//! Rooms live in this process: with several api replicas, the load balancer must send both
//! participants of a call to the same one (e.g. by hashing the request id in the path).

use std::collections::HashMap;
use std::sync::Mutex;

use domain::citizen_request::Participant;
use tokio::sync::mpsc;
use uuid::Uuid;

/// Largest message relayed (an SDP with its candidates fits easily).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The message types relayed.
pub const TYPES: [&str; 4] = ["offer", "answer", "candidate", "bye"];

#[derive(Default)]
struct Room {
    citizen: Option<mpsc::UnboundedSender<String>>,
    clerk: Option<mpsc::UnboundedSender<String>>,
}

impl Room {
    fn side(&mut self, participant: Participant) -> &mut Option<mpsc::UnboundedSender<String>> {
        match participant {
            Participant::Citizen => &mut self.citizen,
            Participant::Clerk => &mut self.clerk,
        }
    }
}

/// The call rooms of this api process.
#[derive(Default)]
pub struct Hub {
    rooms: Mutex<HashMap<Uuid, Room>>,
}

impl Hub {
    fn rooms(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Room>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Joins `participant` to the call of `request_id`; gives the receiver of what the other
    /// side sends, or `None` when this side is already connected.
    pub fn join(
        &self,
        request_id: Uuid,
        participant: Participant,
    ) -> Option<mpsc::UnboundedReceiver<String>> {
        let mut rooms = self.rooms();
        let room = rooms.entry(request_id).or_default();
        let side = room.side(participant);
        if side.as_ref().is_some_and(|s| !s.is_closed()) {
            return None;
        }
        let (sender, receiver) = mpsc::unbounded_channel();
        *side = Some(sender);
        let other = room.side(other(participant));
        if let Some(other) = other {
            let _ = other.send(notice("peer-joined"));
        }
        Some(receiver)
    }

    /// Sends `message` to the other side; whether it was there.
    pub fn relay(&self, request_id: Uuid, from: Participant, message: String) -> bool {
        let mut rooms = self.rooms();
        rooms
            .get_mut(&request_id)
            .and_then(|room| room.side(other(from)).as_ref().cloned())
            .is_some_and(|other| other.send(message).is_ok())
    }

    pub fn leave(&self, request_id: Uuid, participant: Participant) {
        let mut rooms = self.rooms();
        if let Some(room) = rooms.get_mut(&request_id) {
            *room.side(participant) = None;
            if let Some(other) = room.side(other(participant)) {
                let _ = other.send(notice("peer-left"));
            }
            if room.citizen.is_none() && room.clerk.is_none() {
                rooms.remove(&request_id);
            }
        }
    }
}

fn other(participant: Participant) -> Participant {
    match participant {
        Participant::Citizen => Participant::Clerk,
        Participant::Clerk => Participant::Citizen,
    }
}

/// A message from the api itself.
pub fn notice(kind: &str) -> String {
    serde_json::json!({ "type": kind, "from": "arreta" }).to_string()
}

/// Whether a client's message may be relayed: a JSON object of a known `type`, not too large.
pub fn relayable(text: &str) -> bool {
    text.len() <= MAX_MESSAGE_BYTES
        && serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
            .is_some_and(|t| TYPES.contains(&t.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_go_to_the_other_side_only_and_a_side_joins_once() {
        let hub = Hub::default();
        let call = Uuid::from_u128(1);
        let mut citizen = hub.join(call, Participant::Citizen).expect("citizen joins");
        assert!(
            hub.join(call, Participant::Citizen).is_none(),
            "one citizen"
        );
        assert!(
            !hub.relay(call, Participant::Citizen, "{}".into()),
            "nobody there yet"
        );
        let mut clerk = hub.join(call, Participant::Clerk).expect("clerk joins");
        assert_eq!(
            citizen.recv().await.as_deref(),
            Some(notice("peer-joined").as_str())
        );
        assert!(hub.relay(call, Participant::Clerk, "offer".into()));
        assert_eq!(citizen.recv().await.as_deref(), Some("offer"));
        assert!(hub.relay(call, Participant::Citizen, "answer".into()));
        assert_eq!(clerk.recv().await.as_deref(), Some("answer"));
        hub.leave(call, Participant::Citizen);
        assert_eq!(
            clerk.recv().await.as_deref(),
            Some(notice("peer-left").as_str())
        );
        assert!(
            hub.join(call, Participant::Citizen).is_some(),
            "rejoins after leaving"
        );
        assert!(relayable(r#"{"type":"candidate","candidate":"x"}"#));
        assert!(!relayable(r#"{"type":"shell"}"#));
        assert!(!relayable("not json"));
    }
}
