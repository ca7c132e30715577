//! The retention schedule: how long, after a case ends, its documents, its recordings and the
//! citizen's personal data in it are kept, and from that when each of them is due to go.
//!
//! Pure: the schedule comes from the configuration, the facts (when the case ended, what objects
//! it holds and until when each is locked) from the case's events, and the time from the caller.
//!
//! Two rules bound every due date:
//! - an object is never due before its own COMPLIANCE retain-until: Object Lock forbids deleting
//!   it earlier, whatever the schedule says;
//! - the personal data of a case is never due before every document and recording of the case
//!   is due: an object still kept is still about someone, and the case data says whose.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::values::ProcedureCode;

/// Four years, leap day included: the shortest a recording is kept (the storage's bucket rule
/// and the schedule both hold to it).
pub const MIN_RECORDINGS_RETENTION_DAYS: u32 = 1461;

/// What the schedule keeps for a period after the case's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionKind {
    Documents,
    Recordings,
    /// The citizen's personal data in the case (name, DNI/NIE, email, phone): shredded, not
    /// deleted, since events are append-only.
    CaseData,
}

impl RetentionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Documents => "documents",
            Self::Recordings => "recordings",
            Self::CaseData => "case_data",
        }
    }
}

/// How long each kind is kept after the case ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPeriods {
    pub documents: Duration,
    pub recordings: Duration,
    pub case_data: Duration,
}

impl RetentionPeriods {
    pub fn of(&self, kind: RetentionKind) -> Duration {
        match kind {
            RetentionKind::Documents => self.documents,
            RetentionKind::Recordings => self.recordings,
            RetentionKind::CaseData => self.case_data,
        }
    }
}

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "recordings are kept at least {MIN_RECORDINGS_RETENTION_DAYS} days (four years){}, not {days} days",
        procedure.as_ref().map(|p| format!(" (procedure {p})")).unwrap_or_default()
    )]
    RecordingsTooShort {
        procedure: Option<String>,
        days: i64,
    },
    #[error("every retention period is positive{}", procedure.as_ref().map(|p| format!(" (procedure {p})")).unwrap_or_default())]
    NotPositive { procedure: Option<String> },
}

/// The council's schedule: a default for every procedure, and the procedures that differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionSchedule {
    default: RetentionPeriods,
    procedures: BTreeMap<ProcedureCode, RetentionPeriods>,
}

impl RetentionSchedule {
    /// A schedule for real records: recordings at least four years, every period positive.
    pub fn new(
        default: RetentionPeriods,
        procedures: BTreeMap<ProcedureCode, RetentionPeriods>,
    ) -> Result<Self, ScheduleError> {
        let minimum = Duration::days(i64::from(MIN_RECORDINGS_RETENTION_DAYS));
        let all = std::iter::once((None, &default))
            .chain(procedures.iter().map(|(code, p)| (Some(code), p)));
        for (procedure, periods) in all {
            let name = || procedure.map(|p| p.as_str().to_string());
            if [periods.documents, periods.recordings, periods.case_data]
                .iter()
                .any(|d| *d <= Duration::zero())
            {
                return Err(ScheduleError::NotPositive { procedure: name() });
            }
            if periods.recordings < minimum {
                return Err(ScheduleError::RecordingsTooShort {
                    procedure: name(),
                    days: periods.recordings.num_days(),
                });
            }
        }
        Ok(Self {
            default,
            procedures,
        })
    }

    /// A schedule of any length, recordings included: for tests that watch a purge happen in
    /// seconds. The configuration allows it only outside the production profile.
    pub fn short_for_tests(default: RetentionPeriods) -> Self {
        Self {
            default,
            procedures: BTreeMap::new(),
        }
    }

    /// The periods that apply to a case of `procedure`.
    pub fn periods_for(&self, procedure: &ProcedureCode) -> RetentionPeriods {
        self.procedures
            .get(procedure)
            .copied()
            .unwrap_or(self.default)
    }
}

