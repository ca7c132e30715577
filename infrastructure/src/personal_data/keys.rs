//! The case keys table: each case's data key, wrapped, until it is erased.
//!
//! A key is made the first time a case's event is sealed, in its own statement before the
//! event's transaction: if that transaction then fails, an unused key is left, which costs
//! nothing. Erasing keeps the row with its time and no key, so that nothing can make a new key
//! for the case afterwards and write fresh personal data that the erasure was meant to end.
//! Each row names the wrapping key that wrapped it, so a rotation can proceed while the service
//! runs.

use std::collections::HashMap;

use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::cipher::DataKey;
use super::{PersonalData, PersonalDataError};

/// What the store holds for one case.
#[derive(Debug, Clone)]
pub enum CaseKey {
    Open(DataKey),
    Erased,
}

pub(super) fn context(request_id: Uuid) -> String {
    format!("arreta/case-key/v1|{request_id}")
}

/// The case's key, made now if it has none; `Erased` once it was erased.
pub async fn sealing_key(
    conn: &mut PgConnection,
    personal: &PersonalData,
    request_id: Uuid,
) -> Result<CaseKey, PersonalDataError> {
    if let Some(key) = stored_key(conn, personal, request_id).await? {
        return Ok(key);
    }
    let fresh = DataKey::generate()?;
    let wrapper = personal.wrapper();
    let wrapped = wrapper.wrap(&context(request_id), &fresh).await?;
    // Two writers may make a key at once: the first insert wins and both use what it stored.
    sqlx::query(
        "INSERT INTO case_keys (request_id, wrapped_key, wrapping_key_id) VALUES ($1, $2, $3) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(request_id)
    .bind(wrapped)
    .bind(wrapper.key_id())
    .execute(&mut *conn)
    .await?;
    stored_key(conn, personal, request_id)
        .await?
        .ok_or(PersonalDataError::KeyVanished(request_id))
}

async fn stored_key(
    conn: &mut PgConnection,
    personal: &PersonalData,
    request_id: Uuid,
) -> Result<Option<CaseKey>, PersonalDataError> {
    let row: Option<(Option<Vec<u8>>, String)> =
        sqlx::query_as("SELECT wrapped_key, wrapping_key_id FROM case_keys WHERE request_id = $1")
            .bind(request_id)
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        None => Ok(None),
        Some((None, _)) => Ok(Some(CaseKey::Erased)),
        Some((Some(wrapped), key_id)) => {
            Ok(Some(open(personal, request_id, &wrapped, &key_id).await?))
        }
    }
}

async fn open(
    personal: &PersonalData,
    request_id: Uuid,
    wrapped: &[u8],
    key_id: &str,
) -> Result<CaseKey, PersonalDataError> {
    let wrapper = personal.unwrapper(key_id)?;
    Ok(CaseKey::Open(
        wrapper.unwrap(&context(request_id), wrapped).await?,
    ))
}

/// The keys of these cases, in one query. A case without a row has never had anything sealed.
pub async fn opening_keys(
    conn: &mut PgConnection,
    personal: &PersonalData,
    request_ids: &[Uuid],
) -> Result<HashMap<Uuid, CaseKey>, PersonalDataError> {
    let rows = sqlx::query(
        "SELECT request_id, wrapped_key, wrapping_key_id FROM case_keys WHERE request_id = ANY($1)",
    )
    .bind(request_ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut keys = HashMap::with_capacity(rows.len());
    for row in rows {
        let request_id: Uuid = row.try_get("request_id")?;
        let wrapped: Option<Vec<u8>> = row.try_get("wrapped_key")?;
        let key_id: String = row.try_get("wrapping_key_id")?;
        let key = match wrapped {
            None => CaseKey::Erased,
            Some(wrapped) => open(personal, request_id, &wrapped, &key_id).await?,
        };
        keys.insert(request_id, key);
    }
    Ok(keys)
}

/// Destroys the case's key (or records that it may never have one). Returns whether a key was
/// destroyed now, `false` when it already was.
pub async fn erase(
    conn: &mut PgConnection,
    personal: &PersonalData,
    request_id: Uuid,
) -> Result<bool, PersonalDataError> {
    let erased = sqlx::query(
        "INSERT INTO case_keys (request_id, wrapped_key, wrapping_key_id, erased_at) \
         VALUES ($1, NULL, $2, now()) \
         ON CONFLICT (request_id) DO UPDATE SET wrapped_key = NULL, erased_at = now() \
         WHERE case_keys.erased_at IS NULL",
    )
    .bind(request_id)
    .bind(personal.wrapper().key_id())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(erased > 0)
}
