//! Staff search over cases: which filters look for personal data (and so are recorded, shown to
//! the citizen, and never match an erased case), and how long a searched value is kept.

use chrono::{DateTime, Duration, Utc};

/// A filter that looks for a citizen by their personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonalFilter {
    NationalId,
    ExternalReference,
    Name,
    Email,
    Phone,
}

impl PersonalFilter {
    pub const ALL: [Self; 5] = [
        Self::NationalId,
        Self::ExternalReference,
        Self::Name,
        Self::Email,
        Self::Phone,
    ];

    /// The query parameter's name, also what the search record and the citizen's view say.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NationalId => "national_id",
            Self::ExternalReference => "external_reference",
            Self::Name => "name",
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

/// The fewest characters of a name search: fewer would list most citizens.
pub const MIN_NAME_CHARS: usize = 3;
/// The longest text any search filter takes.
pub const MAX_FILTER_CHARS: usize = 120;

/// How long the value a search looked for is kept (the rest of the record stays): long enough
/// for the data protection officer's quarterly review of searches, also of those that found
/// nothing; no longer, since the value is itself personal data.
pub const SEARCHED_VALUE_KEPT_DAYS: i64 = 90;

/// Until when a value searched at `at` is kept.
pub fn searched_value_kept_until(at: DateTime<Utc>) -> DateTime<Utc> {
    at + Duration::days(SEARCHED_VALUE_KEPT_DAYS)
}

/// Whether a search with these filters is recorded: when any of them is personal data. Lists by
/// day, status, procedure, clerk or channel alone are the day's work and are not recorded.
pub fn search_is_recorded(filters: &[PersonalFilter]) -> bool {
    !filters.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_names_round_trip() {
        for filter in PersonalFilter::ALL {
            assert_eq!(PersonalFilter::parse(filter.as_str()), Some(filter));
        }
        assert_eq!(PersonalFilter::parse("day"), None);
    }

    #[test]
    fn only_searches_by_personal_data_are_recorded() {
        assert!(!search_is_recorded(&[]));
        assert!(search_is_recorded(&[PersonalFilter::NationalId]));
    }

    #[test]
    fn a_searched_value_is_kept_ninety_days() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("time");
        assert_eq!(
            searched_value_kept_until(at).to_rfc3339(),
            "2027-03-01T10:00:00+00:00"
        );
    }
}
