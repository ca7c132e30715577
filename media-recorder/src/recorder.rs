//! The recorder: takes publications for calls in progress with consent given, watches each
//! case while it records (a withdrawal or the call's end stops the recording), then finalises,
//! checks, uploads under COMPLIANCE retention and reports `RecordingStored` or `RecordingFailed`.
//!
//! Both participants' publications of one consented stretch of a call belong to one recording
//! (its id derives from the call and the moment consent was given, so a restarted recorder
//! finds the same one); each publication is one WebM file of it (a participant who reconnects
//! adds a file).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::citizen_request::{
    CitizenRequest, CitizenRequestCommand, ConsentState, Participant, RecordRecordingFailed,
    RecordRecordingStored, StartRecording, StoredRecording,
};
use domain::metadata::{EventMetadata, Role};
use infrastructure::booking::{BookingError, BookingService};
use infrastructure::calls::{RecorderSettings, TurnSettings};
use infrastructure::object_store::hashing::reader_stream;
use infrastructure::object_store::{Bucket, ObjectStore, PutOptions};
use tokio::sync::watch;
use uuid::Uuid;

use crate::session::{IceConfig, Session, SessionError};
use crate::spool::{Manifest, Spool, Stage};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Case(#[from] BookingError),
    #[error("no call is in progress for this request")]
    NoCall,
    #[error("the citizen has not consented to recording in this call")]
    NoConsent,
    #[error("only the clerk in the call may publish as the clerk")]
    NotInCall,
    #[error("this participant is already publishing")]
    AlreadyPublishing,
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("spool: {0}")]
    Spool(std::io::Error),
}

/// The recording a case's current consented stretch belongs to.
pub fn recording_id(call_id: Uuid, consent_at: DateTime<Utc>) -> Uuid {
    Uuid::new_v5(
        &call_id,
        format!("consent:{}", consent_at.timestamp_micros()).as_bytes(),
    )
}

/// Why a recording must stop now, if it must.
fn stop_reason(case: &CitizenRequest, recording: Uuid) -> Option<&'static str> {
    let Some(call) = case.call_in_progress() else {
        return Some("the call ended");
    };
    match call.consent {
        ConsentState::Given { at } if recording_id(call.call_id, at) == recording => None,
        _ => Some("consent was withdrawn"),
    }
}

struct Publication {
    request_id: Uuid,
    participant: Participant,
    stop: watch::Sender<bool>,
}

pub struct Recorder {
    pub booking: Arc<BookingService>,
    pub objects: Arc<dyn ObjectStore>,
    pub settings: RecorderSettings,
    /// `[call.turn]`, for the recorder's own TURN credentials.
    pub turn: Option<TurnSettings>,
    pub spool: Spool,
    publications: Mutex<HashMap<Uuid, Publication>>,
    /// Bumped when the event log moves (`changes`).
    changes: watch::Receiver<u64>,
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for user info in a URL.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn metadata(correlation: Uuid) -> EventMetadata {
    let mut metadata = EventMetadata::system("recorder", Utc::now(), correlation);
    metadata.actor = "system:recorder".into();
    metadata.role = Role::Recorder;
    metadata
}

impl Recorder {
    pub fn new(
        booking: Arc<BookingService>,
        objects: Arc<dyn ObjectStore>,
        settings: RecorderSettings,
        turn: Option<TurnSettings>,
        spool: Spool,
        changes: watch::Receiver<u64>,
    ) -> Self {
        Self {
            booking,
            objects,
            settings,
            turn,
            spool,
            changes,
            publications: Mutex::new(HashMap::new()),
        }
    }

