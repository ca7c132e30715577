//! The video call and its recording: who is in it, the citizen's consent to record (with the
//! version and language of the wording shown), and what the recorder stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::values::Language;

/// Longest wording version of the consent text, in characters.
pub const MAX_CONSENT_WORDING_CHARS: usize = 40;
/// Longest reason a recording failed, in characters.
pub const MAX_RECORDING_REASON_CHARS: usize = 500;

/// The citizen's answer to "may this call be recorded?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentDecision {
    Given,
    Declined,
    Withdrawn,
}

impl ConsentDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// Where consent stands in the current call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    /// Not asked yet: nothing is recorded.
    #[default]
    NotAsked,
    /// Given at this time: recording may run.
    Given {
        at: DateTime<Utc>,
    },
    Declined,
    Withdrawn,
}

impl ConsentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAsked => "not_asked",
            Self::Given { .. } => "given",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// A call of the case: the current one while `ended_at` is `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub call_id: uuid::Uuid,
    pub clerk: String,
    pub room: u8,
    pub started_at: DateTime<Utc>,
    pub consent: ConsentState,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Whose media a recorded file holds: each participant publishes to the recorder on its own,
/// and each publication is one file of the recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Participant {
    Citizen,
    Clerk,
}

impl Participant {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Clerk => "clerk",
        }
    }
}

/// One participant's file, stored under COMPLIANCE retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecording {
    pub participant: Participant,
    pub object_key: String,
    pub version_id: String,
    pub sha256: String,
    pub size: u64,
    pub duration_ms: u64,
    pub retain_until: DateTime<Utc>,
    pub stored_at: DateTime<Utc>,
}

/// A recording: one consented stretch of one call, with its participants' files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingRecord {
    pub recording_id: uuid::Uuid,
    pub call_id: uuid::Uuid,
    pub started_at: DateTime<Utc>,
    pub stored: Vec<StoredRecording>,
    /// The files that failed, with why.
    pub failed: Vec<FailedRecording>,
}

/// A file of a recording that could not be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRecording {
    pub participant: Option<Participant>,
    pub publication: Option<uuid::Uuid>,
    pub reason: String,
}

/// A consent answer as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentWording {
    pub version: String,
    pub language: Language,
}
