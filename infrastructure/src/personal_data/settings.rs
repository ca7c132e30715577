//! `[personal_data]`: where the key that wraps every case key is kept.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersonalDataSettings {
    /// The wrapping key: 64 hex digits, readable by the service alone, and backed up apart from
    /// the database (a database backup without it holds no readable personal data). Required in
    /// production, where it must already exist: making a new one there would make every case
    /// unreadable. The local profile makes `auth.data_dir`/personal-data.key when absent.
    pub key_file: Option<PathBuf>,
    /// Wrapping keys being rotated out: case keys still wrapped by one of them open with it,
    /// and `arreta personal-data rewrap` moves them under `key_file`. Empty once it has run.
    pub previous_key_files: Vec<PathBuf>,
}
