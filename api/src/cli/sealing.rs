//! `arreta audit rotate-sealing-key` and `arreta audit seal-keys`: the council's sealing keys.

use std::path::{Path, PathBuf};

use infrastructure::config::{Profile, Settings};
use infrastructure::sealing::{SealingKeyError, SealingKeys, key_files};
use infrastructure::tokens::DevelopmentKeys;

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Keys(#[from] SealingKeyError),
    #[error(transparent)]
    File(#[from] key_files::KeyFileError),
    #[error(transparent)]
    Development(#[from] infrastructure::tokens::DevelopmentKeyError),
    #[error(
        "--out NEW.pem is needed: the sealing key is configured (audit.sealing_key_file), and \
         only the local profile's development key is rotated in place"
    )]
    OutNeeded,
    #[error("{0}: {1}")]
    Path(String, std::io::Error),
    #[error("{0}")]
    Key(String),
}

/// Prints the public sealing keys as the JWKS `/.well-known/arreta-seal-keys.json` serves.
pub fn print_keys(settings: &Settings) -> Result<(), RotationError> {
    let keys = SealingKeys::from_settings(settings)?;
    let text = serde_json::to_string_pretty(&keys.jwks())
        .map_err(|e| RotationError::Key(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Rotates the sealing key. With `out`, writes a new key there (PKCS#8 v1, mode 0600, never
/// over a file) and the current key's public part beside it, and prints the configuration that
/// finishes the rotation; nothing configured changes until an operator moves it. Without `out`,
/// in the local profile on its development key, rotates that key in place.
pub fn rotate(settings: &Settings, out: Option<&Path>) -> Result<(), RotationError> {
    // The current set must load: a rotation from a broken configuration would lose track.
    let keys = SealingKeys::from_settings(settings)?;
    let development =
        settings.profile == Profile::Local && settings.audit.sealing_key_file.is_none();
    let Some(out) = out else {
        if !development {
            return Err(RotationError::OutNeeded);
        }
        let rotation = DevelopmentKeys::rotate_sealing(&settings.auth.data_dir)?;
        println!(
            "development sealing key rotated: new seals carry kid {}; kid {} (public key kept in {}) still verifies",
            rotation.current_kid,
            rotation.previous_kid,
            rotation.previous_public_file.display()
        );
        println!("restart `arreta serve` for it to seal with the new key");
        return Ok(());
    };
    let absolute = |p: &Path| {
        std::path::absolute(p).map_err(|e| RotationError::Path(p.display().to_string(), e))
    };
    let out = absolute(out)?;
    let new = key_files::write_new_private_key(&out)?;
    let new_kid = key_files::key_id(&new.verifying_key()).map_err(RotationError::Key)?;
    let old = keys.current().public();
    let old_public = old.pem().map_err(RotationError::Key)?;
    let dir = out.parent().map(Path::to_path_buf).unwrap_or_default();
    let old_file = dir.join(format!("sealing-{}.pub.pem", old.key_id()));
    match key_files::write_new(&old_file, old_public.as_bytes()) {
        // An earlier rotation attempt from the same key left it: the same public key.
        Err(key_files::KeyFileError::Exists(_))
            if std::fs::read_to_string(&old_file).ok().as_deref() == Some(old_public.as_str()) => {}
        other => other?,
    }
    let mut previous: Vec<PathBuf> = Vec::new();
    if development {
        // The development keys rotated out before: they go in the list too, as files beside.
        for key in keys.public_keys().skip(1) {
            let file = dir.join(format!("sealing-{}.pub.pem", key.key_id()));
            let pem = key.pem().map_err(RotationError::Key)?;
            match key_files::write_new(&file, pem.as_bytes()) {
                Err(key_files::KeyFileError::Exists(_))
                    if std::fs::read_to_string(&file).ok().as_deref() == Some(pem.as_str()) => {}
                other => other?,
            }
            previous.push(file);
        }
    } else {
        for path in &settings.audit.previous_sealing_public_keys {
            previous.push(absolute(path)?);
        }
    }
    previous.insert(0, old_file.clone());
    println!(
        "new sealing key: {} (kid {new_kid}), PKCS#8 v1, mode 0600",
        out.display()
    );
    println!(
        "the current key's public part: {} (kid {})",
        old_file.display(),
        old.key_id()
    );
    println!();
    println!("To finish the rotation, set in the configuration of every replica and restart them:");
    println!();
    println!("[audit]");
    println!("sealing_key_file = {}", toml_string(&out));
    let listed: Vec<String> = previous.iter().map(|p| toml_string(p)).collect();
    println!("previous_sealing_public_keys = [{}]", listed.join(", "));
    println!();
    println!(
        "Seals then carry kid {new_kid}; those of kid {} still verify. Keep every previous public key \
         listed for as long as its seals must verify; the old private key may then be destroyed.",
        old.key_id()
    );
    Ok(())
}

/// A path as a TOML basic string.
fn toml_string(path: &Path) -> String {
    serde_json::to_string(&path.display().to_string()).unwrap_or_default()
}
