//! The store's size on disk: per file for `/metrics`, and the used bytes the disk guard
//! (`[store] max_disk`) compares with its limit.

use std::path::{Path, PathBuf};

/// Bytes of the store's files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskUsage {
    /// The data file (`hepscope.sqlite`).
    pub data: u64,
    /// The search postings file (`hepscope.index.sqlite`).
    pub index: u64,
    /// Both write-ahead logs.
    pub wal: u64,
}

impl DiskUsage {
    /// The sizes of the files of the store at `path` (a missing file counts 0).
    pub fn of(path: &Path) -> DiskUsage {
        let index = super::postings::index_path(path);
        DiskUsage {
            data: file_len(path),
            index: file_len(&index),
            wal: file_len(&wal_path(path)) + file_len(&wal_path(&index)),
        }
    }

    /// All files together.
    pub fn total(&self) -> u64 {
        self.data + self.index + self.wal
    }
}

fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push("-wal");
    PathBuf::from(name)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
