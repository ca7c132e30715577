//! Daily anchors of the hash chains (migration 0006), sealed as a JWS with the council's
//! sealing key.

use chrono::{DateTime, Days, NaiveDate, Utc};
use jsonwebtoken::{Algorithm, Header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, Row};

pub use crate::sealing::SealingKeys;

#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Key(#[from] crate::sealing::SealingKeyError),
    #[error("sealing failed: {0}")]
    Seal(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SealClaims {
    day: NaiveDate,
    heads: i64,
    digest: String,
}

/// The digest of every aggregate's last event recorded before `until`, and how many there are.
pub async fn heads_digest(
    conn: &mut PgConnection,
    until: DateTime<Utc>,
) -> Result<(i64, String), sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT ON (aggregate_type, aggregate_id) aggregate_type, aggregate_id, sequence, chain_hash \
         FROM events WHERE recorded_at < $1 ORDER BY aggregate_type, aggregate_id, sequence DESC",
    )
    .bind(until)
    .fetch_all(conn)
    .await?;
    let mut hasher = Sha256::new();
    for row in &rows {
        let line = format!(
            "{}\t{}\t{}\t{}\n",
            row.try_get::<String, _>("aggregate_type")?,
            row.try_get::<String, _>("aggregate_id")?,
            row.try_get::<i64, _>("sequence")?,
            row.try_get::<String, _>("chain_hash")?,
        );
        hasher.update(line.as_bytes());
    }
    Ok((rows.len() as i64, hex::encode(hasher.finalize())))
}

fn end_of(day: NaiveDate) -> DateTime<Utc> {
    day.checked_add_days(Days::new(1))
        .unwrap_or(day)
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default()
}

/// Anchors `day` (UTC) unless it already is; gives whether a new anchor was written.
pub async fn anchor_day(
    conn: &mut PgConnection,
    day: NaiveDate,
    keys: &SealingKeys,
) -> Result<bool, AnchorError> {
    let (heads, digest) = heads_digest(conn, end_of(day)).await?;
    let claims = SealClaims {
        day,
        heads,
        digest: digest.clone(),
    };
    // The kid says which key of the set sealed, so the anchor still verifies after a rotation.
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(keys.current().key_id().to_string());
    let seal = jsonwebtoken::encode(&header, &claims, &keys.current().encoding)
        .map_err(|e| AnchorError::Seal(e.to_string()))?;
    let inserted = sqlx::query(
        "INSERT INTO audit_anchors (day, heads, digest, seal) VALUES ($1, $2, $3, $4) ON CONFLICT (day) DO NOTHING",
    )
    .bind(day)
    .bind(i32::try_from(heads).unwrap_or(i32::MAX))
    .bind(digest)
    .bind(seal)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Anchors every full day (UTC) from the day after the last anchor (or the first event) to
/// yesterday.
pub async fn anchor_until_yesterday(
    conn: &mut PgConnection,
    keys: &SealingKeys,
    now: DateTime<Utc>,
) -> Result<u32, AnchorError> {
    let last: Option<NaiveDate> = sqlx::query_scalar("SELECT max(day) FROM audit_anchors")
        .fetch_one(&mut *conn)
        .await?;
    let first_event: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT min(recorded_at) FROM events")
            .fetch_one(&mut *conn)
            .await?;
    let Some(mut day) = last
        .and_then(|d| d.succ_opt())
        .or(first_event.map(|t| t.date_naive()))
    else {
        return Ok(0);
    };
    let yesterday = now.date_naive().pred_opt().unwrap_or(now.date_naive());
    let mut written = 0;
    while day <= yesterday {
        if anchor_day(conn, day, keys).await? {
            written += 1;
        }
        day = day
            .succ_opt()
            .unwrap_or(yesterday.succ_opt().unwrap_or(day));
    }
    Ok(written)
}

/// An anchor that no longer matches the events, or whose seal does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorBreak {
    pub day: NaiveDate,
    pub reason: String,
}

/// Checks every anchor's seal, with the key of the set its `kid` names, and recomputes its
/// digest from the events.
pub async fn verify_anchors(
    conn: &mut PgConnection,
    keys: &SealingKeys,
) -> Result<(usize, Vec<AnchorBreak>), sqlx::Error> {
    let anchors: Vec<(NaiveDate, i32, String, String)> =
        sqlx::query_as("SELECT day, heads, digest, seal FROM audit_anchors ORDER BY day")
            .fetch_all(&mut *conn)
            .await?;
    let mut breaks = Vec::new();
    for (day, heads, digest, seal) in &anchors {
        let sealed = keys.verify_attached::<SealClaims>(seal);
        let stored = SealClaims {
            day: *day,
            heads: i64::from(*heads),
            digest: digest.clone(),
        };
        match sealed {
            Err(e) => breaks.push(AnchorBreak {
                day: *day,
                reason: format!("the seal does not verify: {e}"),
            }),
            Ok(claims) if claims != stored => breaks.push(AnchorBreak {
                day: *day,
                reason: "the anchor row differs from what was sealed".into(),
            }),
            Ok(_) => {
                let (now_heads, now_digest) = heads_digest(conn, end_of(*day)).await?;
                if now_digest != *digest {
                    breaks.push(AnchorBreak {
                        day: *day,
                        reason: format!(
                            "events recorded up to the end of {day} were altered, deleted or added \
                             ({heads} chain heads sealed, {now_heads} now)"
                        ),
                    });
                }
            }
        }
    }
    Ok((anchors.len(), breaks))
}