/// An object (one version) a case holds in storage, as its events describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldObject {
    pub kind: ObjectKind,
    /// The document's id, or the recording's (a recording has a file per publication).
    pub id: uuid::Uuid,
    pub object_key: String,
    pub version_id: String,
    /// Its COMPLIANCE retention, as the store held it when it was written.
    pub retain_until: DateTime<Utc>,
    pub purged_at: Option<DateTime<Utc>>,
}

/// Which bucket an object lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Document,
    Recording,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Recording => "recording",
        }
    }

    pub fn retention_kind(self) -> RetentionKind {
        match self {
            Self::Document => RetentionKind::Documents,
            Self::Recording => RetentionKind::Recordings,
        }
    }
}

/// When one object is due for purge: the schedule's period after the case's end, but never
/// before the object's own retain-until (Object Lock would refuse the delete).
pub fn object_due(
    ended_at: DateTime<Utc>,
    periods: &RetentionPeriods,
    kind: ObjectKind,
    retain_until: DateTime<Utc>,
) -> DateTime<Utc> {
    (ended_at + periods.of(kind.retention_kind())).max(retain_until)
}

/// One object of a plan with the time it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueObject {
    pub object: HeldObject,
    pub due_at: DateTime<Utc>,
}

/// When each thing a case holds is due to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPlan {
    pub ended_at: DateTime<Utc>,
    pub objects: Vec<DueObject>,
    /// When the citizen's personal data in the case is due for shredding: the case-data period
    /// after the end, and not before the last object is due.
    pub personal_data_due_at: DateTime<Utc>,
}

impl RetentionPlan {
    /// The plan of a case that ended at `ended_at` holding `objects`.
    pub fn new(
        ended_at: DateTime<Utc>,
        periods: &RetentionPeriods,
        objects: impl IntoIterator<Item = HeldObject>,
    ) -> Self {
        let objects: Vec<DueObject> = objects
            .into_iter()
            .map(|object| DueObject {
                due_at: object_due(ended_at, periods, object.kind, object.retain_until),
                object,
            })
            .collect();
        let personal_data_due_at = objects
            .iter()
            .map(|o| o.due_at)
            .fold(ended_at + periods.case_data, DateTime::max);
        Self {
            ended_at,
            objects,
            personal_data_due_at,
        }
    }

    /// The objects due at `now` and not purged yet.
    pub fn due_objects(&self, now: DateTime<Utc>) -> impl Iterator<Item = &DueObject> {
        self.objects
            .iter()
            .filter(move |o| o.object.purged_at.is_none() && o.due_at <= now)
    }

    /// Whether the personal data is due at `now`.
    pub fn personal_data_due(&self, now: DateTime<Utc>) -> bool {
        self.personal_data_due_at <= now
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
            .single()
            .expect("valid time")
    }

    fn years(n: i64) -> Duration {
        Duration::days(365 * n + n / 4)
    }

    fn periods() -> RetentionPeriods {
        RetentionPeriods {
            documents: Duration::days(365),
            recordings: years(4),
            case_data: years(5),
        }
    }

    fn code(text: &str) -> ProcedureCode {
        ProcedureCode::parse(text).expect("code")
    }

    fn held(kind: ObjectKind, retain_until: DateTime<Utc>) -> HeldObject {
        HeldObject {
            kind,
            id: uuid::Uuid::from_u128(1),
            object_key: "r/1".into(),
            version_id: "v1".into(),
            retain_until,
            purged_at: None,
        }
    }

    #[test]
    fn given_a_procedure_override_when_asked_then_its_periods_apply_and_others_get_the_default() {
        let mut quejas = periods();
        quejas.documents = years(2);
        let schedule = RetentionSchedule::new(periods(), BTreeMap::from([(code("QUEJA"), quejas)]))
            .expect("schedule");
        assert_eq!(schedule.periods_for(&code("QUEJA")).documents, years(2));
        assert_eq!(
            schedule.periods_for(&code("PADRON-ALTA")).documents,
            Duration::days(365)
        );
    }