    fn publications(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Publication>> {
        self.publications
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many publications are being recorded now.
    pub fn active(&self) -> usize {
        self.publications().len()
    }

    /// Accepts `participant`'s publication for `request_id` (the clerk as `staff`), starting the
    /// recording when it is the first; gives the resource id and the SDP answer.
    pub async fn publish(
        self: &Arc<Self>,
        request_id: Uuid,
        participant: Participant,
        staff: Option<&str>,
        offer: String,
    ) -> Result<(Uuid, String), PublishError> {
        let (case, _) = self.booking.load(request_id).await?;
        let call = case.call_in_progress().ok_or(PublishError::NoCall)?;
        if let Some(actor) = staff
            && actor != call.clerk
        {
            return Err(PublishError::NotInCall);
        }
        let ConsentState::Given { at } = call.consent else {
            return Err(PublishError::NoConsent);
        };
        let recording = recording_id(call.call_id, at);
        let resource = Uuid::now_v7();
        {
            let mut publications = self.publications();
            if publications
                .values()
                .any(|p| p.request_id == request_id && p.participant == participant)
            {
                return Err(PublishError::AlreadyPublishing);
            }
            let (stop, _) = watch::channel(false);
            publications.insert(
                resource,
                Publication {
                    request_id,
                    participant,
                    stop,
                },
            );
        }
        let started = self
            .begin(request_id, recording, participant, resource, offer)
            .await;
        let session = match started {
            Ok(session) => session,
            Err(error) => {
                self.publications().remove(&resource);
                return Err(error);
            }
        };
        let answer = session.answer.clone();
        let stopped = self
            .publications()
            .get(&resource)
            .map(|p| p.stop.subscribe());
        let recorder = self.clone();
        tokio::spawn(async move {
            if let Some(stopped) = stopped {
                recorder
                    .record_until_stopped(resource, request_id, recording, session, stopped)
                    .await;
            }
        });
        Ok((resource, answer))
    }

    async fn begin(
        &self,
        request_id: Uuid,
        recording: Uuid,
        participant: Participant,
        publication: Uuid,
        offer: String,
    ) -> Result<Session, PublishError> {
        // A bad offer is refused before anything is written.
        let plan = crate::offer::plan(&offer).map_err(|e| PublishError::Session(e.into()))?;
        let container = plan.container;
        let now = self.booking.now();
        self.booking
            .execute(
                request_id,
                CitizenRequestCommand::StartRecording(StartRecording {
                    recording_id: recording,
                    at: now,
                }),
                &metadata(recording),
                None,
            )
            .await?;
        let manifest = Manifest {
            request_id,
            recording_id: recording,
            participant,
            publication,
            stage: Stage::Recording,
            started_at: now,
            container,
        };
        self.spool.save(&manifest).map_err(PublishError::Spool)?;
        let file = self.spool.media(&manifest);
        let ice = self.ice_config(request_id, participant);
        tokio::task::spawn_blocking(move || Session::start(&plan, &file, &ice))
            .await
            .map_err(|e| PublishError::Session(SessionError::Pipeline(e.to_string())))?
            .map_err(PublishError::from)
    }

    /// The ICE agent's settings for one publication; a TURN credential of its own when the
    /// recorder is reached through TURN.
    fn ice_config(&self, request_id: Uuid, participant: Participant) -> IceConfig {
        let settings = &self.settings;
        let turn_server = match (&settings.turn_server, &self.turn) {
            (Some(server), Some(turn)) => {
                let credential = turn.credential(
                    request_id,
                    &format!("recorder-{}", participant.as_str()),
                    Utc::now(),
                );
                // webrtcbin takes `turn://user:password@host:port`; both are URL-encoded.
                server.split_once("://").map(|(scheme, host)| {
                    format!(
                        "{scheme}://{}:{}@{host}",
                        url_encode(&credential.username),
                        url_encode(&credential.password)
                    )
                })
            }
            _ => None,
        };
        IceConfig {
            local_addresses: settings.local_ice_addresses.clone(),
            stun_server: settings.stun_server.clone(),
            turn_server,
            port_range: settings.rtp_port_range.map(|[first, last]| (first, last)),
            advertised_address: settings.advertised_address.clone(),
            gathering_timeout: Duration::from_millis(settings.ice_gathering_timeout_ms),
        }
    }

    /// Ends a publication (WHIP `DELETE`); whether it was one.
    pub fn unpublish(&self, request_id: Uuid, resource: Uuid) -> bool {
        match self.publications().get(&resource) {
            Some(p) if p.request_id == request_id => {
                let _ = p.stop.send(true);
                true
            }
            _ => false,
        }
    }

    async fn record_until_stopped(
        self: Arc<Self>,
        resource: Uuid,
        request_id: Uuid,
        recording: Uuid,
        session: Session,
        mut stopped: watch::Receiver<bool>,
    ) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms);
        let gone_after = Duration::from_millis(self.settings.disconnect_timeout_ms);
        // The publisher's silence is looked at more often than the case needs reloading.
        let liveness = Duration::from_millis(250).min(poll);
        let mut changes = self.changes.clone();
        let mut listening = true;
        let mut next_poll = tokio::time::Instant::now() + poll;
        loop {
            let reload = tokio::select! {
                _ = stopped.changed() => break,
                changed = changes.changed(), if listening => {
                    listening = changed.is_ok();
                    listening
                }
                _ = tokio::time::sleep(liveness) => tokio::time::Instant::now() >= next_poll,
            };
            if session.gone_for() >= gone_after {
                tracing::info!(%request_id, %recording, "the publisher is gone (no media, or ICE lost); its file is stored up to here");
                break;
            }
            if !reload {
                continue;
            }
            next_poll = tokio::time::Instant::now() + poll;
            match self.booking.load(request_id).await {
                Ok((case, _)) => {
                    if let Some(reason) = stop_reason(&case, recording) {
                        tracing::info!(%request_id, %recording, reason, "recording stops");
                        break;
                    }
                }
                // The database briefly away must not end a consented recording.
                Err(error) => {
                    tracing::warn!(%request_id, %error, "case not readable; recording goes on")
                }
            }
        }
        let participant = self.publications().get(&resource).map(|p| p.participant);
        // A pipeline that does not stop must not hold the recording back: past the bound, the
        // file is taken as written (its thread is left to end on its own).
        let finishing =
            tokio::task::spawn_blocking(move || session.finish(Duration::from_secs(10)));
        let finalised = matches!(
            tokio::time::timeout(Duration::from_secs(20), finishing).await,
            Ok(Ok(true))
        );
        self.publications().remove(&resource);
        let Some(participant) = participant else {
            return;
        };
        let Ok(mut manifest) = self.spool.load(recording, participant, resource) else {
            tracing::error!(%recording, "the manifest of a recording just made is missing");
            return;
        };
        if !finalised {
            tracing::warn!(%recording, participant = participant.as_str(), "the file was not finalised cleanly; it is stored as written");
        }
        manifest.stage = Stage::Finalised;
        if let Err(error) = self.spool.save(&manifest) {
            tracing::error!(%recording, %error, "spool manifest not saved; the upload resumes at the next start");
            return;
        }
        self.complete(manifest).await;
    }

