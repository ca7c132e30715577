//! iCalendar feeds of the agenda, one per clerk and one per room, for calendar apps to subscribe
//! to. A calendar app cannot send a bearer token, so each feed's URL carries its own token: an
//! HMAC of the feed's name under `municipal.feed_secret`. Feeds name procedures and times, never
//! citizens: such URLs end up in many places.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::ical::{self, Event, Method};

/// Whose agenda a feed shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOwner {
    Clerk(String),
    Room(i16),
}

impl FeedOwner {
    fn key(&self) -> String {
        match self {
            Self::Clerk(id) => format!("clerk:{id}"),
            Self::Room(room) => format!("room:{room}"),
        }
    }

    /// The feed's path, token included.
    pub fn path(&self, secret: &[u8]) -> String {
        let token = token(secret, self);
        match self {
            Self::Clerk(id) => format!("/v1/feeds/clerks/{id}.ics?token={token}"),
            Self::Room(room) => format!("/v1/feeds/rooms/{room}.ics?token={token}"),
        }
    }
}

/// 128 bits of HMAC-SHA256 over the feed's name, in hex.
pub fn token(secret: &[u8], owner: &FeedOwner) -> String {
    hex::encode(&mac(secret, owner).finalize().into_bytes()[..16])
}

/// Whether `token` opens `owner`'s feed (compared in constant time).
pub fn check(secret: &[u8], owner: &FeedOwner, token: &str) -> bool {
    match hex::decode(token) {
        Ok(bytes) if bytes.len() == 16 => mac(secret, owner).verify_truncated_left(&bytes).is_ok(),
        _ => false,
    }
}

fn mac(secret: &[u8], owner: &FeedOwner) -> Hmac<Sha256> {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(owner.key().as_bytes());
    mac
}

struct Reservation {
    request_id: uuid::Uuid,
    procedure: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    room: i16,
}

/// The feed: every reservation of the owner starting in `[from, to)`.
pub async fn feed(
    conn: &mut PgConnection,
    owner: &FeedOwner,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    domain: &str,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let (condition, name) = match owner {
        FeedOwner::Clerk(id) => ("clerk_id = $1", format!("Arreta · {id}")),
        FeedOwner::Room(room) => (
            "room = $1::smallint",
            format!("Arreta · Gela {room} / Sala {room}"),
        ),
    };
    let sql = format!(
        "SELECT request_id, procedure_code, slot_start, slot_end, room FROM agenda_reservation \
         WHERE {condition} AND slot_start >= $2 AND slot_start < $3 ORDER BY slot_start"
    );
    let key = match owner {
        FeedOwner::Clerk(id) => id.clone(),
        FeedOwner::Room(room) => room.to_string(),
    };
    let rows: Vec<Reservation> = sqlx::query(&sql)
        .bind(key)
        .bind(from)
        .bind(to)
        .try_map(|r: PgRow| {
            Ok(Reservation {
                request_id: r.try_get("request_id")?,
                procedure: r.try_get("procedure_code")?,
                start: r.try_get("slot_start")?,
                end: r.try_get("slot_end")?,
                room: r.try_get("room")?,
            })
        })
        .fetch_all(conn)
        .await?;
    let texts: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                format!("{} · {}", r.procedure, r.room),
                r.request_id.to_string(),
                format!("Gela {0} / Sala {0}", r.room),
            )
        })
        .collect();
    let events: Vec<Event> = rows
        .iter()
        .zip(&texts)
        .map(|(r, (summary, description, location))| Event {
            uid: format!("{}@{domain}", r.request_id),
            sequence: 0,
            stamp: now,
            start: r.start,
            end: r.end,
            cancelled: false,
            summary,
            description,
            location,
            organizer: None,
            attendee: None,
        })
        .collect();
    Ok(ical::calendar(Method::Publish, Some(&name), &events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_its_own_feed_only() {
        let secret = b"a-feed-secret-of-at-least-32-bytes!";
        let clerk = FeedOwner::Clerk("clerk-01".into());
        let token = token(secret, &clerk);
        assert_eq!(token.len(), 32);
        assert!(check(secret, &clerk, &token));
        assert!(!check(secret, &FeedOwner::Clerk("clerk-02".into()), &token));
        assert!(!check(secret, &FeedOwner::Room(1), &token));
        assert!(!check(
            b"another-secret-of-at-least-32-bytes",
            &clerk,
            &token
        ));
        assert!(!check(secret, &clerk, "not hex"));
        assert!(!check(secret, &clerk, &token[..30]));
        assert_eq!(
            clerk.path(secret),
            format!("/v1/feeds/clerks/clerk-01.ics?token={token}")
        );
    }
}
