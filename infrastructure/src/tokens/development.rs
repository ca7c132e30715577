//! Development keys: an Ed25519 key that `arreta token` signs staff tokens with, and a secret
//! for capability links, both generated on first use in the data directory (git-ignored) and
//! trusted only by the local profile.

use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::{Duration, Utc};
use domain::metadata::Role;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePublicKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use serde::Serialize;

use super::staff::TrustedKey;
use crate::sealing::key_files;

const PRIVATE_FILE: &str = "dev-staff-ed25519.pem";
const PUBLIC_FILE: &str = "dev-staff-ed25519.pub.pem";
const SECRET_FILE: &str = "dev-capability-secret";
const SEALING_FILE: &str = "dev-sealing-ed25519.pem";
/// The public keys of rotated-out development sealing keys, one `<kid>.pub.pem` each.
const PREVIOUS_SEALING_DIR: &str = "dev-sealing-previous";
pub const DEVELOPMENT_KID: &str = "arreta-development";

#[derive(Debug, thiserror::Error)]
pub enum DevelopmentKeyError {
    #[error("development keys in {0}: {1}")]
    Io(String, std::io::Error),
    #[error("development key {0} is unusable: {1}")]
    Key(String, String),
}

/// What `DevelopmentKeys::rotate_sealing` did.
#[derive(Debug, Clone)]
pub struct SealingRotation {
    pub previous_kid: String,
    pub current_kid: String,
    pub previous_public_file: PathBuf,
}

pub struct DevelopmentKeys {
    encoding: EncodingKey,
    public_pem: String,
    capability_secret: Vec<u8>,
}

