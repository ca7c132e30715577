//! Crypto-shredding: the citizen's personal data in events is encrypted under a key of its
//! case, so that erasing that key erases the data everywhere the log reaches.
//!
//! The log cannot forget (append-only, hash-chained, anchored), and a citizen's name, DNI/NIE,
//! address, phone and network details must not outlive the case's retention. Each case gets a
//! random data key (`keys`), kept wrapped by a key the council holds apart (`key_wrapper`, the
//! shape of a KMS). Events are sealed as they are appended (`repository`) and opened as the
//! aggregate loads or the global log is read (`open_logged`); what is stored, and so what the
//! hash chain, the anchors and the seals cover, is the ciphertext, and stays verifiable after
//! the key is gone. Read models hold plaintext (they are mutable, and staff search them); an
//! erasure clears their copies in the same transaction as it destroys the key, and a rebuild
//! finds the fields erased.

mod cipher;
mod erasure;
mod fields;
mod key_wrapper;
mod keys;
mod repository;
mod rotation;
mod settings;
mod shredder;

use std::collections::HashSet;
use std::sync::Arc;

use projections::LoggedEvent;
use sqlx::PgConnection;
use uuid::Uuid;

pub use cipher::{CipherError, DataKey};
pub use erasure::{ErasureError, ErasureOutcome, erase_case};
pub use fields::CASE_AGGREGATE;
pub use key_wrapper::{KeyWrapper, LocalKeyFile, WrapError};
pub use keys::CaseKey;
pub use repository::SealedRepository;
pub use rotation::{KeyCounts, Rewrapped, key_counts, rewrap};
pub use settings::PersonalDataSettings;
pub use shredder::KeyErasingShredder;

use crate::config::{Profile, Settings};

#[derive(Debug, thiserror::Error)]
pub enum PersonalDataError {
    #[error(transparent)]
    Cipher(#[from] CipherError),
    #[error(transparent)]
    Wrap(#[from] WrapError),
    #[error("case keys: {0}")]
    Database(#[from] sqlx::Error),
    #[error("a personal field does not (de)serialise: {0}")]
    Json(#[from] serde_json::Error),
    #[error("case {0}: its personal data was erased; nothing personal may be written to it")]
    WriteAfterErasure(String),
    #[error("case {0}: sealed data without a key row (was case_keys lost?)")]
    NoKey(String),
    #[error("case {0}: the key just stored cannot be read back")]
    KeyVanished(Uuid),
    #[error("personal_data.key_file: {0}")]
    Settings(String),
    #[error("a case key is wrapped by {0}, which is neither the wrapping key nor a previous one")]
    UnknownWrappingKey(String),
}

/// Seals and opens the personal data of events. Cheap to clone.
#[derive(Clone)]
pub struct PersonalData {
    wrapper: Arc<dyn KeyWrapper>,
    /// Keys being rotated out, which still open the case keys they wrapped.
    previous: Vec<Arc<dyn KeyWrapper>>,
}

impl std::fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonalData")
            .field("wrapping_key", &self.wrapper.key_id())
            .finish()
    }
}

impl PersonalData {
    pub fn new(wrapper: Arc<dyn KeyWrapper>) -> Self {
        Self {
            wrapper,
            previous: Vec::new(),
        }
    }

    /// With wrapping keys being rotated out, which open what they wrapped until `rewrap` ran.
    pub fn with_previous(mut self, previous: Vec<Arc<dyn KeyWrapper>>) -> Self {
        self.previous = previous;
        self
    }

    /// The configured wrapping key; in the local profile without one, a development key made
    /// on first use in `auth.data_dir`.
    pub fn from_settings(settings: &Settings) -> Result<Self, PersonalDataError> {
        let wrapper = match (&settings.personal_data.key_file, settings.profile) {
            (Some(path), Profile::Production) => LocalKeyFile::load(path)?,
            (Some(path), Profile::Local) => LocalKeyFile::load_or_create(path)?,
            (None, Profile::Local) => {
                LocalKeyFile::load_or_create(&settings.auth.data_dir.join("personal-data.key"))?
            }
            (None, Profile::Production) => {
                return Err(PersonalDataError::Settings(
                    "the production profile needs the council's wrapping key".into(),
                ));
            }
        };
        let previous = settings
            .personal_data
            .previous_key_files
            .iter()
            .map(|path| LocalKeyFile::load(path).map(|k| Arc::new(k) as Arc<dyn KeyWrapper>))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(Arc::new(wrapper)).with_previous(previous))
    }

    pub fn key_id(&self) -> &str {
        self.wrapper.key_id()
    }

    /// Opens the personal data of logged events in place, fetching the keys of their cases in
    /// one query on `conn`.
    pub async fn open_logged(
        &self,
        conn: &mut PgConnection,
        events: &mut [LoggedEvent],
    ) -> Result<(), PersonalDataError> {
        let cases: HashSet<Uuid> = events
            .iter()
            .filter(|e| e.aggregate_type == CASE_AGGREGATE)
            .filter(|e| fields::is_sealed(&e.event_type, &e.payload, &e.metadata))
            .filter_map(|e| Uuid::parse_str(&e.aggregate_id).ok())
            .collect();
        if cases.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = cases.into_iter().collect();
        let keys = keys::opening_keys(conn, self, &ids).await?;
        for event in events.iter_mut() {
            if event.aggregate_type != CASE_AGGREGATE {
                continue;
            }
            let key = Uuid::parse_str(&event.aggregate_id)
                .ok()
                .and_then(|id| keys.get(&id));
            fields::open_event(
                key,
                &event.aggregate_id,
                &event.event_type,
                &mut event.payload,
                &mut event.metadata,
            )?;
        }
        Ok(())
    }

    pub(crate) fn wrapper(&self) -> &dyn KeyWrapper {
        self.wrapper.as_ref()
    }

    /// The wrapping key named `key_id`: the current one or one being rotated out.
    pub(crate) fn unwrapper(&self, key_id: &str) -> Result<&dyn KeyWrapper, PersonalDataError> {
        std::iter::once(&self.wrapper)
            .chain(self.previous.iter())
            .find(|w| w.key_id() == key_id)
            .map(|w| w.as_ref())
            .ok_or_else(|| PersonalDataError::UnknownWrappingKey(key_id.to_string()))
    }
}
