//! `[retention]`: how long, after a case ends, its documents, recordings and personal data are
//! kept, per procedure, and how often `arreta serve` purges what is due.

use std::collections::BTreeMap;

use chrono::Duration;
use domain::retention::{MIN_RECORDINGS_RETENTION_DAYS, RetentionPeriods, RetentionSchedule};
use domain::values::ProcedureCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Days a case's documents are kept after the case ends.
    pub documents_days: u32,
    /// Days a case's recordings are kept after the case ends: at least 1461 (four years).
    pub recordings_days: u32,
    /// Days the citizen's personal data in a case is kept after the case ends (and in any case
    /// until every document and recording of the case is due).
    pub case_data_days: u32,
    /// The procedures whose periods differ from the ones above, by code.
    #[serde(default)]
    pub procedures: BTreeMap<String, RetentionOverride>,
    /// How often `arreta serve` purges what is due, in minutes.
    pub purge_interval_minutes: u64,
    /// Tests only, refused by the production profile: periods in seconds instead of the days
    /// above (procedure overrides then do not apply), and new documents locked for
    /// `document_lock_seconds` instead of `storage.documents_retention_days` (a procedure's own
    /// `document_retention_days` still applies), so a test watches a purge happen. Recordings
    /// stay locked four years by the store whatever this says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_for_tests: Option<ShortRetention>,
}

/// A procedure's own periods; an absent one is the default's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionOverride {
    pub documents_days: Option<u32>,
    pub recordings_days: Option<u32>,
    pub case_data_days: Option<u32>,
}

/// See [`RetentionSettings::short_for_tests`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortRetention {
    pub documents_seconds: u32,
    pub recordings_seconds: u32,
    pub case_data_seconds: u32,
    pub document_lock_seconds: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            documents_days: 1461,
            recordings_days: MIN_RECORDINGS_RETENTION_DAYS,
            case_data_days: 1461,
            procedures: BTreeMap::new(),
            purge_interval_minutes: 60,
            short_for_tests: None,
        }
    }
}

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

impl RetentionSettings {
    /// Checks the section: the short setting is refused in production, every procedure named
    /// must be one of `known` (a misspelt code would silently get the default), and the
    /// schedule must hold (recordings at least four years, every period positive).
    pub fn validate(&self, production: bool, known: &[&str]) -> Result<(), String> {
        if production && self.short_for_tests.is_some() {
            return Err(
                "retention.short_for_tests is for tests only: the production profile refuses it"
                    .into(),
            );
        }
        if self.purge_interval_minutes == 0 {
            return Err("retention.purge_interval_minutes must be positive".into());
        }
        if let Some(short) = &self.short_for_tests
            && short.document_lock_seconds == 0
        {
            return Err("retention.short_for_tests.document_lock_seconds must be positive".into());
        }
        for code in self.procedures.keys() {
            if !known.contains(&code.as_str()) {
                return Err(format!(
                    "retention.procedures.{code}: there is no procedure {code:?} in procedures"
                ));
            }
        }
        self.schedule().map(|_| ())
    }

    /// The domain's schedule from this section.
    pub fn schedule(&self) -> Result<RetentionSchedule, String> {
        if let Some(short) = &self.short_for_tests {
            let seconds = |n: u32| Duration::seconds(i64::from(n));
            return Ok(RetentionSchedule::short_for_tests(RetentionPeriods {
                documents: seconds(short.documents_seconds),
                recordings: seconds(short.recordings_seconds),
                case_data: seconds(short.case_data_seconds),
            }));
        }
        let default = RetentionPeriods {
            documents: days(self.documents_days),
            recordings: days(self.recordings_days),
            case_data: days(self.case_data_days),
        };
        let mut procedures = BTreeMap::new();
        for (code, o) in &self.procedures {
            let parsed = ProcedureCode::parse(code)
                .map_err(|_| format!("retention.procedures: {code:?} is not a procedure code"))?;
            procedures.insert(
                parsed,
                RetentionPeriods {
                    documents: o.documents_days.map_or(default.documents, days),
                    recordings: o.recordings_days.map_or(default.recordings, days),
                    case_data: o.case_data_days.map_or(default.case_data, days),
                },
            );
        }
        RetentionSchedule::new(default, procedures).map_err(|e| format!("retention: {e}"))
    }

    /// How long a new document is locked instead of its procedure's days (tests only).
    pub fn short_document_lock(&self) -> Option<Duration> {
        self.short_for_tests
            .as_ref()
            .map(|s| Duration::seconds(i64::from(s.document_lock_seconds)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_keeps_everything_four_years() {
        let settings = RetentionSettings::default();
        settings.validate(true, &[]).expect("valid in production");
        let schedule = settings.schedule().expect("schedule");
        let periods = schedule.periods_for(&ProcedureCode::parse("QUEJA").expect("code"));
        assert_eq!(periods.recordings, Duration::days(1461));
    }

    #[test]
    fn a_procedure_override_takes_only_what_it_names() {
        let mut settings = RetentionSettings::default();
        settings.procedures.insert(
            "QUEJA".into(),
            RetentionOverride {
                documents_days: Some(730),
                ..RetentionOverride::default()
            },
        );
        settings.validate(false, &["QUEJA"]).expect("valid");
        let schedule = settings.schedule().expect("schedule");
        let queja = schedule.periods_for(&ProcedureCode::parse("QUEJA").expect("code"));
        assert_eq!(queja.documents, Duration::days(730));
        assert_eq!(queja.case_data, Duration::days(1461));
        assert!(
            settings
                .validate(false, &["PADRON-ALTA"])
                .is_err_and(|m| m.contains("no procedure \"QUEJA\""))
        );
    }

    #[test]
    fn recordings_are_never_scheduled_for_less_than_four_years() {
        let mut settings = RetentionSettings {
            recordings_days: 1460,
            ..RetentionSettings::default()
        };
        assert!(
            settings
                .validate(false, &[])
                .is_err_and(|m| m.contains("1461"))
        );
        settings.recordings_days = 1461;
        settings.procedures.insert(
            "QUEJA".into(),
            RetentionOverride {
                recordings_days: Some(365),
                ..RetentionOverride::default()
            },
        );
        assert!(
            settings
                .validate(false, &["QUEJA"])
                .is_err_and(|m| m.contains("QUEJA"))
        );
    }

    #[test]
    fn the_production_profile_refuses_the_short_setting() {
        let settings = RetentionSettings {
            short_for_tests: Some(ShortRetention {
                documents_seconds: 2,
                recordings_seconds: 2,
                case_data_seconds: 3,
                document_lock_seconds: 4,
            }),
            ..RetentionSettings::default()
        };
        assert!(
            settings
                .validate(true, &[])
                .is_err_and(|m| m.contains("production profile refuses"))
        );
        settings.validate(false, &[]).expect("allowed locally");
        assert_eq!(settings.short_document_lock(), Some(Duration::seconds(4)));
        let schedule = settings.schedule().expect("schedule");
        let periods = schedule.periods_for(&ProcedureCode::parse("QUEJA").expect("code"));
        assert_eq!(periods.recordings, Duration::seconds(2));
    }
}
