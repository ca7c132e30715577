//! Projectors follow the global log and keep read models, each with a checkpoint written in the
//! same transaction as its rows (see `projections::log` for the ordering contract).
//!
//! One instance of each projector runs at a time across all api replicas: a batch takes a
//! transaction-scoped advisory lock named after the projector, and an instance that does not get
//! it simply waits for the next round.

mod agenda;
mod case_summary;
mod report;
mod retention;
mod runner;

pub use agenda::AgendaProjector;
pub use case_summary::CaseSummaryProjector;
pub use report::ReportProjector;
pub use retention::RetentionProjector;
pub use runner::{ProjectorRunner, catch_up, checkpoint, rebuild, start_at_end_if_new};

use async_trait::async_trait;
use projections::{DecodeError, LoggedEvent};
use sqlx::PgConnection;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("{0}")]
    Fold(String),
    #[error("unknown projection {0:?}; known: {1}")]
    Unknown(String, String),
    #[error(transparent)]
    PersonalData(#[from] crate::personal_data::PersonalDataError),
}

impl From<crate::global_log::LogError> for ProjectionError {
    fn from(error: crate::global_log::LogError) -> Self {
        match error {
            crate::global_log::LogError::Database(e) => Self::Database(e),
            crate::global_log::LogError::PersonalData(e) => Self::PersonalData(e),
        }
    }
}

#[async_trait]
pub trait Projector: Send + Sync {
    /// The checkpoint's name and the name `arreta projections rebuild NAME` takes.
    fn name(&self) -> &'static str;
    /// The tables this projector owns, emptied on rebuild.
    fn tables(&self) -> &'static [&'static str];
    /// Applies one event inside the batch's transaction. Events of other aggregates are ignored.
    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &LoggedEvent,
    ) -> Result<(), ProjectionError>;
}

/// The request id and event of a CitizenRequest event; `None` for other aggregates' events.
pub(crate) fn citizen_request_event(
    event: &LoggedEvent,
) -> Result<Option<(uuid::Uuid, domain::citizen_request::CitizenRequestEvent)>, ProjectionError> {
    if event.aggregate_type != <domain::citizen_request::CitizenRequest as cqrs_es::Aggregate>::TYPE
    {
        return Ok(None);
    }
    let request_id = uuid::Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Fold(format!("request id {}: {e}", event.aggregate_id)))?;
    Ok(Some((request_id, event.decode()?)))
}

/// Every projector Arreta runs; reports count days in the council's `timezone`.
pub fn all(timezone: chrono_tz::Tz) -> Vec<std::sync::Arc<dyn Projector>> {
    vec![
        std::sync::Arc::new(CaseSummaryProjector),
        std::sync::Arc::new(AgendaProjector),
        std::sync::Arc::new(ReportProjector { timezone }),
        std::sync::Arc::new(RetentionProjector),
    ]
}

/// The names of every projector, as checkpoints and `projections rebuild` know them.
pub const NAMES: [&str; 4] = ["case_summary", "agenda", "report", "retention"];
