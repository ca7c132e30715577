//! The council's registry of signed requests and complaints (Ley 39/2015, art. 16).
//!
//! [`RegistryReactor`] follows the global log and, for each `DocumentSigned`, writes the next
//! entry in the same transaction as its checkpoint. One instance runs at a time and numbers are
//! max + 1 inside that transaction, so they increase strictly, in log order, without gaps, and a
//! replay never numbers a signature twice (one entry per signature).
//!
//! [`RegistryRecorder`] then puts each entry on its case (`RegistryEntryMade`, which the mail
//! reactor answers with the registry receipt) and notes that it did. A crash between the two only
//! repeats the recording, which the case takes as a no-op.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::citizen_request::{
    CitizenRequest, CitizenRequestCommand, CitizenRequestEvent, RecordRegistryEntry,
};
use domain::metadata::EventMetadata;
use projections::LoggedEvent;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;
use uuid::Uuid;

use crate::booking::BookingService;
use crate::clock::Clock;
use crate::global_log;
use crate::projector::{ProjectionError, Projector};

pub const REACTOR_NAME: &str = "registry";

pub struct RegistryReactor {
    pub personal: crate::personal_data::PersonalData,
}

#[async_trait]
impl Projector for RegistryReactor {
    fn name(&self) -> &'static str {
        REACTOR_NAME
    }

    /// None: the registry is never emptied and renumbered.
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &LoggedEvent,
    ) -> Result<(), ProjectionError> {
        let Some((request_id, payload)) = crate::projector::citizen_request_event(event)? else {
            return Ok(());
        };
        let CitizenRequestEvent::DocumentSigned {
            signature_id,
            signed_at,
            ..
        } = payload
        else {
            return Ok(());
        };
        // The signature as the case knew it then: kind and addressee come from its request.
        let mut case = CitizenRequest::default();
        for logged in global_log::aggregate_events(
            conn,
            &self.personal,
            CitizenRequest::TYPE,
            &event.aggregate_id,
            Some(event.sequence),
        )
        .await?
        {
            case.apply(logged.decode()?);
        }
        let signature = case.signature(signature_id).ok_or_else(|| {
            ProjectionError::Fold(format!(
                "request {request_id}: signature {signature_id} signed but never requested"
            ))
        })?;
        sqlx::query(
            "INSERT INTO registry_entries (number, signature_id, request_id, document_id, kind, \
               interested_name, interested_id, addressee, document_sha256, registered_at) \
             SELECT coalesce(max(number), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9 \
             FROM registry_entries \
             ON CONFLICT (signature_id) DO NOTHING",
        )
        .bind(signature_id)
        .bind(request_id)
        .bind(signature.document_id)
        .bind(signature.kind.as_str())
        .bind(signature.signer.name.as_str())
        .bind(signature.signer.national_id.as_str())
        .bind(&signature.addressee)
        .bind(&signature.sha256)
        .bind(signed_at)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// One entry of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RegistryEntry {
    pub number: i64,
    pub signature_id: Uuid,
    pub request_id: Uuid,
    pub document_id: Uuid,
    pub kind: String,
    pub interested_name: String,
    pub interested_id: String,
    pub addressee: String,
    pub document_sha256: String,
    pub registered_at: DateTime<Utc>,
    pub recorded_on_case_at: Option<DateTime<Utc>>,
}

const ENTRY_COLUMNS: &str = "number, signature_id, request_id, document_id, kind, interested_name, \
    interested_id, addressee, document_sha256, registered_at, recorded_on_case_at";

/// Entries numbered after `after`, in order, at most `limit`.
pub async fn entries(
    pool: &PgPool,
    after: i64,
    limit: i64,
) -> Result<Vec<RegistryEntry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM registry_entries WHERE number > $1 ORDER BY number LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Puts registry entries on their cases.
pub struct RegistryRecorder {
    pub pool: PgPool,
    pub booking: Arc<BookingService>,
    pub clock: Arc<dyn Clock>,
    pub poll: std::time::Duration,
}

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub recorded: u32,
    pub failed: u32,
}

impl RegistryRecorder {
    pub async fn run_once(&self) -> Result<Round, sqlx::Error> {
        let mut round = Round::default();
        let pending: Vec<RegistryEntry> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM registry_entries WHERE recorded_on_case_at IS NULL \
             ORDER BY number LIMIT 100"
        ))
        .fetch_all(&self.pool)
        .await?;
        for entry in pending {
            let Ok(number) = u64::try_from(entry.number) else {
                continue;
            };
            let now = self.clock.now();
            let metadata = EventMetadata::system("registry", now, entry.signature_id);
            let command = CitizenRequestCommand::RecordRegistryEntry(RecordRegistryEntry {
                signature_id: entry.signature_id,
                number,
                registered_at: entry.registered_at,
            });
            match self
                .booking
                .execute(entry.request_id, command, &metadata, None)
                .await
            {
                Ok(_) => {
                    sqlx::query(
                        "UPDATE registry_entries SET recorded_on_case_at = $2 \
                         WHERE number = $1 AND recorded_on_case_at IS NULL",
                    )
                    .bind(entry.number)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                    round.recorded += 1;
                }
                Err(error) => {
                    // Kept for the next round; a refusal here means a bug and is loud.
                    tracing::error!(number = entry.number, request_id = %entry.request_id, %error, "registry entry not recorded on its case");
                    round.failed += 1;
                }
            }
        }
        Ok(round)
    }

    pub fn spawn(self, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let poll = self.poll;
        let recorder = Arc::new(self);
        crate::rounds::spawn_rounds("registry", poll, shutdown, move || {
            let recorder = recorder.clone();
            async move { recorder.run_once().await }
        })
    }
}