    #[test]
    fn given_recordings_kept_less_than_four_years_when_scheduled_then_refused() {
        let mut short = periods();
        short.recordings = Duration::days(1460);
        assert!(matches!(
            RetentionSchedule::new(short, BTreeMap::new()),
            Err(ScheduleError::RecordingsTooShort {
                procedure: None,
                days: 1460
            })
        ));
        assert!(matches!(
            RetentionSchedule::new(periods(), BTreeMap::from([(code("QUEJA"), short)])),
            Err(ScheduleError::RecordingsTooShort { procedure: Some(p), .. }) if p == "QUEJA"
        ));
        let mut zero = periods();
        zero.documents = Duration::zero();
        assert!(matches!(
            RetentionSchedule::new(zero, BTreeMap::new()),
            Err(ScheduleError::NotPositive { .. })
        ));
        // Exactly four years is enough.
        let mut four = periods();
        four.recordings = Duration::days(i64::from(MIN_RECORDINGS_RETENTION_DAYS));
        assert!(RetentionSchedule::new(four, BTreeMap::new()).is_ok());
    }

    #[test]
    fn given_an_object_locked_longer_than_the_schedule_when_planned_then_its_lock_wins() {
        let ended = t(2, 10);
        let locked_long = ended + years(3);
        assert_eq!(
            object_due(ended, &periods(), ObjectKind::Document, locked_long),
            locked_long
        );
        // A lock that ends before the period: the period wins.
        assert_eq!(
            object_due(ended, &periods(), ObjectKind::Document, t(3, 10)),
            ended + Duration::days(365)
        );
        assert_eq!(
            object_due(ended, &periods(), ObjectKind::Recording, t(3, 10)),
            ended + years(4)
        );
    }

    #[test]
    fn given_a_case_when_planned_then_personal_data_goes_after_every_object() {
        let ended = t(2, 10);
        let mut schedule = periods();
        schedule.case_data = Duration::days(30);
        let plan = RetentionPlan::new(
            ended,
            &schedule,
            [
                held(ObjectKind::Document, t(1, 10)),
                held(ObjectKind::Recording, ended + years(6)),
            ],
        );
        assert_eq!(plan.objects[0].due_at, ended + Duration::days(365));
        assert_eq!(plan.objects[1].due_at, ended + years(6));
        assert_eq!(plan.personal_data_due_at, ended + years(6));
        // With nothing held, the case-data period alone.
        let empty = RetentionPlan::new(ended, &schedule, []);
        assert_eq!(empty.personal_data_due_at, ended + Duration::days(30));
    }

    #[test]
    fn given_a_plan_when_asked_at_a_time_then_only_unpurged_objects_past_due_are_due() {
        let ended = t(2, 10);
        let mut purged = held(ObjectKind::Document, t(1, 10));
        purged.purged_at = Some(ended + Duration::days(400));
        let plan = RetentionPlan::new(
            ended,
            &periods(),
            [held(ObjectKind::Document, t(1, 10)), purged],
        );
        let due_at = ended + Duration::days(365);
        assert_eq!(plan.due_objects(due_at - Duration::seconds(1)).count(), 0);
        assert_eq!(plan.due_objects(due_at).count(), 1);
        assert!(!plan.personal_data_due(due_at));
        assert!(plan.personal_data_due(ended + years(5)));
    }

    #[test]
    fn given_a_short_schedule_for_tests_then_recordings_may_go_in_seconds() {
        let short = RetentionPeriods {
            documents: Duration::seconds(2),
            recordings: Duration::seconds(2),
            case_data: Duration::seconds(3),
        };
        let schedule = RetentionSchedule::short_for_tests(short);
        assert_eq!(
            schedule.periods_for(&code("QUEJA")).recordings,
            Duration::seconds(2)
        );
    }
}
