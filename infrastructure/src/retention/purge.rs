//! The purge: for every ended case with something due, delete each due object version, then
//! record `DocumentPurged` / `RecordingPurged` on the case; then, once the case's personal data
//! is due, have it shredded.
//!
//! Delete first, record second, so no event ever says a version is gone while it is still
//! there. A crash between the two leaves a version gone and not recorded: the next run finds it
//! due again, its delete answers "not found" (or succeeds: S3 deletes a missing version without
//! complaint), and it is recorded then. What to do is decided from the case in the event store,
//! not from the read model, so a read model that lags never makes the purge act twice or early.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::citizen_request::{
    CitizenRequestCommand, CitizenRequestError, PurgeDocument, PurgeRecording,
};
use domain::metadata::EventMetadata;
use domain::retention::{ObjectKind, RetentionSchedule};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::due::{DueError, DueKind, due_items};
use super::shredder::CaseShredder;
use crate::booking::{BookingError, BookingService};
use crate::object_store::{Bucket, ObjectStore, StorageError};

/// The actor the purge's events carry.
pub const ACTOR: &str = "retention-purge";

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error(transparent)]
    Due(#[from] DueError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// What happened to one due object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ObjectOutcome {
    /// Deleted now and recorded.
    Purged,
    /// Already gone from the store (a run that crashed after deleting): recorded now.
    AlreadyGone,
    /// The store still holds a lock on it (longer than the case recorded): left, not recorded.
    Locked { retain_until: Option<DateTime<Utc>> },
    /// The store or the case refused or failed: left for the next run.
    Failed { error: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectAction {
    pub request_id: Uuid,
    pub kind: DueKind,
    pub object_id: Uuid,
    pub object_key: String,
    pub version_id: String,
    #[serde(flatten)]
    pub outcome: ObjectOutcome,
}

/// What happened to a case's personal data whose time had come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ShredOutcome {
    Shredded,
    /// No shredder is wired into this build: the data stays and stays listed as due.
    NotWired,
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShredAction {
    pub request_id: Uuid,
    #[serde(flatten)]
    pub outcome: ShredOutcome,
}

/// Everything one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeRun {
    pub objects: Vec<ObjectAction>,
    pub personal_data: Vec<ShredAction>,
    /// Values looked for by staff searches, blanked (`staff_search::forget_searched_values`).
    pub searched_values_forgotten: u64,
}

impl PurgeRun {
    /// How many objects were purged (now or recorded after an earlier delete).
    pub fn purged(&self) -> usize {
        self.objects
            .iter()
            .filter(|a| {
                matches!(
                    a.outcome,
                    ObjectOutcome::Purged | ObjectOutcome::AlreadyGone
                )
            })
            .count()
    }

    /// How many things were due and not done (locked, failed, shredding not wired).
    pub fn left(&self) -> usize {
        self.objects
            .iter()
            .filter(|a| {
                matches!(
                    a.outcome,
                    ObjectOutcome::Locked { .. } | ObjectOutcome::Failed { .. }
                )
            })
            .count()
            + self
                .personal_data
                .iter()
                .filter(|a| a.outcome != ShredOutcome::Shredded)
                .count()
    }
}

pub struct Purger {
    pub pool: PgPool,
    pub booking: Arc<BookingService>,
    pub objects: Arc<dyn ObjectStore>,
    pub schedule: RetentionSchedule,
    /// `None` until `infrastructure::personal_data` is wired in.
    pub shredder: Option<Arc<dyn CaseShredder>>,
}

impl Purger {
    /// What is due now and what comes due until `until`.
    pub async fn report(&self, until: DateTime<Utc>) -> Result<Vec<super::DueItem>, PurgeError> {
        let mut conn = self.pool.acquire().await?;
        Ok(due_items(&mut conn, &self.schedule, self.booking.now(), until).await?)
    }

    /// Purges everything due now. Errors of one object or case are in the run's outcomes, so
    /// one refusal does not stop the rest; only failing to read what is due stops the run.
    pub async fn run(&self) -> Result<PurgeRun, PurgeError> {
        let now = self.booking.now();
        let due = self.report(now).await?;
        // Each case once, earliest due first.
        let mut seen = std::collections::HashSet::new();
        let cases: Vec<Uuid> = due
            .iter()
            .map(|d| d.request_id)
            .filter(|id| seen.insert(*id))
            .collect();
        let metadata = EventMetadata::system(ACTOR, now, Uuid::now_v7());
        let mut run = PurgeRun::default();
        for request_id in cases {
            let shred = due
                .iter()
                .any(|d| d.request_id == request_id && d.kind == DueKind::PersonalData);
            self.purge_case(request_id, shred, &metadata, &mut run)
                .await?;
        }
        // After the shredding, so the values that found a case erased now go in this run when
        // its read model has caught up, or in the next.
        let mut conn = self.pool.acquire().await?;
        run.searched_values_forgotten =
            crate::staff_search::forget_searched_values(&mut conn, now).await?;
        Ok(run)
    }

    async fn purge_case(
        &self,
        request_id: Uuid,
        personal_data_due: bool,
        metadata: &EventMetadata,
        run: &mut PurgeRun,
    ) -> Result<(), PurgeError> {
        let now = self.booking.now();
        let case = match self.booking.load(request_id).await {
            Ok((case, _)) => case,
            Err(error) => {
                tracing::warn!(%request_id, %error, "retention purge: could not load the case");
                return Ok(());
            }
        };
        let Some(periods) = case
            .booking()
            .map(|b| self.schedule.periods_for(&b.procedure))
        else {
            return Ok(());
        };
        let Some(plan) = case.retention_plan(&periods) else {
            return Ok(());
        };
        for due in plan.due_objects(now) {
            let object = &due.object;
            let bucket = match object.kind {
                ObjectKind::Document => Bucket::Documents,
                ObjectKind::Recording => Bucket::Recordings,
            };
            let deleted = self
                .objects
                .delete_version(bucket, &object.object_key, &object.version_id)
                .await;
            let gone = match deleted {
                Ok(()) => ObjectOutcome::Purged,
                Err(StorageError::NotFound(_)) => ObjectOutcome::AlreadyGone,
                Err(StorageError::Locked { retain_until, .. }) => {
                    tracing::warn!(%request_id, key = %object.object_key, version = %object.version_id, ?retain_until, "retention purge: the store still locks a version the schedule says is due");
                    ObjectOutcome::Locked { retain_until }
                }
                Err(error) => ObjectOutcome::Failed {
                    error: error.to_string(),
                },
            };
            let outcome = match gone {
                ObjectOutcome::Purged | ObjectOutcome::AlreadyGone => {
                    let command = match object.kind {
                        ObjectKind::Document => {
                            CitizenRequestCommand::PurgeDocument(PurgeDocument {
                                document_id: object.id,
                                periods,
                                at: now,
                            })
                        }
                        ObjectKind::Recording => {
                            CitizenRequestCommand::PurgeRecording(PurgeRecording {
                                recording_id: object.id,
                                object_key: object.object_key.clone(),
                                periods,
                                at: now,
                            })
                        }
                    };
                    match self
                        .booking
                        .execute(request_id, command, metadata, None)
                        .await
                    {
                        // Another run recorded it meanwhile: what matters is that it is.
                        Ok(_) | Err(BookingError::Request(CitizenRequestError::AlreadyPurged)) => {
                            gone
                        }
                        Err(error) => ObjectOutcome::Failed {
                            error: format!("deleted, not recorded yet: {error}"),
                        },
                    }
                }
                other => other,
            };
            run.objects.push(ObjectAction {
                request_id,
                kind: object.kind.into(),
                object_id: object.id,
                object_key: object.object_key.clone(),
                version_id: object.version_id.clone(),
                outcome,
            });
        }
        if personal_data_due && plan.personal_data_due(now) {
            let outcome = self.shred(request_id, now).await?;
            run.personal_data.push(ShredAction {
                request_id,
                outcome,
            });
        }
        Ok(())
    }

    async fn shred(
        &self,
        request_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<ShredOutcome, PurgeError> {
        let Some(shredder) = &self.shredder else {
            return Ok(ShredOutcome::NotWired);
        };
        if let Err(error) = shredder.shred(request_id).await {
            tracing::error!(%request_id, %error, "retention purge: shredding the personal data failed");
            return Ok(ShredOutcome::Failed {
                error: error.to_string(),
            });
        }
        sqlx::query(
            "INSERT INTO retention_shredded (request_id, shredded_at) VALUES ($1, $2) \
             ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(request_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(ShredOutcome::Shredded)
    }
}
