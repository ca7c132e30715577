//! Signalling for the peer-to-peer call, through PostgreSQL so that the two participants of a
//! call may sit on two api replicas: each participant's WebSocket is a row in
//! `signal_connections` (one per participant and call, kept alive by a heartbeat), and each
//! message relayed is a row in `signal_messages` addressed to the other side's connection. A
//! `NOTIFY arreta_signal` with the recipient's connection id wakes the replica that holds it
//! (the payload limit of NOTIFY, 8000 bytes, is below an SDP offer's size, so the message
//! itself travels in the table); a short poll is the fallback when a notification is missed.
//! Both tables are UNLOGGED: signalling lives for a call, never needs to survive a crash, and
//! is written once per ICE candidate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::citizen_request::Participant;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{OnceCell, mpsc};
use uuid::Uuid;

/// Largest message relayed (an SDP with its candidates fits easily).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The message types relayed: negotiation, and whether a side's recording is on.
pub const TYPES: [&str; 5] = ["offer", "answer", "candidate", "bye", "recording"];
/// How often a connection says it is alive (and looks for messages a missed notification left).
pub const HEARTBEAT: Duration = Duration::from_secs(3);
/// A connection not heard of for this long is gone (its replica crashed, its network went).
const STALE_SECONDS: i32 = 15;
const CHANNEL: &str = "arreta_signal";

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

fn other(participant: Participant) -> Participant {
    match participant {
        Participant::Citizen => Participant::Clerk,
        Participant::Clerk => Participant::Citizen,
    }
}

/// One participant's open socket.
pub struct Connection {
    pub id: Uuid,
    pub request_id: Uuid,
    pub participant: Participant,
    /// Woken when a message for this connection may be waiting.
    pub wake: mpsc::UnboundedReceiver<()>,
    /// Whether the other participant was connected when this one joined.
    pub peer_present: bool,
}

/// The signalling of every call, as this api process sees it.
pub struct Hub {
    pool: PgPool,
    /// The connections held by this process, to wake on a notification.
    local: Arc<Mutex<HashMap<Uuid, mpsc::UnboundedSender<()>>>>,
    listening: OnceCell<()>,
}

