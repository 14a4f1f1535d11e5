//! The share records: kept in memory and written to `<data_dir>/shares.json` (atomically, owner-only)
//! after every change, so revocations survive restarts whatever the backend.
//!
//! Methods block on file I/O: call them from `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use app::domain::share::{Share, ShareInfo, ShareStatus};
use serde::{Deserialize, Serialize};

use crate::users::{write_private, UsersError};

/// The records file in the data dir.
pub const SHARES_FILE: &str = "shares.json";
/// Records whose link expired more than this long ago are dropped on the next write, seconds.
const KEEP_EXPIRED_SECS: i64 = 7 * 86_400;

/// Why the records could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ShareStoreError {
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("cannot encode the share records: {0}")]
    Encode(String),
    #[error(transparent)]
    Write(#[from] UsersError),
}

/// One share link as stored: the share and whether it was revoked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    #[serde(flatten)]
    pub share: Share,
    #[serde(default)]
    pub revoked: bool,
}

impl ShareRecord {
    /// The record as the API describes it at `now` (seconds).
    pub fn info(&self, now: i64) -> ShareInfo {
        ShareInfo {
            share: self.share.clone(),
            status: self.status(now),
        }
    }

    /// Active, expired or revoked at `now` (seconds).
    pub fn status(&self, now: i64) -> ShareStatus {
        ShareStatus::at(self.revoked, self.share.expires_at, now)
    }
}

/// The share records and their file.
pub struct ShareStore {
    path: PathBuf,
    records: Mutex<Vec<ShareRecord>>,
}

impl ShareStore {
    /// Reads the records from `path`; a missing file is an empty list.
    ///
    /// # Errors
    /// The file exists but cannot be read or is not a list of records.
    pub fn open(path: &Path) -> Result<ShareStore, ShareStoreError> {
        let records = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ShareStoreError::Read {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(ShareStoreError::Read {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })
            }
        };
        Ok(ShareStore {
            path: path.to_path_buf(),
            records: Mutex::new(records),
        })
    }

    /// Adds a record, dropping long-expired ones, and writes the file.
    ///
    /// # Errors
    /// The file cannot be written (the record is not kept then).
    pub fn insert(&self, record: ShareRecord, now: i64) -> Result<(), ShareStoreError> {
        let mut records = self.lock();
        let mut next: Vec<ShareRecord> = records
            .iter()
            .filter(|r| r.share.expires_at.saturating_add(KEEP_EXPIRED_SECS) > now)
            .cloned()
            .collect();
        next.push(record);
        self.write(&next)?;
        *records = next;
        Ok(())
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<ShareRecord> {
        self.lock().iter().find(|r| r.share.id == id).cloned()
    }

    /// Every record, newest first.
    pub fn list(&self) -> Vec<ShareRecord> {
        let mut all = self.lock().clone();
        all.sort_by(|a, b| {
            b.share
                .created_at
                .cmp(&a.share.created_at)
                .then(b.share.id.cmp(&a.share.id))
        });
        all
    }

    /// Marks a record revoked and writes the file. `Ok(false)` when there is no such record.
    ///
    /// # Errors
    /// The file cannot be written (the record stays as it was then).
    pub fn revoke(&self, id: &str) -> Result<bool, ShareStoreError> {
        let mut records = self.lock();
        let Some(position) = records.iter().position(|r| r.share.id == id) else {
            return Ok(false);
        };
        let mut next = records.clone();
        if let Some(record) = next.get_mut(position) {
            record.revoked = true;
        }
        self.write(&next)?;
        *records = next;
        Ok(true)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ShareRecord>> {
        // A panic while holding the lock leaves the list as it was before the write: still valid.
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self, records: &[ShareRecord]) -> Result<(), ShareStoreError> {
        let bytes = serde_json::to_vec_pretty(records)
            .map_err(|e| ShareStoreError::Encode(e.to_string()))?;
        write_private(&self.path, &bytes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, created_at: i64, expires_at: i64) -> ShareRecord {
        ShareRecord {
            share: Share {
                id: id.into(),
                call_ids: vec!["c@x".into()],
                backend: "embedded".into(),
                from: 0,
                to: 1,
                created_by: "admin".into(),
                created_at,
                expires_at,
            },
            revoked: false,
        }
    }

    fn temp_file(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hepscope-shares-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join(SHARES_FILE)
    }

    #[test]
    fn revocation_survives_reopening() {
        let path = temp_file("reopen");
        let store = ShareStore::open(&path).unwrap();
        store.insert(record("a", 10, 1000), 10).unwrap();
        store.insert(record("b", 20, 1000), 20).unwrap();
        assert!(store.revoke("a").unwrap());
        assert!(!store.revoke("nope").unwrap());
        let again = ShareStore::open(&path).unwrap();
        assert!(again.get("a").unwrap().revoked);
        assert!(!again.get("b").unwrap().revoked);
        let ids: Vec<String> = again.list().into_iter().map(|r| r.share.id).collect();
        assert_eq!(ids, ["b", "a"]);
    }

    #[test]
    fn long_expired_records_are_dropped_on_insert() {
        let path = temp_file("prune");
        let store = ShareStore::open(&path).unwrap();
        store.insert(record("old", 0, 100), 0).unwrap();
        store
            .insert(
                record("new", 10, 100 + KEEP_EXPIRED_SECS + 10),
                100 + KEEP_EXPIRED_SECS,
            )
            .unwrap();
        assert!(store.get("old").is_none());
        assert!(store.get("new").is_some());
    }

    #[test]
    fn unreadable_records_file_is_an_error_naming_it() {
        let path = temp_file("bad");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{not json").unwrap();
        let err = ShareStore::open(&path).err().unwrap().to_string();
        assert!(err.contains(SHARES_FILE), "{err}");
    }
}
