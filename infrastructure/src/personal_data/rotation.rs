//! Rotating the wrapping key: every case key still wrapped by a previous wrapping key is
//! unwrapped with it and wrapped again with the current one, in batches, while the service
//! runs (it opens both until this is done). Restartable: a batch is one transaction, and what
//! is already under the current key is not touched again.

use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::keys::context;
use super::{PersonalData, PersonalDataError};

const BATCH: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rewrapped {
    pub keys: u64,
}

/// Case keys by wrapping key, and how many were erased.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyCounts {
    pub by_wrapping_key: Vec<(String, i64)>,
    pub erased: i64,
}

pub async fn rewrap(
    pool: &PgPool,
    personal: &PersonalData,
) -> Result<Rewrapped, PersonalDataError> {
    let current = personal.wrapper();
    let mut done = Rewrapped::default();
    loop {
        let mut tx = pool.begin().await?;
        let rows = sqlx::query(
            "SELECT request_id, wrapped_key, wrapping_key_id FROM case_keys \
             WHERE erased_at IS NULL AND wrapping_key_id <> $1 \
             ORDER BY request_id LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(current.key_id())
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(done);
        }
        for row in rows {
            let request_id: Uuid = row.try_get("request_id")?;
            let wrapped: Vec<u8> = row.try_get("wrapped_key")?;
            let key_id: String = row.try_get("wrapping_key_id")?;
            let key = personal
                .unwrapper(&key_id)?
                .unwrap(&context(request_id), &wrapped)
                .await?;
            let rewrapped = current.wrap(&context(request_id), &key).await?;
            sqlx::query(
                "UPDATE case_keys SET wrapped_key = $2, wrapping_key_id = $3 WHERE request_id = $1",
            )
            .bind(request_id)
            .bind(rewrapped)
            .bind(current.key_id())
            .execute(&mut *tx)
            .await?;
            done.keys += 1;
        }
        tx.commit().await?;
    }
}

pub async fn key_counts(pool: &PgPool) -> Result<KeyCounts, PersonalDataError> {
    let by_wrapping_key: Vec<(String, i64)> = sqlx::query_as(
        "SELECT wrapping_key_id, count(*) FROM case_keys WHERE erased_at IS NULL \
         GROUP BY wrapping_key_id ORDER BY wrapping_key_id",
    )
    .fetch_all(pool)
    .await?;
    let erased: i64 =
        sqlx::query_scalar("SELECT count(*) FROM case_keys WHERE erased_at IS NOT NULL")
            .fetch_one(pool)
            .await?;
    Ok(KeyCounts {
        by_wrapping_key,
        erased,
    })
}
