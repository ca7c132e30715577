//! What is due, or coming due, from the `retention` read model and the schedule.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::retention::{HeldObject, ObjectKind, RetentionPlan, RetentionSchedule};
use domain::values::ProcedureCode;
use serde::Serialize;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

/// One thing of an ended case that is due, or will be, to go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueItem {
    pub request_id: Uuid,
    pub procedure: String,
    /// `document`, `recording` or `personal_data`.
    pub kind: DueKind,
    /// The document's or recording's id; `None` for personal data.
    pub object_id: Option<Uuid>,
    pub object_key: Option<String>,
    pub version_id: Option<String>,
    pub due_at: DateTime<Utc>,
    /// Whether it is due now (else coming due within the horizon asked).
    pub due: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    Document,
    Recording,
    PersonalData,
}

impl DueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Recording => "recording",
            Self::PersonalData => "personal_data",
        }
    }
}

impl From<ObjectKind> for DueKind {
    fn from(kind: ObjectKind) -> Self {
        match kind {
            ObjectKind::Document => Self::Document,
            ObjectKind::Recording => Self::Recording,
        }
    }
}

/// An ended case as the read model has it.
struct EndedCase {
    procedure: String,
    ended_at: DateTime<Utc>,
    objects: Vec<HeldObject>,
    shredded: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DueError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("the retention read model holds {0:?}, not a procedure code or object kind")]
    Corrupt(String),
}

/// Every object not purged yet and every personal data not shredded yet of the ended cases,
/// due at or before `until`, earliest first. `now` says which are due already.
pub async fn due_items(
    conn: &mut PgConnection,
    schedule: &RetentionSchedule,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<DueItem>, DueError> {
    let mut cases: BTreeMap<Uuid, EndedCase> = BTreeMap::new();
    for row in sqlx::query(
        "SELECT c.request_id, c.procedure_code, c.ended_at, (s.request_id IS NOT NULL) AS shredded \
         FROM retention_cases c LEFT JOIN retention_shredded s USING (request_id) \
         WHERE c.ended_at IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        cases.insert(
            row.try_get("request_id")?,
            EndedCase {
                procedure: row.try_get("procedure_code")?,
                ended_at: row.try_get("ended_at")?,
                objects: Vec::new(),
                shredded: row.try_get("shredded")?,
            },
        );
    }
    for row in sqlx::query(
        "SELECT o.request_id, o.kind, o.object_id, o.object_key, o.version_id, o.retain_until, o.purged_at \
         FROM retention_objects o JOIN retention_cases c USING (request_id) \
         WHERE c.ended_at IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let request_id: Uuid = row.try_get("request_id")?;
        let kind: String = row.try_get("kind")?;
        let kind = match kind.as_str() {
            "document" => ObjectKind::Document,
            "recording" => ObjectKind::Recording,
            _ => return Err(DueError::Corrupt(kind)),
        };
        if let Some(case) = cases.get_mut(&request_id) {
            case.objects.push(HeldObject {
                kind,
                id: row.try_get("object_id")?,
                object_key: row.try_get("object_key")?,
                version_id: row.try_get("version_id")?,
                retain_until: row.try_get("retain_until")?,
                purged_at: row.try_get("purged_at")?,
            });
        }
    }
    let mut items = Vec::new();
    for (request_id, case) in cases {
        let code = ProcedureCode::parse(&case.procedure)
            .map_err(|_| DueError::Corrupt(case.procedure.clone()))?;
        let plan = RetentionPlan::new(case.ended_at, &schedule.periods_for(&code), case.objects);
        for o in plan.objects.iter().filter(|o| o.object.purged_at.is_none()) {
            if o.due_at <= until {
                items.push(DueItem {
                    request_id,
                    procedure: case.procedure.clone(),
                    kind: o.object.kind.into(),
                    object_id: Some(o.object.id),
                    object_key: Some(o.object.object_key.clone()),
                    version_id: Some(o.object.version_id.clone()),
                    due_at: o.due_at,
                    due: o.due_at <= now,
                });
            }
        }
        if !case.shredded && plan.personal_data_due_at <= until {
            items.push(DueItem {
                request_id,
                procedure: case.procedure,
                kind: DueKind::PersonalData,
                object_id: None,
                object_key: None,
                version_id: None,
                due_at: plan.personal_data_due_at,
                due: plan.personal_data_due(now),
            });
        }
    }
    items.sort_by(|a, b| {
        (a.due_at, a.request_id, a.kind, &a.object_key).cmp(&(
            b.due_at,
            b.request_id,
            b.kind,
            &b.object_key,
        ))
    });
    Ok(items)
}
