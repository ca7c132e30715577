//! The call and recording rules of a case: a call opens only for a booked appointment, inside
//! its window; nothing is recorded without the citizen's consent given in this call, and
//! withdrawing consent stops the recording; a recording started before the case ended is still
//! stored when its upload finishes.

use super::CitizenRequest;
use crate::citizen_request::call::{
    CallRecord, ConsentDecision, ConsentState, FailedRecording, MAX_CONSENT_WORDING_CHARS,
    MAX_RECORDING_REASON_CHARS, RecordingRecord,
};
use crate::citizen_request::commands::{
    EndCall, RecordConsent, RecordRecordingAccess, RecordRecordingFailed, RecordRecordingStored,
    StartCall, StartRecording,
};
use crate::citizen_request::error::CitizenRequestError;
use crate::citizen_request::events::CitizenRequestEvent;
use crate::citizen_request::signature::check_text;

impl CitizenRequest {
    /// The case's current call, while it is in progress.
    pub fn call_in_progress(&self) -> Option<&CallRecord> {
        self.call.as_ref().filter(|c| c.ended_at.is_none())
    }

    /// The case's last call, in progress or ended.
    pub fn last_call(&self) -> Option<&CallRecord> {
        self.call.as_ref()
    }

    pub fn recordings(&self) -> &[RecordingRecord] {
        &self.recordings
    }

    pub fn recording(&self, recording_id: uuid::Uuid) -> Option<&RecordingRecord> {
        self.recordings
            .iter()
            .find(|r| r.recording_id == recording_id)
    }

    /// Whether a clerk may open the call now (checked before the agenda's call place is taken).
    pub fn check_start_call(&self, command: &StartCall) -> Result<(), CitizenRequestError> {
        let booking = self.require_booked()?;
        if let Some(call) = self.call_in_progress() {
            return if call.clerk == command.clerk {
                Ok(())
            } else {
                Err(CitizenRequestError::CallInProgress)
            };
        }
        if command.at < booking.slot.start - command.early_join || command.at >= booking.slot.end()
        {
            return Err(CitizenRequestError::CallOutsideWindow {
                early_join_minutes: command.early_join.num_minutes(),
            });
        }
        Ok(())
    }

    pub(super) fn start_call(
        &self,
        command: StartCall,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        self.check_start_call(&command)?;
        if self.call_in_progress().is_some() {
            return Ok(vec![]);
        }
        let room = self.booking.as_ref().map(|b| b.room).unwrap_or_default();
        Ok(vec![CitizenRequestEvent::CallStarted {
            call_id: command.call_id,
            clerk: command.clerk,
            room,
            started_at: command.at,
        }])
    }

    pub(super) fn record_consent(
        &self,
        command: RecordConsent,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let call = self
            .call_in_progress()
            .ok_or(CitizenRequestError::NoCallInProgress)?;
        let mut wording = command.wording;
        wording.version = check_text(&wording.version, MAX_CONSENT_WORDING_CHARS, false).ok_or(
            CitizenRequestError::ConsentWording {
                max: MAX_CONSENT_WORDING_CHARS,
            },
        )?;
        let call_id = call.call_id;
        let (by, at) = (command.by, command.at);
        let event = match (command.decision, call.consent) {
            (ConsentDecision::Given, ConsentState::Given { .. })
            | (ConsentDecision::Declined, ConsentState::Declined) => return Ok(vec![]),
            (ConsentDecision::Given, _) => CitizenRequestEvent::RecordingConsentGiven {
                call_id,
                wording,
                by,
                at,
            },
            (ConsentDecision::Declined, ConsentState::Given { .. }) => {
                return Err(CitizenRequestError::ConsentAlreadyGiven);
            }
            (ConsentDecision::Declined, _) => CitizenRequestEvent::RecordingConsentDeclined {
                call_id,
                wording,
                by,
                at,
            },
            (ConsentDecision::Withdrawn, ConsentState::Given { .. }) => {
                CitizenRequestEvent::RecordingConsentWithdrawn {
                    call_id,
                    wording,
                    by,
                    at,
                }
            }
            (ConsentDecision::Withdrawn, ConsentState::Withdrawn) => return Ok(vec![]),
            (ConsentDecision::Withdrawn, _) => return Err(CitizenRequestError::ConsentNotGiven),
        };
        Ok(vec![event])
    }

    /// Accepted whatever the case's state: a call may outlast a close or a cancellation.
    pub(super) fn end_call(
        &self,
        command: EndCall,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        match &self.call {
            Some(call) if call.ended_at.is_none() => Ok(vec![CitizenRequestEvent::CallEnded {
                call_id: call.call_id,
                ended_by: command.by,
                ended_at: command.at,
            }]),
            Some(_) => Ok(vec![]),
            None => Err(CitizenRequestError::NoCallInProgress),
        }
    }

    pub(super) fn start_recording(
        &self,
        command: StartRecording,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        if let Some(existing) = self.recording(command.recording_id) {
            return match self.call_in_progress() {
                Some(call) if call.call_id == existing.call_id => Ok(vec![]),
                _ => Err(CitizenRequestError::NoCallInProgress),
            };
        }
        self.require_booked()?;
        let call = self
            .call_in_progress()
            .ok_or(CitizenRequestError::NoCallInProgress)?;
        if !matches!(call.consent, ConsentState::Given { .. }) {
            return Err(CitizenRequestError::ConsentNotGiven);
        }
        Ok(vec![CitizenRequestEvent::RecordingStarted {
            recording_id: command.recording_id,
            call_id: call.call_id,
            started_at: command.at,
        }])
    }