impl Hub {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            local: Arc::default(),
            listening: OnceCell::new(),
        }
    }

    fn local(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, mpsc::UnboundedSender<()>>> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts this process's listener the first time a socket joins.
    async fn listen(&self) {
        self.listening
            .get_or_init(|| async {
                let pool = self.pool.clone();
                let local = self.local.clone();
                tokio::spawn(listen_forever(pool, local));
            })
            .await;
    }

    /// Joins `participant` to the call of `request_id`; `None` while that side is already
    /// connected (anywhere). The other side, if there, is told `peer-joined`.
    pub async fn join(
        &self,
        request_id: Uuid,
        participant: Participant,
    ) -> Result<Option<Connection>, sqlx::Error> {
        self.listen().await;
        let id = Uuid::now_v7();
        // Takes the participant's place unless a live connection holds it.
        let taken: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO signal_connections (request_id, participant, connection, seen_at)
             VALUES ($1, $2, $3, now())
             ON CONFLICT (request_id, participant) DO UPDATE
                SET connection = EXCLUDED.connection, seen_at = now()
                WHERE signal_connections.seen_at < now() - make_interval(secs => $4)
             RETURNING connection",
        )
        .bind(request_id)
        .bind(participant.as_str())
        .bind(id)
        .bind(STALE_SECONDS)
        .fetch_optional(&self.pool)
        .await?;
        if taken != Some(id) {
            return Ok(None);
        }
        let (wake_sender, wake) = mpsc::unbounded_channel();
        self.local().insert(id, wake_sender);
        let peer = self.live(request_id, other(participant)).await?;
        if let Some(peer) = peer {
            self.send(peer, &notice("peer-joined")).await?;
        }
        Ok(Some(Connection {
            id,
            request_id,
            participant,
            wake,
            peer_present: peer.is_some(),
        }))
    }

    /// The live connection of `participant` in the call of `request_id`.
    async fn live(
        &self,
        request_id: Uuid,
        participant: Participant,
    ) -> Result<Option<Uuid>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT connection FROM signal_connections
             WHERE request_id = $1 AND participant = $2
               AND seen_at >= now() - make_interval(secs => $3)",
        )
        .bind(request_id)
        .bind(participant.as_str())
        .bind(STALE_SECONDS)
        .fetch_optional(&self.pool)
        .await
    }

    /// Queues `body` for connection `to` and wakes whoever holds it.
    async fn send(&self, to: Uuid, body: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO signal_messages (connection, body) VALUES ($1, $2)")
            .bind(to)
            .bind(body)
            .execute(&mut *tx)
            .await?;
        // Delivered on commit, so the message is there when the recipient looks.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(to.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Sends `message` to the other side of `connection`; whether it was there.
    pub async fn relay(&self, connection: &Connection, message: &str) -> Result<bool, sqlx::Error> {
        match self
            .live(connection.request_id, other(connection.participant))
            .await?
        {
            Some(peer) => {
                self.send(peer, message).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The messages waiting for `connection`, oldest first, taken off the queue.
    pub async fn take(&self, connection: &Connection) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "WITH taken AS (DELETE FROM signal_messages WHERE connection = $1 RETURNING id, body)
             SELECT body FROM taken ORDER BY id",
        )
        .bind(connection.id)
        .fetch_all(&self.pool)
        .await
    }

    /// Says `connection` is alive; whether it still holds its place (a connection found stale
    /// and replaced must close).
    pub async fn heartbeat(&self, connection: &Connection) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE signal_connections SET seen_at = now()
             WHERE request_id = $1 AND participant = $2 AND connection = $3",
        )
        .bind(connection.request_id)
        .bind(connection.participant.as_str())
        .bind(connection.id)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Ends `connection`: its place is freed, what was left for it dropped, and the other side
    /// told `peer-left`.
    pub async fn leave(&self, connection: &Connection) -> Result<(), sqlx::Error> {
        self.release(connection.request_id, connection.participant, connection.id)
            .await
    }

    /// What `leave` does, by the connection's identity: for a socket whose upgrade failed
    /// before its connection reached it (its place must not stay taken until it goes stale).
    pub async fn release(
        &self,
        request_id: Uuid,
        participant: Participant,
        id: Uuid,
    ) -> Result<(), sqlx::Error> {
        self.local().remove(&id);
        let left = sqlx::query(
            "DELETE FROM signal_connections
             WHERE request_id = $1 AND participant = $2 AND connection = $3",
        )
        .bind(request_id)
        .bind(participant.as_str())
        .bind(id)
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM signal_messages WHERE connection = $1 OR created_at < now() - interval '10 minutes'")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if left.rows_affected() == 1
            && let Some(peer) = self.live(request_id, other(participant)).await?
        {
            self.send(peer, &notice("peer-left")).await?;
        }
        Ok(())
    }
}

/// Wakes this process's connections as notifications name them; after a lost listener
/// connection, wakes every one (a notification may have been missed) and listens again.
async fn listen_forever(pool: PgPool, local: Arc<Mutex<HashMap<Uuid, mpsc::UnboundedSender<()>>>>) {
    let wake_all = || {
        for sender in local.lock().unwrap_or_else(|p| p.into_inner()).values() {
            let _ = sender.send(());
        }
    };
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "signalling listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(CHANNEL).await {
            tracing::warn!(%error, "signalling listener cannot listen; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        wake_all();
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    if let Ok(id) = notification.payload().parse::<Uuid>()
                        && let Some(sender) =
                            local.lock().unwrap_or_else(|p| p.into_inner()).get(&id)
                    {
                        let _ = sender.send(());
                    }
                }
                // The connection was lost (and sqlx reconnects): something may have been missed.
                Ok(None) => wake_all(),
                Err(error) => {
                    tracing::warn!(%error, "signalling listener lost; reconnecting");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_small_json_messages_are_relayed() {
        assert!(relayable(r#"{"type":"candidate","candidate":"x"}"#));
        assert!(relayable(r#"{"type":"recording","on":true}"#));
        assert!(!relayable(r#"{"type":"shell"}"#));
        assert!(!relayable("not json"));
        let large = format!(
            r#"{{"type":"offer","sdp":"{}"}}"#,
            "a".repeat(MAX_MESSAGE_BYTES)
        );
        assert!(!relayable(&large));
    }
}
