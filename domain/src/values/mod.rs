//! Value objects that parse rather than validate: once built, they are valid.
//!
//! They serialise as plain strings and deserialise without re-checking, on purpose: an event
//! stored years ago must still load if a rule tightens later. Input from outside goes through
//! `parse`.

mod citizen_name;
mod email;
mod language;
mod national_id;
mod personal;
mod phone;
mod procedure_code;

pub use citizen_name::CitizenName;
pub use email::Email;
pub use language::Language;
pub use national_id::NationalId;
pub use personal::Personal;
pub use phone::Phone;
pub use procedure_code::ProcedureCode;

/// Why a piece of input is not a valid value. Each variant maps to one bilingual message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("a DNI is 8 digits and a letter, a NIE is X, Y or Z, 7 digits and a letter")]
    NationalIdFormat,
    #[error("the check letter of the DNI/NIE does not match: expected {expected}")]
    NationalIdCheckLetter { expected: char },
    #[error("not a valid email address")]
    Email,
    #[error("not a valid phone number")]
    Phone,
    #[error("unsupported language: only eu and es")]
    Language,
    #[error("the name is empty")]
    NameEmpty,
    #[error("the name is longer than {max} characters")]
    NameTooLong { max: usize },
    #[error("the name contains characters that are not allowed")]
    NameCharacters,
    #[error("a procedure code is 2 to 32 characters A-Z, 0-9 or '-'")]
    ProcedureCode,
}
