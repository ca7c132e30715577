//! Who looked at a citizen's data: every recorded read of a document or a recording of one
//! case, and every staff read of the whole case (its history, export or case file), with who,
//! in what role, when and why. The citizen sees this list through the manage
//! link (GDPR art. 15), as Estonia's data tracker shows its citizens.

use chrono::{DateTime, Utc};
use domain::citizen_request::{CaseRead, CitizenRequestEvent};
use std::collections::HashMap;

use crate::log::{DecodeError, LoggedEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accessed {
    Document,
    Recording,
    /// The whole case: its history, its export or its case file.
    Case(CaseRead),
}

impl Accessed {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Recording => "recording",
            Self::Case(what) => what.as_str(),
        }
    }
}

/// One recorded read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataAccess {
    pub kind: Accessed,
    /// The document's file name, or the recording file's key; none for a read of the whole
    /// case.
    pub subject: Option<String>,
    /// `staff:<id>`, or `citizen:<request>` for the citizen's own reads.
    pub by: String,
    /// The reader's role as the event's metadata records it (`clerk`, `auditor`, ...).
    pub role: String,
    pub at: DateTime<Utc>,
    /// Always given for a document or recording; optional for a read of the whole case.
    pub why: Option<String>,
}

/// The reads recorded in one case's events, oldest first.
pub fn data_accesses(events: &[LoggedEvent]) -> Result<Vec<DataAccess>, DecodeError> {
    let mut names: HashMap<uuid::Uuid, String> = HashMap::new();
    let mut accesses = Vec::new();
    for logged in events {
        let role = logged
            .metadata
            .get("role")
            .and_then(|r| r.as_str())
            .unwrap_or_default()
            .to_string();
        match logged.decode::<CitizenRequestEvent>()? {
            CitizenRequestEvent::DocumentAttached {
                document_id,
                file_name,
                ..
            } => {
                names.insert(document_id, file_name);
            }
            CitizenRequestEvent::DocumentAccessed {
                document_id,
                by,
                why,
                at,
            } => accesses.push(DataAccess {
                kind: Accessed::Document,
                subject: Some(
                    names
                        .get(&document_id)
                        .cloned()
                        .unwrap_or_else(|| document_id.to_string()),
                ),
                by,
                role,
                at,
                why: Some(why),
            }),
            CitizenRequestEvent::RecordingAccessed {
                object_key,
                by,
                why,
                at,
                ..
            } => accesses.push(DataAccess {
                kind: Accessed::Recording,
                subject: Some(object_key),
                by,
                role,
                at,
                why: Some(why),
            }),
            // The role the event names is the one the reader acted in; the metadata says the
            // same, but the payload is what the event is about.
            CitizenRequestEvent::CaseFileAccessed {
                what,
                by,
                role,
                why,
                at,
            } => accesses.push(DataAccess {
                kind: Accessed::Case(what),
                subject: None,
                by,
                role: role.as_str().to_string(),
                at,
                why,
            }),
            _ => {}
        }
    }
    Ok(accesses)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use domain::citizen_request::DocumentMediaType;
    use domain::metadata::Role;
    use serde_json::json;

    use super::*;
    use crate::log::LogPosition;

    fn logged(sequence: i64, event: &CitizenRequestEvent, role: &str) -> LoggedEvent {
        LoggedEvent {
            log: LogPosition {
                transaction_id: sequence,
                position: sequence,
            },
            aggregate_type: "CitizenRequest".into(),
            aggregate_id: "r".into(),
            sequence,
            event_type: "x".into(),
            event_version: "1.0".into(),
            payload: serde_json::to_value(event).expect("json"),
            metadata: json!({ "role": role }),
            recorded_at: Utc::now(),
        }
    }

    #[test]
    fn given_reads_of_a_document_a_recording_and_the_case_the_list_names_each_with_who_and_why() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 2, 9, 30, 0)
            .single()
            .expect("time");
        let document = uuid::Uuid::from_u128(7);
        let events = [
            logged(
                1,
                &CitizenRequestEvent::DocumentAttached {
                    document_id: document,
                    file_name: "nomina.pdf".into(),
                    media_type: DocumentMediaType::Pdf,
                    size: 10,
                    sha256: "0".repeat(64),
                    object_key: "k".into(),
                    version_id: "v".into(),
                    retain_until: at,
                    uploaded_by: "citizen:r".into(),
                    attached_at: at,
                },
                "citizen",
            ),
            logged(
                2,
                &CitizenRequestEvent::DocumentAccessed {
                    document_id: document,
                    by: "staff:clerk-01".into(),
                    why: "egiaztatzeko".into(),
                    at,
                },
                "clerk",
            ),
            logged(
                3,
                &CitizenRequestEvent::RecordingAccessed {
                    recording_id: uuid::Uuid::from_u128(9),
                    object_key: "r/9/citizen-1.webm".into(),
                    by: "staff:auditor-01".into(),
                    why: "erreklamazioa".into(),
                    at,
                },
                "auditor",
            ),
            logged(
                4,
                &CitizenRequestEvent::CaseFileAccessed {
                    what: CaseRead::Export,
                    by: "staff:supervisor-02".into(),
                    role: Role::Supervisor,
                    why: None,
                    at,
                },
                "supervisor",
            ),
        ];
        let accesses = data_accesses(&events).expect("decoded");
        assert_eq!(
            accesses,
            vec![
                DataAccess {
                    kind: Accessed::Document,
                    subject: Some("nomina.pdf".into()),
                    by: "staff:clerk-01".into(),
                    role: "clerk".into(),
                    at,
                    why: Some("egiaztatzeko".into()),
                },
                DataAccess {
                    kind: Accessed::Recording,
                    subject: Some("r/9/citizen-1.webm".into()),
                    by: "staff:auditor-01".into(),
                    role: "auditor".into(),
                    at,
                    why: Some("erreklamazioa".into()),
                },
                DataAccess {
                    kind: Accessed::Case(CaseRead::Export),
                    subject: None,
                    by: "staff:supervisor-02".into(),
                    role: "supervisor".into(),
                    at,
                    why: None,
                },
            ]
        );
    }
}