    /// Accepted in every state (a recording finishes uploading after the call, maybe after the
    /// close); once per file: the same file again changes nothing, another version of it is
    /// refused. A participant who reconnected has several files.
    pub(super) fn record_recording_stored(
        &self,
        command: RecordRecordingStored,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let recording = self
            .recording(command.recording_id)
            .ok_or(CitizenRequestError::RecordingNotFound(command.recording_id))?;
        let stored = &command.stored;
        if let Some(existing) = recording
            .stored
            .iter()
            .find(|s| s.object_key == stored.object_key)
        {
            return if existing.sha256 == stored.sha256 && existing.version_id == stored.version_id {
                Ok(vec![])
            } else {
                Err(CitizenRequestError::RecordingRecord(
                    "this file is already stored",
                ))
            };
        }
        let is_digest = stored.sha256.len() == 64
            && stored
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !is_digest || stored.object_key.is_empty() || stored.version_id.is_empty() {
            return Err(CitizenRequestError::RecordingRecord(
                "a stored file needs its key, version and SHA-256",
            ));
        }
        if stored.retain_until <= stored.stored_at {
            return Err(CitizenRequestError::RecordingRecord(
                "the retention must end after the upload",
            ));
        }
        Ok(vec![CitizenRequestEvent::RecordingStored {
            recording_id: command.recording_id,
            stored: command.stored,
        }])
    }

    pub(super) fn record_recording_failed(
        &self,
        command: RecordRecordingFailed,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let recording = self
            .recording(command.recording_id)
            .ok_or(CitizenRequestError::RecordingNotFound(command.recording_id))?;
        // A repeat of the same failure (a restarted recorder reporting it again) is a no-op;
        // another publication's failure is a fact of its own.
        if recording
            .failed
            .iter()
            .any(|f| f.participant == command.participant && f.publication == command.publication)
        {
            return Ok(vec![]);
        }
        let reason = check_text(&command.reason, MAX_RECORDING_REASON_CHARS, true).ok_or(
            CitizenRequestError::RecordingRecord("a failure needs a reason"),
        )?;
        Ok(vec![CitizenRequestEvent::RecordingFailed {
            recording_id: command.recording_id,
            participant: command.participant,
            publication: command.publication,
            reason,
            failed_at: command.at,
        }])
    }

    /// Recorded in every state, like a document's: an auditor reading a closed case's recording
    /// is a fact of the case. Only a stored file can be read.
    pub(super) fn record_recording_access(
        &self,
        command: RecordRecordingAccess,
    ) -> Result<Vec<CitizenRequestEvent>, CitizenRequestError> {
        let recording = self
            .recording(command.recording_id)
            .ok_or(CitizenRequestError::RecordingNotFound(command.recording_id))?;
        if !recording
            .stored
            .iter()
            .any(|s| s.object_key == command.object_key)
        {
            return Err(CitizenRequestError::RecordingNotFound(command.recording_id));
        }
        if self
            .recording_file_purged_at(command.recording_id, &command.object_key)
            .is_some()
        {
            return Err(CitizenRequestError::RecordingPurged(command.recording_id));
        }
        let why = check_text(&command.why, MAX_RECORDING_REASON_CHARS, false).ok_or(
            CitizenRequestError::AccessReason {
                max: MAX_RECORDING_REASON_CHARS,
            },
        )?;
        Ok(vec![CitizenRequestEvent::RecordingAccessed {
            recording_id: command.recording_id,
            object_key: command.object_key,
            by: command.by,
            why,
            at: command.at,
        }])
    }

    /// Applies the call and recording events.
    pub(super) fn apply_calling(&mut self, event: CitizenRequestEvent) {
        match event {
            CitizenRequestEvent::CallStarted {
                call_id,
                clerk,
                room,
                started_at,
            } => {
                self.call = Some(CallRecord {
                    call_id,
                    clerk,
                    room,
                    started_at,
                    consent: ConsentState::NotAsked,
                    ended_at: None,
                });
            }
            CitizenRequestEvent::RecordingConsentGiven { at, .. } => {
                self.set_consent(ConsentState::Given { at });
            }
            CitizenRequestEvent::RecordingConsentDeclined { .. } => {
                self.set_consent(ConsentState::Declined);
            }
            CitizenRequestEvent::RecordingConsentWithdrawn { .. } => {
                self.set_consent(ConsentState::Withdrawn);
            }
            CitizenRequestEvent::CallEnded { ended_at, .. } => {
                if let Some(call) = self.call.as_mut() {
                    call.ended_at = Some(ended_at);
                }
            }
            CitizenRequestEvent::RecordingStarted {
                recording_id,
                call_id,
                started_at,
            } => self.recordings.push(RecordingRecord {
                recording_id,
                call_id,
                started_at,
                stored: vec![],
                failed: vec![],
            }),
            CitizenRequestEvent::RecordingStored {
                recording_id,
                stored,
            } => {
                if let Some(r) = self.recording_mut(recording_id) {
                    r.stored.push(stored);
                }
            }
            CitizenRequestEvent::RecordingFailed {
                recording_id,
                participant,
                publication,
                reason,
                ..
            } => {
                if let Some(r) = self.recording_mut(recording_id) {
                    r.failed.push(FailedRecording {
                        participant,
                        publication,
                        reason,
                    });
                }
            }
            _ => {}
        }
    }

    fn set_consent(&mut self, consent: ConsentState) {
        if let Some(call) = self.call.as_mut() {
            call.consent = consent;
        }
    }

    fn recording_mut(&mut self, recording_id: uuid::Uuid) -> Option<&mut RecordingRecord> {
        self.recordings
            .iter_mut()
            .find(|r| r.recording_id == recording_id)
    }
}
