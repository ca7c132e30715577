use serde::{Deserialize, Serialize};

use super::ValueError;

/// A phone number in E.164 form. Spanish numbers may be given without the +34 prefix (9 digits
/// starting with 6, 7, 8 or 9); foreign numbers must carry their `+` country code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let compact: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let international = if let Some(rest) = compact.strip_prefix("00") {
            format!("+{rest}")
        } else if compact.starts_with('+') {
            compact
        } else {
            if compact.len() != 9 || !matches!(compact.as_bytes().first(), Some(b'6'..=b'9')) {
                return Err(ValueError::Phone);
            }
            format!("+34{compact}")
        };
        let digits = &international[1..];
        let valid = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !valid {
            return Err(ValueError::Phone);
        }
        if let Some(national) = digits.strip_prefix("34")
            && (national.len() != 9 || !matches!(national.as_bytes().first(), Some(b'6'..=b'9')))
        {
            return Err(ValueError::Phone);
        }
        Ok(Self(international))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_numbers_get_the_country_code() {
        assert_eq!(
            Phone::parse("945 16 10 00").expect("valid").as_str(),
            "+34945161000"
        );
        assert_eq!(
            Phone::parse("600-123-456").expect("valid").as_str(),
            "+34600123456"
        );
        assert_eq!(
            Phone::parse("0034600123456").expect("valid").as_str(),
            "+34600123456"
        );
    }

    #[test]
    fn foreign_numbers_keep_their_code() {
        assert_eq!(
            Phone::parse("+33 1 23 45 67 89").expect("valid").as_str(),
            "+33123456789"
        );
    }

    #[test]
    fn refuses_malformed_numbers() {
        for bad in [
            "",
            "010",
            "12345678",
            "545161000",
            "+34 123",
            "+34 545 161 000",
            "94516100a",
            "+0123456789",
        ] {
            assert_eq!(Phone::parse(bad), Err(ValueError::Phone), "{bad:?}");
        }
    }
}
