//! The end of a case's stored objects: once the case has ended and the retention schedule and
//! each object's own lock allow it, the store deletes the version and the case records it
//! (`DocumentPurged`, `RecordingPurged`). Accepted after the end, like a recording's completion
//! or an access record; refused before the object is due, and for an object already purged.
//! A purged object is never read again: its record stays, its bytes are gone.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::CitizenRequest;
use crate::citizen_request::commands::{PurgeDocument, PurgeRecording};
use crate::citizen_request::error::CitizenRequestError;
use crate::citizen_request::events::CitizenRequestEvent;
use crate::retention::{HeldObject, ObjectKind, RetentionPeriods, RetentionPlan, object_due};

/// A stored version deleted at the end of its retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgedObject {
    pub kind: ObjectKind,
    /// The document's or the recording's id.
    pub id: uuid::Uuid,
    pub object_key: String,
    pub version_id: String,
    pub purged_at: DateTime<Utc>,
}

impl CitizenRequest {
    /// When the case last ended (cancelled, no-show or closed); `None` while it is open.
    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.ended_at
    }

    pub fn purged(&self) -> &[PurgedObject] {
        &self.purged
    }

    pub fn document_purged_at(&self, document_id: uuid::Uuid) -> Option<DateTime<Utc>> {
        self.purged_at(ObjectKind::Document, document_id, None)
    }

    pub fn recording_file_purged_at(
        &self,
        recording_id: uuid::Uuid,
        object_key: &str,
    ) -> Option<DateTime<Utc>> {
        self.purged_at(ObjectKind::Recording, recording_id, Some(object_key))
    }

    fn purged_at(
        &self,
        kind: ObjectKind,
        id: uuid::Uuid,
        object_key: Option<&str>,
    ) -> Option<DateTime<Utc>> {
        self.purged
            .iter()
            .find(|p| {
                p.kind == kind && p.id == id && object_key.is_none_or(|key| p.object_key == key)
            })
            .map(|p| p.purged_at)
    }

    /// Every object the case holds in storage, purged or not.
    pub fn held_objects(&self) -> Vec<HeldObject> {
        let documents = self.documents().iter().map(|d| HeldObject {
            kind: ObjectKind::Document,
            id: d.document_id,
            object_key: d.object_key.clone(),
            version_id: d.version_id.clone(),
            retain_until: d.retain_until,
            purged_at: self.document_purged_at(d.document_id),
        });
        let recordings = self.recordings().iter().flat_map(|r| {
            r.stored.iter().map(|s| HeldObject {
                kind: ObjectKind::Recording,
                id: r.recording_id,
                object_key: s.object_key.clone(),
                version_id: s.version_id.clone(),
                retain_until: s.retain_until,
                purged_at: self.recording_file_purged_at(r.recording_id, &s.object_key),
            })
        });
        documents.chain(recordings).collect()
    }

    /// When each object of the case, and its personal data, are due to go under `periods`;
    /// `None` while the case is open.
    pub fn retention_plan(&self, periods: &RetentionPeriods) -> Option<RetentionPlan> {
        self.ended_at
            .map(|ended_at| RetentionPlan::new(ended_at, periods, self.held_objects()))
    }

    /// Whether the object may be recorded as purged at `at`.
    fn check_purge(
        &self,
        kind: ObjectKind,
        retain_until: DateTime<Utc>,
        already: Option<DateTime<Utc>>,
        periods: &RetentionPeriods,
        at: DateTime<Utc>,
    ) -> Result<(), CitizenRequestError> {
        if already.is_some() {
            return Err(CitizenRequestError::AlreadyPurged);
        }
        let ended_at = self.ended_at.ok_or(CitizenRequestError::CaseNotEnded)?;
        let due_at = object_due(ended_at, periods, kind, retain_until);
        if at < due_at {
            return Err(CitizenRequestError::NotDueForPurge { due_at });
        }
        Ok(())
    }

    pub(super) fn purge_document(
        &self,
        command: PurgeDocument,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let document = self
            .document(command.document_id)
            .ok_or(CitizenRequestError::DocumentNotFound(command.document_id))?;
        self.check_purge(
            ObjectKind::Document,
            document.retain_until,
            self.document_purged_at(command.document_id),
            &command.periods,
            command.at,
        )?;
        Ok(vec![CitizenRequestEvent::DocumentPurged {
            document_id: document.document_id,
            object_key: document.object_key.clone(),
            version_id: document.version_id.clone(),
            purged_at: command.at,
        }])
    }

    pub(super) fn purge_recording(
        &self,
        command: PurgeRecording,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let file = self
            .recording(command.recording_id)
            .and_then(|r| r.stored.iter().find(|s| s.object_key == command.object_key))
            .ok_or(CitizenRequestError::RecordingNotFound(command.recording_id))?;
        self.check_purge(
            ObjectKind::Recording,
            file.retain_until,
            self.recording_file_purged_at(command.recording_id, &command.object_key),
            &command.periods,
            command.at,
        )?;
        Ok(vec![CitizenRequestEvent::RecordingPurged {
            recording_id: command.recording_id,
            object_key: file.object_key.clone(),
            version_id: file.version_id.clone(),
            purged_at: command.at,
        }])
    }

    pub(super) fn apply_retention(&mut self, event: CitizenRequestEvent) {
        let purged = match event {
            CitizenRequestEvent::DocumentPurged {
                document_id,
                object_key,
                version_id,
                purged_at,
            } => PurgedObject {
                kind: ObjectKind::Document,
                id: document_id,
                object_key,
                version_id,
                purged_at,
            },
            CitizenRequestEvent::RecordingPurged {
                recording_id,
                object_key,
                version_id,
                purged_at,
            } => PurgedObject {
                kind: ObjectKind::Recording,
                id: recording_id,
                object_key,
                version_id,
                purged_at,
            },
            _ => return,
        };
        if purged.kind == ObjectKind::Document
            && let Some(document) = self
                .documents
                .iter_mut()
                .find(|d| d.document_id == purged.id)
        {
            document.purged_at = Some(purged.purged_at);
        }
        self.purged.push(purged);
    }
}
