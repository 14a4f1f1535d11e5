//! Secrets: [`Secret`] values that never print, random bytes, and the signing keys kept in the data
//! dir (session and share links). A leaf beside `private_fs`: users, auth, homer and share import it,
//! it imports none of them.

use std::path::{Path, PathBuf};

mod value;

pub use value::Secret;

/// A key file in the data dir could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading an existing key failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a new key failed.
    #[error(transparent)]
    Write(#[from] crate::private_fs::PrivateFsError),
}

/// File in the data dir holding the generated session signing key.
const JWT_SECRET_FILE: &str = "session.key";
/// File in the data dir holding the share links' signing key (separate from the session key, so a
/// share token can never pass as a session).
const SHARE_SECRET_FILE: &str = "share.key";

/// Fills `buf` from the operating system's random source.
///
/// # Panics
/// If the OS random source fails, which leaves no safe way to make secrets.
pub fn fill_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the OS random source must be available to create secrets");
}

/// The session signing key: the configured one, else the one kept in the data dir, else a new one
/// written there so restarts keep sessions valid.
///
/// # Errors
/// The key file cannot be read or written.
pub fn session_key(configured: Option<&str>, data_dir: &Path) -> Result<Vec<u8>, KeyFileError> {
    if let Some(secret) = configured {
        return Ok(secret.as_bytes().to_vec());
    }
    key_file(&data_dir.join(JWT_SECRET_FILE))
}

/// The share links' signing key, kept in the data dir (generated on first use).
///
/// # Errors
/// The key file cannot be read or written.
pub fn share_key(data_dir: &Path) -> Result<Vec<u8>, KeyFileError> {
    key_file(&data_dir.join(SHARE_SECRET_FILE))
}

/// The key in `path`, or a new random one written there.
fn key_file(path: &Path) -> Result<Vec<u8>, KeyFileError> {
    let path = path.to_path_buf();
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= 32 => return Ok(bytes),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(KeyFileError::Read { path, source: e });
        }
    }
    let mut key = vec![0u8; 64];
    fill_random(&mut key);
    crate::private_fs::write_file(&path, &key)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("hepscope-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = session_key(None, &dir).unwrap();
        let second = session_key(None, &dir).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
        let share = share_key(&dir).unwrap();
        assert_ne!(share, first, "the share key is not the session key");
        assert_eq!(share_key(&dir).unwrap(), share);
        assert_eq!(
            session_key(Some("configured"), &dir).unwrap(),
            b"configured"
        );
    }
}