#[derive(Serialize)]
struct DevClaims<'a> {
    sub: &'a str,
    roles: Vec<&'a str>,
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// Writes a file readable by its owner only, exactly once: written aside, then linked into
/// place, so a concurrent reader never sees it half written and a concurrent writer loses
/// cleanly (the first one's content stays).
fn create_once(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let aside = path.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        rand::rng().next_u32()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(&aside)?.write_all(contents)?;
    let linked = std::fs::hard_link(&aside, path);
    let _ = std::fs::remove_file(&aside);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

impl DevelopmentKeys {
    /// Loads the keys from `dir`, creating them on first use.
    pub fn load_or_create(dir: &Path) -> Result<Self, DevelopmentKeyError> {
        let io = |e| DevelopmentKeyError::Io(dir.display().to_string(), e);
        std::fs::create_dir_all(dir).map_err(io)?;
        let private = dir.join(PRIVATE_FILE);
        let key_error = |e: String| DevelopmentKeyError::Key(private.display().to_string(), e);
        if !private.exists() {
            let pem = key_files::private_pem(&key_files::generate()).map_err(key_error)?;
            create_once(&private, pem.as_bytes()).map_err(io)?;
        }
        let secret_path = dir.join(SECRET_FILE);
        if !secret_path.exists() {
            let mut secret = [0u8; 32];
            rand::rng().fill_bytes(&mut secret);
            let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
            create_once(&secret_path, encoded.as_bytes()).map_err(io)?;
        }
        let pem = std::fs::read_to_string(&private).map_err(io)?;
        let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|e| key_error(e.to_string()))?;
        let encoding =
            EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| key_error(e.to_string()))?;
        // The public key is derived, not read: it is written beside only for operators to see.
        let public_pem = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| key_error(e.to_string()))?;
        let public_path = dir.join(PUBLIC_FILE);
        if std::fs::read_to_string(&public_path).ok().as_deref() != Some(public_pem.as_str()) {
            let _ = std::fs::write(&public_path, &public_pem);
        }
        let secret_text = std::fs::read_to_string(&secret_path).map_err(io)?;
        let capability_secret = base64::engine::general_purpose::STANDARD
            .decode(secret_text.trim())
            .map_err(|e| {
                DevelopmentKeyError::Key(secret_path.display().to_string(), e.to_string())
            })?;
        Ok(Self {
            encoding,
            public_pem,
            capability_secret,
        })
    }

    /// The development sealing key's private PEM, created on first use.
    pub fn sealing_pem(dir: &Path) -> Result<String, DevelopmentKeyError> {
        let io = |e| DevelopmentKeyError::Io(dir.display().to_string(), e);
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(SEALING_FILE);
        if !path.exists() {
            let pem = key_files::private_pem(&key_files::generate())
                .map_err(|e| DevelopmentKeyError::Key(path.display().to_string(), e))?;
            create_once(&path, pem.as_bytes()).map_err(io)?;
        }
        std::fs::read_to_string(&path).map_err(io)
    }

    /// The public keys of the development sealing keys rotated out, oldest name first.
    pub fn previous_sealing_pems(dir: &Path) -> Result<Vec<PathBuf>, DevelopmentKeyError> {
        let previous = dir.join(PREVIOUS_SEALING_DIR);
        let io = |e| DevelopmentKeyError::Io(previous.display().to_string(), e);
        let entries = match std::fs::read_dir(&previous) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            other => other.map_err(io)?,
        };
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == "pem") {
                paths.push(path);
            }
        }
        paths.sort();
        Ok(paths)
    }

    /// Replaces the development sealing key by a new one, keeping the old one's public part in
    /// `dev-sealing-previous/<kid>.pub.pem` first, so seals it made still verify. Only the
    /// development key is replaced in place: its private part is of no worth once rotated.
    pub fn rotate_sealing(dir: &Path) -> Result<SealingRotation, DevelopmentKeyError> {
        let path = dir.join(SEALING_FILE);
        let key_error = |e: String| DevelopmentKeyError::Key(path.display().to_string(), e);
        let old = key_files::parse_private(&Self::sealing_pem(dir)?).map_err(key_error)?;
        let previous_kid = key_files::key_id(&old.verifying_key()).map_err(key_error)?;
        let previous = dir.join(PREVIOUS_SEALING_DIR);
        let io = |e| DevelopmentKeyError::Io(previous.display().to_string(), e);
        std::fs::create_dir_all(&previous).map_err(io)?;
        let previous_public_file = previous.join(format!("{previous_kid}.pub.pem"));
        let public = key_files::public_pem(&old.verifying_key()).map_err(key_error)?;
        match key_files::write_new(&previous_public_file, public.as_bytes()) {
            // Kept by a rotation that stopped before replacing the key: the same public key.
            Err(key_files::KeyFileError::Exists(_))
                if std::fs::read_to_string(&previous_public_file)
                    .ok()
                    .as_deref()
                    == Some(public.as_str()) => {}
            other => other.map_err(|e| key_error(e.to_string()))?,
        }
        let new = key_files::generate();
        let current_kid = key_files::key_id(&new.verifying_key()).map_err(key_error)?;
        let pem = key_files::private_pem(&new).map_err(key_error)?;
        let aside = path.with_extension("rotating");
        let _ = std::fs::remove_file(&aside);
        key_files::write_new(&aside, pem.as_bytes()).map_err(|e| key_error(e.to_string()))?;
        std::fs::rename(&aside, &path)
            .map_err(|e| DevelopmentKeyError::Io(path.display().to_string(), e))?;
        Ok(SealingRotation {
            previous_kid,
            current_kid,
            previous_public_file,
        })
    }

    /// The public key's PEM, as the production check compares it.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    pub fn public_pem_path(dir: &Path) -> PathBuf {
        dir.join(PUBLIC_FILE)
    }

    pub fn trusted_key(&self) -> Option<TrustedKey> {
        TrustedKey::from_pem(self.public_pem.as_bytes(), Some(DEVELOPMENT_KID.into()))
    }

    pub fn capability_secret(&self) -> &[u8] {
        &self.capability_secret
    }

    /// A staff token for `roles`, as the identity provider would issue it.
    pub fn mint(
        &self,
        subject: &str,
        roles: &[Role],
        issuer: &str,
        audience: &str,
        lifetime: Duration,
    ) -> String {
        let now = Utc::now();
        let claims = DevClaims {
            sub: subject,
            roles: roles.iter().map(|r| r.as_str()).collect(),
            iss: issuer,
            aud: audience,
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + lifetime).timestamp(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(DEVELOPMENT_KID.into());
        // Ed25519 signing of a serialisable struct cannot fail.
        jsonwebtoken::encode(&header, &claims, &self.encoding).unwrap_or_default()
    }
}

/// The public key (SPKI PEM) of an Ed25519 private key in PKCS#8 PEM.
pub fn public_pem_of(private_pem: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(private_pem).map_err(|e| e.to_string())?;
    let key = SigningKey::from_pkcs8_pem(text).map_err(|e| e.to_string())?;
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| e.to_string())
}
