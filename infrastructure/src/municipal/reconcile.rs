//! Comparing the video appointments with a list exported by the municipal system, and fixing
//! what differs the way an inbound appointment would (the municipal system is the master of its
//! references). Compared against the case summaries: run it once projections have caught up.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::citizen_request::CaseStatus;
use domain::metadata::EventMetadata;
use serde::Serialize;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::inbound::MunicipalAppointment;
use crate::booking::BookingService;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    /// Booked there, unknown here.
    MissingHere,
    /// Booked here with a municipal reference the export does not list.
    MissingThere,
    /// Both know it, but the time, procedure or status differ.
    Differs,
}

/// An appointment's state on one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    pub status: String,
    pub procedure: String,
    pub start: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub reference: String,
    pub kind: DifferenceKind,
    pub here: Option<Side>,
    pub there: Option<Side>,
    /// With `--fix`: what was done, or why it could not be.
    pub fix: Option<Result<&'static str, String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub compared: usize,
    pub differences: Vec<Difference>,
}

impl Report {
    /// Differences left after fixing (all of them without `--fix`).
    pub fn unresolved(&self) -> usize {
        self.differences
            .iter()
            .filter(|d| !matches!(d.fix, Some(Ok(_))))
            .count()
    }
}

struct Case {
    request_id: Uuid,
    side: Side,
}

async fn cases_with_references(pool: &PgPool) -> Result<BTreeMap<String, Case>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT request_id, external_reference, status, procedure_code, slot_start \
         FROM case_summary WHERE external_reference IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let mut cases = BTreeMap::new();
    for row in rows {
        cases.insert(
            row.try_get::<String, _>("external_reference")?,
            Case {
                request_id: row.try_get("request_id")?,
                side: Side {
                    status: row.try_get("status")?,
                    procedure: row.try_get("procedure_code")?,
                    start: row.try_get("slot_start")?,
                },
            },
        );
    }
    Ok(cases)
}

fn there(appointment: &MunicipalAppointment) -> Side {
    Side {
        status: if appointment.cancelled.is_some() {
            CaseStatus::Cancelled.as_str()
        } else {
            CaseStatus::Booked.as_str()
        }
        .into(),
        procedure: appointment.booking.procedure.as_str().into(),
        start: appointment.booking.start,
    }
}

/// Compares `export` with the cases that carry a municipal reference; with `fix`, applies each
/// exported appointment that differs (as the municipal system, so nothing is pushed back).
pub async fn reconcile(
    pool: &PgPool,
    booking: &BookingService,
    export: Vec<MunicipalAppointment>,
    fix: bool,
    metadata: &EventMetadata,
) -> Result<Report, sqlx::Error> {
    let mut here = cases_with_references(pool).await?;
    let compared = export.len();
    let mut differences = Vec::new();
    for mut appointment in export {
        let there = there(&appointment);
        let case = here.remove(&appointment.reference);
        let kind = match &case {
            None if appointment.cancelled.is_some() => continue,
            None => DifferenceKind::MissingHere,
            Some(case) if case.side == there => continue,
            Some(_) => DifferenceKind::Differs,
        };
        if let Some(case) = &case {
            // A case booked here by a clerk with the reference keeps its own id.
            appointment.booking.request_id = case.request_id;
        }
        let fixed = if fix {
            Some(
                match booking.sync_municipal(appointment.clone(), metadata).await {
                    Ok((outcome, _)) => Ok(outcome.as_str()),
                    Err(error) => Err(error.to_string()),
                },
            )
        } else {
            None
        };
        differences.push(Difference {
            reference: appointment.reference,
            kind,
            here: case.map(|c| c.side),
            there: Some(there),
            fix: fixed,
        });
    }
    for (reference, case) in here {
        if case.side.status == CaseStatus::Booked.as_str() {
            differences.push(Difference {
                reference,
                kind: DifferenceKind::MissingThere,
                here: Some(case.side),
                there: None,
                fix: None,
            });
        }
    }
    Ok(Report {
        compared,
        differences,
    })
}
