use serde::{Deserialize, Serialize};

use super::ValueError;

/// The letters of the DNI/NIE check digit, indexed by the number modulo 23.
const CHECK_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// A Spanish national identity number: DNI (8 digits and a letter) or NIE (X/Y/Z, 7 digits and a
/// letter), with its check letter verified. Stored upper-case, without separators.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NationalId(String);

impl NationalId {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let cleaned: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = cleaned.as_bytes();
        if bytes.len() != 9 || !bytes.is_ascii() {
            return Err(ValueError::NationalIdFormat);
        }
        let (body, letter) = bytes.split_at(8);
        let digits: String = match body[0] {
            b'X' => format!("0{}", &cleaned[1..8]),
            b'Y' => format!("1{}", &cleaned[1..8]),
            b'Z' => format!("2{}", &cleaned[1..8]),
            _ => cleaned[..8].to_string(),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) || !letter[0].is_ascii_uppercase() {
            return Err(ValueError::NationalIdFormat);
        }
        let number: u32 = digits.parse().map_err(|_| ValueError::NationalIdFormat)?;
        let expected = CHECK_LETTERS[(number % 23) as usize] as char;
        if letter[0] as char != expected {
            return Err(ValueError::NationalIdCheckLetter { expected });
        }
        Ok(Self(cleaned))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_nie(&self) -> bool {
        matches!(self.0.as_bytes().first(), Some(b'X' | b'Y' | b'Z'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_dni_with_its_check_letter() {
        let id = NationalId::parse("12345678Z").expect("valid DNI");
        assert_eq!(id.as_str(), "12345678Z");
        assert!(!id.is_nie());
    }

    #[test]
    fn normalises_case_and_separators() {
        let id = NationalId::parse(" 12.345.678-z ").expect("valid DNI");
        assert_eq!(id.as_str(), "12345678Z");
    }

    #[test]
    fn accepts_a_nie_with_each_prefix() {
        assert!(NationalId::parse("X1234567L").expect("X NIE").is_nie());
        assert!(NationalId::parse("Y1234567X").is_ok());
        assert!(NationalId::parse("Z1234567R").is_ok());
    }

    #[test]
    fn refuses_a_wrong_check_letter_and_names_the_right_one() {
        assert_eq!(
            NationalId::parse("12345678A"),
            Err(ValueError::NationalIdCheckLetter { expected: 'Z' })
        );
    }

    #[test]
    fn refuses_malformed_numbers() {
        for bad in [
            "",
            "1234567Z",
            "123456789Z",
            "A2345678Z",
            "1234567ZZ",
            "X12345678",
            "ñ2345678Z",
        ] {
            assert_eq!(
                NationalId::parse(bad),
                Err(ValueError::NationalIdFormat),
                "{bad}"
            );
        }
    }
}
