use serde::{Deserialize, Serialize};

use super::ValueError;

/// A citizen's full name as they give it: trimmed, inner white space folded, 1 to 120
/// characters, letters of any script and the punctuation names carry (`' - . ,`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CitizenName(String);

impl CitizenName {
    pub const MAX_CHARS: usize = 120;

    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let folded = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if folded.is_empty() {
            return Err(ValueError::NameEmpty);
        }
        if folded.chars().count() > Self::MAX_CHARS {
            return Err(ValueError::NameTooLong {
                max: Self::MAX_CHARS,
            });
        }
        if !folded
            .chars()
            .all(|c| c.is_alphabetic() || c == ' ' || "'-.,·".contains(c) || c == '\u{2019}')
        {
            return Err(ValueError::NameCharacters);
        }
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_white_space_and_keeps_accents() {
        assert_eq!(
            CitizenName::parse("  Iñaki   Pérez de Arrilucea ")
                .expect("valid")
                .as_str(),
            "Iñaki Pérez de Arrilucea"
        );
        assert!(CitizenName::parse("Ane O'Neill-Etxebarria").is_ok());
    }

    #[test]
    fn refuses_empty_long_and_odd_names() {
        assert_eq!(CitizenName::parse("   "), Err(ValueError::NameEmpty));
        assert_eq!(
            CitizenName::parse(&"a".repeat(121)),
            Err(ValueError::NameTooLong { max: 120 })
        );
        assert_eq!(
            CitizenName::parse("<script>"),
            Err(ValueError::NameCharacters)
        );
        assert_eq!(
            CitizenName::parse("Ane\u{0}"),
            Err(ValueError::NameCharacters)
        );
    }
}
