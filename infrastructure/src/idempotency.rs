//! Storage of idempotent responses (see migration 0003).

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

/// A stored response, replayed to a retry.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What the store says about a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The key is new (or its first request was abandoned): this request runs.
    Owned,
    /// The first request finished: replay its response.
    Done(StoredResponse),
    /// The first request is still running.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
}

/// A first request that has not finished within this long is taken to have died with its process.
const ABANDONED_SECONDS: i64 = 60;

pub async fn claim(
    pool: &PgPool,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> Result<Claim, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(request_hash)
    .execute(pool)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::Owned);
    }
    let Some(row) = sqlx::query(
        "SELECT request_hash, status, headers, body, locked_at FROM idempotency_keys WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(pool)
    .await?
    else {
        // Deleted in between (its first request failed): try again from the start.
        return Box::pin(claim(pool, scope, key, request_hash)).await;
    };
    let stored_hash: String = row.try_get("request_hash")?;
    if stored_hash != request_hash {
        return Ok(Claim::Mismatch);
    }
    let status: Option<i16> = row.try_get("status")?;
    if let Some(status) = status {
        let headers: serde_json::Value = row.try_get("headers")?;
        let headers = serde_json::from_value(headers).unwrap_or_default();
        return Ok(Claim::Done(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            headers,
            body: row.try_get("body")?,
        }));
    }
    let locked_at: DateTime<Utc> = row.try_get("locked_at")?;
    let taken_over = sqlx::query(
        "UPDATE idempotency_keys SET locked_at = now() \
         WHERE scope = $1 AND key = $2 AND status IS NULL AND locked_at = $3 \
           AND locked_at < now() - make_interval(secs => $4)",
    )
    .bind(scope)
    .bind(key)
    .bind(locked_at)
    .bind(ABANDONED_SECONDS as f64)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(if taken_over == 1 {
        Claim::Owned
    } else {
        Claim::InProgress
    })
}

pub async fn complete(
    pool: &PgPool,
    scope: &str,
    key: &str,
    response: &StoredResponse,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE idempotency_keys SET status = $3, headers = $4, body = $5 WHERE scope = $1 AND key = $2")
        .bind(scope)
        .bind(key)
        .bind(i16::try_from(response.status).unwrap_or(500))
        .bind(serde_json::to_value(&response.headers).unwrap_or_default())
        .bind(&response.body)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets a key whose request did not succeed, so that a retry runs again.
pub async fn release(pool: &PgPool, scope: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status IS NULL")
        .bind(scope)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets keys older than `hours`.
pub async fn purge(pool: &PgPool, hours: u32) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)",
    )
    .bind(i32::try_from(hours).unwrap_or(i32::MAX))
    .execute(pool)
    .await?
    .rows_affected())
}
