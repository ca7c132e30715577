//! Reads of the whole case by someone other than the citizen: its history, the auditors' export
//! and the citizen's case file. Like a document's or a recording's read, each is a fact of the
//! case the citizen is entitled to see (GDPR art. 15: who had access to their data, when and
//! why), so it is recorded before the answer is sent.

use serde::{Deserialize, Serialize};

use crate::metadata::Role;

/// The longest reason a reader may give, as for document and recording reads.
pub const MAX_CASE_READ_REASON_CHARS: usize = 500;

/// What of the whole case was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseRead {
    /// `GET /v1/requests/{id}/history` (any page, any `as_of`).
    History,
    /// `GET /v1/requests/{id}/export`.
    Export,
    /// `GET /v1/requests/{id}/case-file`, machine-readable or readable.
    CaseFile,
}

impl CaseRead {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::History => "history",
            Self::Export => "export",
            Self::CaseFile => "case_file",
        }
    }

    /// Whether a read by `role` is recorded. The citizen reading their own case with the
    /// manage link is not someone else's access to their data: recording it would tell them
    /// nothing, and would make a read through a link that only reads a closed case write to it.
    pub fn is_recorded(role: Role) -> bool {
        role != Role::Citizen
    }
}
