//! postgres-es's event repository with the personal data sealed on the way in and opened on
//! the way out, so that the aggregates, which know nothing of keys, see plain events.

use cqrs_es::Aggregate;
use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use postgres_es::PostgresEventRepository;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::fields::{self, CASE_AGGREGATE};
use super::keys::{self, CaseKey};
use super::{PersonalData, PersonalDataError};

pub struct SealedRepository {
    inner: PostgresEventRepository,
    pool: PgPool,
    personal: PersonalData,
}

impl SealedRepository {
    pub fn new(pool: PgPool, personal: PersonalData) -> Self {
        Self {
            inner: PostgresEventRepository::new(pool.clone()),
            pool,
            personal,
        }
    }

    async fn seal(
        &self,
        events: &[SerializedEvent],
    ) -> Result<Vec<SerializedEvent>, PersonalDataError> {
        let mut sealed = events.to_vec();
        let mut key: Option<(String, CaseKey)> = None;
        for event in sealed.iter_mut() {
            if event.aggregate_type != CASE_AGGREGATE {
                fields::take_network(&mut event.metadata);
                continue;
            }
            let needs_key = fields::has_personal_fields(&event.event_type)
                || fields::has_network(&event.metadata);
            if !needs_key {
                continue;
            }
            let case_key = match &key {
                Some((id, case_key)) if *id == event.aggregate_id => case_key.clone(),
                _ => {
                    let request_id = Uuid::parse_str(&event.aggregate_id)
                        .map_err(|_| PersonalDataError::NoKey(event.aggregate_id.clone()))?;
                    let mut conn = self.pool.acquire().await?;
                    let case_key = keys::sealing_key(&mut conn, &self.personal, request_id).await?;
                    key = Some((event.aggregate_id.clone(), case_key.clone()));
                    case_key
                }
            };
            fields::seal_event(
                &case_key,
                &event.aggregate_id,
                &event.event_type,
                &mut event.payload,
                &mut event.metadata,
            )?;
        }
        Ok(sealed)
    }

    async fn open(
        &self,
        mut events: Vec<SerializedEvent>,
    ) -> Result<Vec<SerializedEvent>, PersonalDataError> {
        let sealed = events.iter().any(|e| {
            e.aggregate_type == CASE_AGGREGATE
                && fields::is_sealed(&e.event_type, &e.payload, &e.metadata)
        });
        let Some(first) = events.first().filter(|_| sealed) else {
            return Ok(events);
        };
        // One aggregate's events: one key.
        let request_id = Uuid::parse_str(&first.aggregate_id)
            .map_err(|_| PersonalDataError::NoKey(first.aggregate_id.clone()))?;
        let mut conn = self.pool.acquire().await?;
        let keys = keys::opening_keys(&mut conn, &self.personal, &[request_id]).await?;
        let key = keys.get(&request_id);
        for event in events.iter_mut() {
            fields::open_event(
                key,
                &event.aggregate_id,
                &event.event_type,
                &mut event.payload,
                &mut event.metadata,
            )?;
        }
        Ok(events)
    }
}

fn persistence(error: PersonalDataError) -> PersistenceError {
    match error {
        PersonalDataError::Database(e) => PersistenceError::ConnectionError(Box::new(e)),
        other => PersistenceError::UnknownError(Box::new(other)),
    }
}

impl PersistedEventRepository for SealedRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let events = self.inner.get_events::<A>(aggregate_id).await?;
        self.open(events).await.map_err(persistence)
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let events = self
            .inner
            .get_last_events::<A>(aggregate_id, last_sequence)
            .await?;
        self.open(events).await.map_err(persistence)
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        self.inner.get_snapshot::<A>(aggregate_id).await
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        if snapshot_update.is_some() {
            // A snapshot is the aggregate's state in clear: it would keep the personal data
            // out of reach of the erasure. Arreta does not take snapshots; refuse, loudly.
            return Err(PersistenceError::UnknownError(
                "snapshots would store personal data unsealed".into(),
            ));
        }
        let sealed = self.seal(events).await.map_err(persistence)?;
        self.inner.persist::<A>(&sealed, None).await
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        let events = self.get_events::<A>(aggregate_id).await?;
        replay(events).await
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        // Replaying everything goes through the global log (`global_log::read_after`), which
        // opens in batches; through here it would be one unbounded read.
        Err(PersistenceError::UnknownError(
            "replay all events through the global log".into(),
        ))
    }
}

async fn replay(events: Vec<SerializedEvent>) -> Result<ReplayStream, PersistenceError> {
    let (mut feed, stream) = ReplayStream::new(events.len().max(1));
    for event in events {
        feed.push(Ok(event)).await?;
    }
    Ok(stream)
}
