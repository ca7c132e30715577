//! What a bucket's Object Lock configuration must be: pure rules, no I/O.

use std::fmt;

use super::RetentionMode;

/// Four years, leap day included: the shortest retention of a recording the design allows (the
/// domain's retention schedule holds to the same figure).
pub const MIN_RECORDINGS_RETENTION_DAYS: u32 = domain::retention::MIN_RECORDINGS_RETENTION_DAYS;

/// A bucket's Object Lock configuration as the server reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BucketLock {
    /// Object Lock is enabled on the bucket (which implies versioning).
    pub enabled: bool,
    /// The default rule's mode, when there is a rule.
    pub default_mode: Option<RetentionMode>,
    /// The default rule's period in days (a rule in years counts 365 days a year plus a leap
    /// day every four: 4 years are 1461 days).
    pub default_days: Option<u32>,
}

impl BucketLock {
    pub fn from_rule(mode: Option<RetentionMode>, days: Option<i32>, years: Option<i32>) -> Self {
        let days = match (days, years) {
            (Some(days), _) => u32::try_from(days).ok(),
            (None, Some(years)) => u32::try_from(years)
                .ok()
                .map(|years| years.saturating_mul(365).saturating_add(years / 4)),
            (None, None) => None,
        };
        BucketLock {
            enabled: true,
            default_mode: mode,
            default_days: days,
        }
    }
}

/// Why a bucket's lock is not what Arreta requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockProblem {
    /// Object Lock is not enabled on the bucket.
    NotLocked,
    /// Locked, but with no default retention rule.
    NoDefaultRule,
    /// The default rule is GOVERNANCE, which privileged users may bypass.
    NotCompliance(RetentionMode),
    /// The default rule keeps objects fewer days than required.
    TooShort { days: Option<u32>, required: u32 },
}

impl fmt::Display for LockProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockProblem::NotLocked => f.write_str("Object Lock is not enabled on the bucket"),
            LockProblem::NoDefaultRule => {
                f.write_str("Object Lock is enabled but the bucket has no default retention rule")
            }
            LockProblem::NotCompliance(mode) => {
                write!(f, "the default retention mode is {mode}, not COMPLIANCE")
            }
            LockProblem::TooShort {
                days: Some(days),
                required,
            } => write!(
                f,
                "the default retention is {days} days, fewer than the {required} required"
            ),
            LockProblem::TooShort {
                days: None,
                required,
            } => write!(
                f,
                "the default retention has no period, {required} days are required"
            ),
        }
    }
}

/// Whether `lock` is COMPLIANCE for at least `required_days` (never fewer than
/// [`MIN_RECORDINGS_RETENTION_DAYS`]).
pub fn judge_recordings_lock(lock: &BucketLock, required_days: u32) -> Result<(), LockProblem> {
    let required = required_days.max(MIN_RECORDINGS_RETENTION_DAYS);
    if !lock.enabled {
        return Err(LockProblem::NotLocked);
    }
    match lock.default_mode {
        None => Err(LockProblem::NoDefaultRule),
        Some(RetentionMode::Governance) => {
            Err(LockProblem::NotCompliance(RetentionMode::Governance))
        }
        Some(RetentionMode::Compliance) => match lock.default_days {
            Some(days) if days >= required => Ok(()),
            days => Err(LockProblem::TooShort { days, required }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compliance(days: i32) -> BucketLock {
        BucketLock::from_rule(Some(RetentionMode::Compliance), Some(days), None)
    }

    #[test]
    fn four_years_of_compliance_pass() {
        assert_eq!(judge_recordings_lock(&compliance(1461), 1461), Ok(()));
        assert_eq!(judge_recordings_lock(&compliance(3000), 1461), Ok(()));
        let years = BucketLock::from_rule(Some(RetentionMode::Compliance), None, Some(4));
        assert_eq!(years.default_days, Some(1461));
        assert_eq!(judge_recordings_lock(&years, 1461), Ok(()));
    }

    #[test]
    fn anything_weaker_fails() {
        assert_eq!(
            judge_recordings_lock(&BucketLock::default(), 1461),
            Err(LockProblem::NotLocked)
        );
        assert_eq!(
            judge_recordings_lock(&BucketLock::from_rule(None, None, None), 1461),
            Err(LockProblem::NoDefaultRule)
        );
        assert_eq!(
            judge_recordings_lock(
                &BucketLock::from_rule(Some(RetentionMode::Governance), Some(1461), None),
                1461
            ),
            Err(LockProblem::NotCompliance(RetentionMode::Governance))
        );
        assert_eq!(
            judge_recordings_lock(&compliance(1460), 1461),
            Err(LockProblem::TooShort {
                days: Some(1460),
                required: 1461
            })
        );
        let three_years = BucketLock::from_rule(Some(RetentionMode::Compliance), None, Some(3));
        assert!(judge_recordings_lock(&three_years, 1461).is_err());
    }

    #[test]
    fn a_longer_configured_retention_is_required_and_a_shorter_one_is_not_accepted() {
        assert_eq!(
            judge_recordings_lock(&compliance(1461), 2000),
            Err(LockProblem::TooShort {
                days: Some(1461),
                required: 2000
            })
        );
        assert_eq!(
            judge_recordings_lock(&compliance(100), 10),
            Err(LockProblem::TooShort {
                days: Some(100),
                required: 1461
            })
        );
    }
}
