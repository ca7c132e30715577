//! Executes commands on aggregates stored through postgres-es, returning what was committed.
//!
//! cqrs-es's `CqrsFramework` returns nothing and runs its queries in process after the commit;
//! Arreta's read models follow the global log instead, so this bus only loads, handles and
//! commits. It retries optimistic-lock conflicts (two writers at the same version) by reloading
//! and re-deciding, and serialises commands on one aggregate within the process so that a burst
//! on one day's agenda does not turn into a storm of conflicts.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::{EventStoreAggregateContext, PersistedEventStore};
use cqrs_es::{Aggregate, AggregateError, EventStore};
use domain::metadata::EventMetadata;
use rand::Rng;
use sqlx::PgPool;

use crate::personal_data::{PersonalData, SealedRepository};
use tokio::sync::Mutex;

const LOCK_STRIPES: usize = 256;
const MAX_ATTEMPTS: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused the command: a business rule.
    #[error(transparent)]
    Rejected(E),
    /// Other writers kept changing the aggregate; nothing was written.
    #[error("the aggregate kept changing under concurrent writers")]
    Conflict,
    /// The caller expected another version (`If-Match`); nothing was written.
    #[error("expected version {expected}, the aggregate is at {current}")]
    VersionMismatch { expected: usize, current: usize },
    /// The event store could not be reached or answered with an error; nothing was written.
    #[error("event store: {0}")]
    Store(String),
}

impl<E: std::error::Error> CommandError<E> {
    fn from_store(error: AggregateError<E>) -> Self {
        match error {
            AggregateError::UserError(e) => Self::Rejected(e),
            AggregateError::AggregateConflict => Self::Conflict,
            other => Self::Store(other.to_string()),
        }
    }
}

/// The result of a command: the aggregate after it, its version, and the events it wrote (none
/// when the command was a retry of one already applied).
#[derive(Debug)]
pub struct Outcome<A: Aggregate> {
    pub aggregate: A,
    pub version: usize,
    pub events: Vec<A::Event>,
}

pub struct CommandBus<A: Aggregate> {
    store: PersistedEventStore<SealedRepository, A>,
    services: A::Services,
    locks: Arc<Vec<Mutex<()>>>,
}

impl<A> CommandBus<A>
where
    A: Aggregate + Clone,
    A::Command: Clone,
{
    /// Events go through `personal`, which seals the citizen's data as they are stored and
    /// opens it as they are loaded.
    pub fn new(pool: PgPool, personal: PersonalData, services: A::Services) -> Self {
        Self {
            store: PersistedEventStore::new_event_store(SealedRepository::new(pool, personal)),
            services,
            locks: Arc::new((0..LOCK_STRIPES).map(|_| Mutex::new(())).collect()),
        }
    }

    fn stripe(&self, aggregate_id: &str) -> &Mutex<()> {
        let mut hasher = DefaultHasher::new();
        aggregate_id.hash(&mut hasher);
        &self.locks[(hasher.finish() as usize) % LOCK_STRIPES]
    }

    /// Loads the aggregate's current state and version (0 when it has no events).
    pub async fn load(&self, aggregate_id: &str) -> Result<(A, usize), CommandError<A::Error>> {
        let context = self
            .store
            .load_aggregate(aggregate_id)
            .await
            .map_err(CommandError::from_store)?;
        Ok((context.aggregate, context.current_sequence))
    }

    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Outcome<A>, CommandError<A::Error>> {
        self.execute_expecting(aggregate_id, command, metadata, None)
            .await
    }

    /// Executes only if the aggregate is at `expected` (when given): optimistic concurrency for
    /// clients, from `If-Match`.
    pub async fn execute_expecting(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<Outcome<A>, CommandError<A::Error>> {
        let _guard = self.stripe(aggregate_id).lock().await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .try_once(aggregate_id, command.clone(), metadata, expected)
                .await
            {
                Err(CommandError::Conflict) if attempt < MAX_ATTEMPTS => {
                    // Another process wrote first: back off a little, with jitter, and re-decide.
                    let wait = rand::rng().random_range(1..=(5 * u64::from(attempt)));
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                result => return result,
            }
        }
    }

    async fn try_once(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
        expected: Option<usize>,
    ) -> Result<Outcome<A>, CommandError<A::Error>> {
        let mut context: EventStoreAggregateContext<A> = self
            .store
            .load_aggregate(aggregate_id)
            .await
            .map_err(CommandError::from_store)?;
        let version = context.current_sequence;
        if let Some(expected) = expected.filter(|e| *e != version) {
            return Err(CommandError::VersionMismatch {
                expected,
                current: version,
            });
        }
        let sink = EventSink::default();
        context
            .aggregate
            .handle(command, &self.services, &sink)
            .await
            .map_err(CommandError::Rejected)?;
        let events = sink.collect().await;
        let aggregate = context.aggregate.clone();
        if events.is_empty() {
            return Ok(Outcome {
                aggregate,
                version,
                events,
            });
        }
        let committed = self
            .store
            .commit(events, context, metadata.to_map())
            .await
            .map_err(CommandError::from_store)?;
        Ok(Outcome {
            aggregate,
            version: version + committed.len(),
            events: committed.into_iter().map(|e| e.payload).collect(),
        })
    }
}
