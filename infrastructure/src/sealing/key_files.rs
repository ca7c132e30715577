//! The sealing keys' files: private keys written as PKCS#8 v1 PEM (RFC 5208, `BEGIN PRIVATE
//! KEY`, no embedded public key), public keys as SPKI PEM (`BEGIN PUBLIC KEY`).
//!
//! Why v1: ed25519-dalek's own `to_pkcs8_pem` writes v2 (RFC 5958, the public key embedded),
//! which OpenSSL 3.0 (Debian 12) and Python's `cryptography` both refuse, so an auditor could not
//! open a key Arreta wrote. v2 files written before are still read.

use std::io::Write;
use std::path::Path;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, KeypairBytes,
};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0} already exists: a key file is never overwritten")]
    Exists(String),
    #[error("{0}: not an Ed25519 key in PEM ({1})")]
    Format(String, String),
}

/// A new random Ed25519 key.
pub fn generate() -> SigningKey {
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
}

/// `key` as PKCS#8 v1 PEM.
pub fn private_pem(key: &SigningKey) -> Result<String, String> {
    let bytes = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    bytes
        .to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|e| e.to_string())
}

/// The private key of a PKCS#8 PEM, v1 or v2.
pub fn parse_private(pem: &str) -> Result<SigningKey, String> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| e.to_string())
}

/// The public key of a PEM file's text: an SPKI public key, or a PKCS#8 private key's public
/// part (so an operator may list the old private file itself, though the public one suffices).
pub fn parse_public(pem: &str) -> Result<VerifyingKey, String> {
    if pem.contains("PRIVATE KEY-----") {
        return parse_private(pem).map(|key| key.verifying_key());
    }
    VerifyingKey::from_public_key_pem(pem).map_err(|e| e.to_string())
}

/// `key` as SPKI PEM, exactly as the key id is computed over.
pub fn public_pem(key: &VerifyingKey) -> Result<String, String> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| e.to_string())
}

/// The key id seals carry: the first 16 hex digits of the SHA-256 of the public key's SPKI PEM
/// (LF line ends, trimmed). Computed from the key, not from a file's text, so the id of a key
/// does not change with how its file was written.
pub fn key_id(key: &VerifyingKey) -> Result<String, String> {
    let pem = public_pem(key)?;
    Ok(hex::encode(Sha256::digest(pem.trim().as_bytes()))[..16].to_string())
}

/// Reads a file's text.
pub fn read(path: &Path) -> Result<String, KeyFileError> {
    std::fs::read_to_string(path).map_err(|e| KeyFileError::Io(path.display().to_string(), e))
}

/// Writes `contents` to `path`, which must not exist, readable by its owner only. Written aside
/// then linked into place: a reader never sees half a key, and an existing file (a key still in
/// use, perhaps) is never replaced.
pub fn write_new(path: &Path, contents: &[u8]) -> Result<(), KeyFileError> {
    let name = path.display().to_string();
    let io = |e| KeyFileError::Io(name.clone(), e);
    if path.exists() {
        return Err(KeyFileError::Exists(name));
    }
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
    let written = options
        .open(&aside)
        .and_then(|mut file| file.write_all(contents).and_then(|()| file.sync_all()));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&aside);
        return Err(io(e));
    }
    let linked = std::fs::hard_link(&aside, path);
    let _ = std::fs::remove_file(&aside);
    match linked {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(KeyFileError::Exists(name)),
        Err(e) => Err(io(e)),
        Ok(()) => Ok(()),
    }
}

/// Writes a new random private key to `path` (PKCS#8 v1, mode 0600), never over a file.
pub fn write_new_private_key(path: &Path) -> Result<SigningKey, KeyFileError> {
    let key = generate();
    let pem = private_pem(&key).map_err(|e| KeyFileError::Format(path.display().to_string(), e))?;
    write_new(path, pem.as_bytes())?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::pkcs8::spki::der::pem;

    #[test]
    fn new_keys_are_pkcs8_v1_and_old_v2_files_still_read() {
        let key = generate();
        let v1 = private_pem(&key).expect("v1");
        assert!(v1.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        // v1 is the 48-byte structure: version 0, algorithm, the 32-byte key, nothing after.
        let (label, der) = pem::decode_vec(v1.as_bytes()).expect("pem");
        assert_eq!(label, "PRIVATE KEY");
        assert_eq!(der.len(), 48);
        assert_eq!(&der[..5], &[0x30, 0x2e, 0x02, 0x01, 0x00]);
        assert_eq!(
            parse_private(&v1).expect("v1 reads").to_bytes(),
            key.to_bytes()
        );

        let v2 = key.to_pkcs8_pem(LineEnding::LF).expect("v2");
        let (_, der) = pem::decode_vec(v2.as_bytes()).expect("pem");
        assert_eq!(der[4], 0x01, "ed25519-dalek writes version 1 (v2)");
        assert_eq!(
            parse_private(&v2).expect("v2 reads").to_bytes(),
            key.to_bytes()
        );
        assert_eq!(
            parse_public(&v2).expect("public of v2"),
            key.verifying_key()
        );
    }

    #[test]
    fn the_key_id_is_the_keys_not_the_files_text() {
        let key = generate().verifying_key();
        let pem = public_pem(&key).expect("pem");
        let crlf = pem.replace('\n', "\r\n");
        assert_eq!(parse_public(&crlf).expect("crlf reads"), key);
        let id = key_id(&key).expect("id");
        assert_eq!(id.len(), 16);
        assert_eq!(
            id,
            hex::encode(Sha256::digest(pem.trim().as_bytes()))[..16],
            "the id seals made before the key set still carry"
        );
    }

    #[test]
    fn a_key_file_is_written_once_for_its_owner_alone() {
        let dir = std::env::temp_dir().join(format!("arreta-keyfile-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("new.pem");
        let key = write_new_private_key(&path).expect("written");
        let text = read(&path).expect("read");
        assert_eq!(
            parse_private(&text).expect("parses").to_bytes(),
            key.to_bytes()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            write_new_private_key(&path),
            Err(KeyFileError::Exists(_))
        ));
        assert_eq!(read(&path).expect("read"), text, "the first key stays");
        let leftovers = std::fs::read_dir(&dir).expect("list").count();
        assert_eq!(leftovers, 1, "nothing left aside");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
