//! Where case keys are wrapped: the one secret that must outlive the database's backups.
//!
//! The interface has the shape of a KMS (AWS KMS `Encrypt`/`Decrypt`, Vault transit): hand it a
//! data key and a context, get back an opaque blob, and the reverse. The local implementation
//! keeps the wrapping key in a file; a council with a KMS or an HSM puts its client behind the
//! same trait, and then the wrapping key never sits on the server at all.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::cipher::{CipherError, DataKey, KEY_LEN};

#[derive(Debug, thiserror::Error)]
pub enum WrapError {
    #[error("the wrapping key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error("a wrapped case key does not unwrap: {0}")]
    Unwrap(CipherError),
    #[error("wrapping a case key failed: {0}")]
    Wrap(CipherError),
}

#[async_trait]
pub trait KeyWrapper: Send + Sync {
    /// Names the wrapping key, stored beside each wrapped key so a rotation knows what to redo.
    fn key_id(&self) -> &str;
    async fn wrap(&self, context: &str, key: &DataKey) -> Result<Vec<u8>, WrapError>;
    async fn unwrap(&self, context: &str, wrapped: &[u8]) -> Result<DataKey, WrapError>;
}

/// The wrapping key in a local file: 64 hex digits (32 bytes), readable by the service only.
pub struct LocalKeyFile {
    key: DataKey,
    key_id: String,
}

impl LocalKeyFile {
    pub fn load(path: &Path) -> Result<Self, WrapError> {
        let failed = |reason: String| WrapError::KeyFile {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))?;
        let bytes = hex::decode(text.trim()).map_err(|_| failed("not hexadecimal".into()))?;
        let key = DataKey::from_bytes(&bytes)
            .ok_or_else(|| failed(format!("{} bytes, not {KEY_LEN}", bytes.len())))?;
        Ok(Self::from_key(key))
    }

    /// Loads the file, creating it with a new random key when it does not exist yet: only for
    /// the local profile, where losing it loses nothing that matters.
    pub fn load_or_create(path: &Path) -> Result<Self, WrapError> {
        if !path.exists() {
            let failed = |reason: String| WrapError::KeyFile {
                path: path.to_path_buf(),
                reason,
            };
            let key = DataKey::generate().map_err(WrapError::Wrap)?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
            }
            // Written whole under another name, then linked into place: the api and the recorder
            // start together on one data directory, and neither may read a half-written key
            // or replace the other's.
            let staging = path.with_extension(format!("new-{}", uuid::Uuid::new_v4()));
            write_private(&staging, &hex::encode(key.as_bytes()))
                .map_err(|e| failed(e.to_string()))?;
            let linked = std::fs::hard_link(&staging, path);
            std::fs::remove_file(&staging).ok();
            match linked {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(failed(e.to_string())),
            }
        }
        Self::load(path)
    }

    pub fn from_key(key: DataKey) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        let key_id = format!("local:{}", hex::encode(&digest[..8]));
        Self { key, key_id }
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[async_trait]
impl KeyWrapper for LocalKeyFile {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    async fn wrap(&self, context: &str, key: &DataKey) -> Result<Vec<u8>, WrapError> {
        self.key
            .seal_bytes(context, key.as_bytes())
            .map_err(WrapError::Wrap)
    }

    async fn unwrap(&self, context: &str, wrapped: &[u8]) -> Result<DataKey, WrapError> {
        let bytes = self
            .key
            .open_bytes(context, wrapped)
            .map_err(WrapError::Unwrap)?;
        DataKey::from_bytes(&bytes).ok_or(WrapError::Unwrap(CipherError::Form))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_file_is_created_private_and_read_back_the_same() {
        let dir = std::env::temp_dir().join(format!("arreta-kek-{}", uuid::Uuid::new_v4()));
        let path = dir.join("personal-data.key");
        let first = LocalKeyFile::load_or_create(&path).expect("created");
        let again = LocalKeyFile::load_or_create(&path).expect("read");
        assert_eq!(first.key_id(), again.key_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let key = DataKey::generate().expect("random");
        let wrapped = first.wrap("case-1", &key).await.expect("wraps");
        let unwrapped = again.unwrap("case-1", &wrapped).await.expect("unwraps");
        assert_eq!(unwrapped.as_bytes(), key.as_bytes());
        assert!(again.unwrap("case-2", &wrapped).await.is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_damaged_key_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("arreta-kek-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("short.key");
        std::fs::write(&path, "abcd").expect("written");
        assert!(matches!(
            LocalKeyFile::load(&path),
            Err(WrapError::KeyFile { .. })
        ));
        std::fs::remove_dir_all(dir).ok();
    }
}
