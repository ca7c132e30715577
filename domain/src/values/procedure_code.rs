use serde::{Deserialize, Serialize};

use super::ValueError;

/// The code of a municipal procedure in the catalogue, e.g. `PADRON-ALTA`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProcedureCode(String);

impl ProcedureCode {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let code = input.trim().to_ascii_uppercase();
        let valid = (2..=32).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid {
            return Err(ValueError::ProcedureCode);
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ProcedureCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_uppercases() {
        assert_eq!(
            ProcedureCode::parse("padron-alta").expect("valid").as_str(),
            "PADRON-ALTA"
        );
        assert_eq!(ProcedureCode::parse("x"), Err(ValueError::ProcedureCode));
        assert_eq!(
            ProcedureCode::parse("PADRON ALTA"),
            Err(ValueError::ProcedureCode)
        );
    }
}
