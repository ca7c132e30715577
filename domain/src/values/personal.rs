//! Personal data that an event carries and that may later be erased.
//!
//! The log is append-only, so erasing a citizen's data cannot mean editing events: the fields
//! are stored encrypted under the case's own key (`infrastructure::personal_data`) and erasing
//! that key makes them unreadable everywhere at once. What an event then decodes to is
//! `Personal::Erased`, and every reader has to say what it shows instead: the type makes that
//! choice impossible to forget.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value as given, or the mark left where it was once its key was erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Personal<T> {
    Known(T),
    Erased,
}

/// How an erased value is written: `{"erased": true}`, which no personal value serialises as.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErasedMark {
    erased: bool,
}

impl<T> Personal<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(value) => Some(value),
            Self::Erased => None,
        }
    }

    pub fn is_erased(&self) -> bool {
        matches!(self, Self::Erased)
    }
}

impl<T> From<T> for Personal<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}

impl From<&str> for Personal<String> {
    fn from(text: &str) -> Self {
        Self::Known(text.to_string())
    }
}

impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(value) => value.serialize(serializer),
            Self::Erased => ErasedMark { erased: true }.serialize(serializer),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Personal<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Buffered once so that a value that is neither gets the value's own error, not a
        // generic "did not match any variant".
        let value = serde_json::Value::deserialize(deserializer)?;
        if let Ok(ErasedMark { erased: true }) = ErasedMark::deserialize(&value) {
            return Ok(Self::Erased);
        }
        T::deserialize(value)
            .map(Self::Known)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::CitizenName;

    #[test]
    fn a_known_value_is_written_as_itself() {
        let name = Personal::Known(CitizenName::parse("Ane Etxeberria").expect("a name"));
        assert_eq!(
            serde_json::to_value(&name).expect("serialises"),
            serde_json::json!("Ane Etxeberria")
        );
        let back: Personal<CitizenName> =
            serde_json::from_value(serde_json::json!("Ane Etxeberria")).expect("decodes");
        assert_eq!(back, name);
    }

    #[test]
    fn an_erased_value_round_trips_as_its_mark() {
        let erased: Personal<CitizenName> = Personal::Erased;
        let written = serde_json::to_value(&erased).expect("serialises");
        assert_eq!(written, serde_json::json!({"erased": true}));
        let back: Personal<CitizenName> = serde_json::from_value(written).expect("decodes");
        assert!(back.is_erased());
    }

    #[test]
    fn anything_else_is_refused_with_the_value_s_own_error() {
        let wrong = serde_json::from_value::<Personal<CitizenName>>(serde_json::json!(42));
        assert!(wrong.is_err());
        let not_erased =
            serde_json::from_value::<Personal<CitizenName>>(serde_json::json!({"erased": false}));
        assert!(not_erased.is_err());
    }
}
