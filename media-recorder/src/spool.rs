//! The local spool: one directory per recording, holding each publication's WebM file (named
//! by participant and publication, so a participant who reconnects gets a new file) and a
//! manifest saying how far it got. Manifests are replaced atomically (written aside, renamed),
//! so after a crash each says the last step that completed, and `Recorder::resume` carries on
//! from there: a file still being written or not yet uploaded is uploaded; one uploaded but not
//! yet on its case is recorded without uploading again.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use domain::citizen_request::Participant;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Stage {
    /// Media is being written (or was, when the recorder stopped).
    Recording,
    /// The file is complete (EOS reached the file sink).
    Finalised,
    /// The upload has begun; an upload cut here left no object (a put completes whole or not
    /// at all), so it is simply done again.
    Uploading,
    /// The object is stored and locked; only the case does not know yet.
    Uploaded {
        object_key: String,
        version_id: String,
        sha256: String,
        size: u64,
        duration_ms: u64,
        retain_until: DateTime<Utc>,
        stored_at: DateTime<Utc>,
    },
    /// `RecordingStored` is on the case; the local file is gone.
    Recorded,
    /// `RecordingFailed` is on the case, with why.
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub request_id: Uuid,
    pub recording_id: Uuid,
    pub participant: Participant,
    /// The WHIP resource the media came through.
    pub publication: Uuid,
    pub stage: Stage,
    pub started_at: DateTime<Utc>,
    /// The file's container (manifests written before H264 was taken are WebM).
    #[serde(default)]
    pub container: crate::offer::Container,
}

impl Manifest {
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Recorded | Stage::Failed { .. })
    }
}

#[derive(Debug, Clone)]
pub struct Spool {
    root: PathBuf,
}

impl Spool {
    pub fn open(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn dir(&self, recording_id: Uuid) -> PathBuf {
        self.root.join(recording_id.to_string())
    }

    fn stem(participant: Participant, publication: Uuid) -> String {
        format!("{}-{publication}", participant.as_str())
    }

    /// The publication's media file.
    pub fn media(&self, manifest: &Manifest) -> PathBuf {
        self.dir(manifest.recording_id).join(format!(
            "{}.{}",
            Self::stem(manifest.participant, manifest.publication),
            manifest.container.extension()
        ))
    }

    fn manifest_path(
        &self,
        recording_id: Uuid,
        participant: Participant,
        publication: Uuid,
    ) -> PathBuf {
        self.dir(recording_id)
            .join(format!("{}.json", Self::stem(participant, publication)))
    }

    /// Writes the manifest aside, syncs it, then renames it into place.
    pub fn save(&self, manifest: &Manifest) -> std::io::Result<()> {
        use std::io::Write;
        let dir = self.dir(manifest.recording_id);
        std::fs::create_dir_all(&dir)?;
        let path = self.manifest_path(
            manifest.recording_id,
            manifest.participant,
            manifest.publication,
        );
        let aside = path.with_extension("json.partial");
        let mut file = std::fs::File::create(&aside)?;
        file.write_all(&serde_json::to_vec_pretty(manifest).map_err(std::io::Error::other)?)?;
        file.sync_all()?;
        std::fs::rename(&aside, &path)?;
        if let Ok(dir) = std::fs::File::open(&dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    pub fn load(
        &self,
        recording_id: Uuid,
        participant: Participant,
        publication: Uuid,
    ) -> std::io::Result<Manifest> {
        let bytes = std::fs::read(self.manifest_path(recording_id, participant, publication))?;
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)
    }

    /// Every manifest not done yet.
    pub fn pending(&self) -> std::io::Result<Vec<Manifest>> {
        let mut pending = Vec::new();
        for entry in std::fs::read_dir(&self.root)? {
            let dir = entry?.path();
            if !dir.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&dir)? {
                let path = file?.path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                match std::fs::read(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|b| serde_json::from_slice::<Manifest>(&b).map_err(|e| e.to_string()))
                {
                    Ok(manifest) if !manifest.is_done() => pending.push(manifest),
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(path = %path.display(), %error, "unreadable spool manifest left alone")
                    }
                }
            }
        }
        pending.sort_by_key(|m| m.started_at);
        Ok(pending)
    }

    /// Removes the media file once its recording is on the case (the manifest stays as a
    /// trace until the directory is cleaned).
    pub fn discard_media(&self, manifest: &Manifest) {
        let _ = std::fs::remove_file(self.media(manifest));
    }
}