    /// Carries every unfinished recording in the spool to its end: at start, and then now and
    /// again for uploads that failed while the store or the database was away. Recordings
    /// being written now are left to their publication.
    pub async fn resume(&self) -> std::io::Result<usize> {
        let active: Vec<Uuid> = self.publications().keys().copied().collect();
        let pending: Vec<Manifest> = self
            .spool
            .pending()?
            .into_iter()
            .filter(|m| !active.contains(&m.publication))
            .collect();
        let count = pending.len();
        for manifest in pending {
            tracing::info!(recording = %manifest.recording_id, participant = manifest.participant.as_str(), stage = ?manifest.stage, "resuming a recording from the spool");
            self.complete(manifest).await;
        }
        Ok(count)
    }

    /// From wherever `manifest` stands to `Recorded` or `Failed`. A failure to reach the store or
    /// the database leaves it where it got to, for the next start.
    async fn complete(&self, mut manifest: Manifest) {
        if !matches!(manifest.stage, Stage::Uploaded { .. }) {
            match self.upload(&mut manifest).await {
                Ok(()) => {}
                Err(Failure::Permanent(reason)) => {
                    self.fail(&mut manifest, reason).await;
                    return;
                }
                Err(Failure::Transient(error)) => {
                    tracing::error!(recording = %manifest.recording_id, %error, "upload failed; it resumes at the next start");
                    return;
                }
            }
        }
        let Stage::Uploaded {
            object_key,
            version_id,
            sha256,
            size,
            duration_ms,
            retain_until,
            stored_at,
        } = manifest.stage.clone()
        else {
            return;
        };
        let command = CitizenRequestCommand::RecordRecordingStored(RecordRecordingStored {
            recording_id: manifest.recording_id,
            stored: StoredRecording {
                participant: manifest.participant,
                object_key,
                version_id,
                sha256,
                size,
                duration_ms,
                retain_until,
                stored_at,
            },
        });
        match self
            .booking
            .execute(
                manifest.request_id,
                command,
                &metadata(manifest.recording_id),
                None,
            )
            .await
        {
            Ok(_) => {
                manifest.stage = Stage::Recorded;
                if self.spool.save(&manifest).is_ok() {
                    self.spool.discard_media(&manifest);
                }
            }
            Err(error) => {
                tracing::error!(recording = %manifest.recording_id, %error, "stored but not recorded on the case; retried at the next start")
            }
        }
    }

