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

/// `[store] max_disk`: a size, or a share of the volume the store file is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxDisk {
    /// At most this many bytes.
    Bytes(u64),
    /// At most this percentage (1–100) of the volume's size.
    Percent(u8),
}

impl MaxDisk {
    /// Reads `50GB`, `500MB`, `2TiB`, `1048576` (bytes) or `80%`. Units: B, KB, MB, GB, TB (powers
    /// of 1000) and KiB, MiB, GiB, TiB (powers of 1024), case-insensitive.
    ///
    /// # Errors
    /// A text that is none of these, zero, or a percentage over 100.
    pub fn parse(text: &str) -> Result<MaxDisk, String> {
        let text = text.trim();
        if let Some(percent) = text.strip_suffix('%') {
            return match percent.trim().parse::<u8>() {
                Ok(p) if (1..=100).contains(&p) => Ok(MaxDisk::Percent(p)),
                _ => Err(format!("{text:?} is not a percentage from 1% to 100%")),
            };
        }
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "tb" => 1_000_000_000_000,
            "kib" => 1 << 10,
            "mib" => 1 << 20,
            "gib" => 1 << 30,
            "tib" => 1 << 40,
            _ => return Err(format!("{text:?} is not a size like 50GB, 500MiB or 80%")),
        };
        match number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(multiplier))
        {
            Some(bytes) if bytes > 0 => Ok(MaxDisk::Bytes(bytes)),
            _ => Err(format!(
                "{text:?} is not a size above 0 like 50GB, 500MiB or 80%"
            )),
        }
    }

    /// The limit in bytes for a store file at `path` (a percentage is of its volume's size).
    ///
    /// # Errors
    /// The volume's size cannot be read.
    pub fn limit_bytes(&self, path: &Path) -> std::io::Result<u64> {
        match *self {
            MaxDisk::Bytes(bytes) => Ok(bytes),
            MaxDisk::Percent(percent) => {
                let dir = path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let stat = rustix::fs::statvfs(dir)?;
                let volume = stat.f_blocks.saturating_mul(stat.f_frsize);
                Ok(volume / 100 * u64::from(percent))
            }
        }
    }
}

/// Bytes of an SQLite database's pages in use (pages on its free list are reused by new
/// partitions, so dropping a partition lowers this even though the file keeps its size).
pub(super) fn used_pages_bytes(conn: &rusqlite::Connection) -> rusqlite::Result<u64> {
    let pragma = |name: &str| conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0));
    let used = pragma("page_count")?.saturating_sub(pragma("freelist_count")?);
    Ok(u64::try_from(used.saturating_mul(pragma("page_size")?)).unwrap_or(0))
}

/// What the disk guard counts for the store at `path`: the used pages of the data file (through the
/// writer's `conn`) and of the postings file, plus both write-ahead logs.
pub(super) fn guarded_bytes(conn: &rusqlite::Connection, path: &Path) -> rusqlite::Result<u64> {
    let index_path = super::postings::index_path(path);
    let index = match rusqlite::Connection::open_with_flags(
        &index_path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(index) => used_pages_bytes(&index)?,
        Err(_) => file_len(&index_path),
    };
    let wal = file_len(&wal_path(path)) + file_len(&wal_path(&index_path));
    Ok(used_pages_bytes(conn)? + index + wal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_disk_reads_sizes_and_percentages() {
        assert_eq!(MaxDisk::parse("50GB"), Ok(MaxDisk::Bytes(50_000_000_000)));
        assert_eq!(MaxDisk::parse("500 MiB"), Ok(MaxDisk::Bytes(500 << 20)));
        assert_eq!(MaxDisk::parse("1048576"), Ok(MaxDisk::Bytes(1_048_576)));
        assert_eq!(MaxDisk::parse("80%"), Ok(MaxDisk::Percent(80)));
        for bad in ["0GB", "0%", "101%", "fifty", "5PB", "", "-1GB", "1.5GB"] {
            assert!(MaxDisk::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_percentage_is_of_the_volume() {
        let dir = std::env::temp_dir();
        let all = MaxDisk::Percent(100)
            .limit_bytes(&dir.join("x.sqlite"))
            .unwrap();
        let half = MaxDisk::Percent(50)
            .limit_bytes(&dir.join("x.sqlite"))
            .unwrap();
        assert!(all > 0 && half <= all / 2 + 100 && half >= all / 2 - 100);
    }
}