    async fn upload(&self, manifest: &mut Manifest) -> Result<(), Failure> {
        let file = self.spool.media(manifest);
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        if size == 0 {
            return Err(Failure::Permanent("nothing was recorded".into()));
        }
        let probed = file.clone();
        let facts = tokio::task::spawn_blocking(move || {
            crate::probe::probe(&probed, Duration::from_secs(30))
        })
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?
        .map_err(|e| Failure::Permanent(format!("the file does not read back: {e}")))?;
        if facts.duration_ms < self.settings.min_duration_ms {
            return Err(Failure::Permanent(format!(
                "{} ms recorded, less than the {} ms minimum",
                facts.duration_ms, self.settings.min_duration_ms
            )));
        }
        manifest.stage = Stage::Uploading;
        self.spool
            .save(manifest)
            .map_err(|e| Failure::Transient(e.to_string()))?;
        let body = tokio::fs::File::open(&file)
            .await
            .map_err(|e| Failure::Transient(e.to_string()))?;
        let key = format!(
            "{}/{}/{}-{}.{}",
            manifest.request_id,
            manifest.recording_id,
            manifest.participant.as_str(),
            manifest.publication,
            manifest.container.extension()
        );
        let stored = self
            .objects
            .put(
                Bucket::Recordings,
                &key,
                reader_stream(body),
                PutOptions {
                    content_type: Some(manifest.container.content_type().into()),
                    retain_until: None,
                },
            )
            .await
            .map_err(|e| Failure::Transient(e.to_string()))?;
        manifest.stage = Stage::Uploaded {
            object_key: stored.key,
            version_id: stored.version_id,
            sha256: stored.sha256,
            size: stored.size,
            duration_ms: facts.duration_ms,
            retain_until: stored.retention.retain_until,
            stored_at: Utc::now(),
        };
        self.spool
            .save(manifest)
            .map_err(|e| Failure::Transient(e.to_string()))?;
        Ok(())
    }

    async fn fail(&self, manifest: &mut Manifest, reason: String) {
        tracing::warn!(recording = %manifest.recording_id, participant = manifest.participant.as_str(), %reason, "recording failed");
        let command = CitizenRequestCommand::RecordRecordingFailed(RecordRecordingFailed {
            recording_id: manifest.recording_id,
            participant: Some(manifest.participant),
            publication: Some(manifest.publication),
            reason: reason.clone(),
            at: self.booking.now(),
        });
        if self
            .booking
            .execute(
                manifest.request_id,
                command,
                &metadata(manifest.recording_id),
                None,
            )
            .await
            .is_ok()
        {
            manifest.stage = Stage::Failed { reason };
            let _ = self.spool.save(manifest);
        }
    }
}

enum Failure {
    /// The recording cannot be stored (too short, unreadable): reported as failed.
    Permanent(String),
    /// The store or the spool is not available now: retried at the next start.
    Transient(String),
}
