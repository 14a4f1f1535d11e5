//! Files in the data directory are private to the account running hepscope: directories 0700, files
//! 0600 (session and share keys, the admin user, share records, the store's SQLite files and their
//! `-wal`/`-shm`). Every file hepscope creates there goes through this module, and [`tighten`] fixes
//! the modes of what an older version or a careless `cp` left readable, at start-up.
//!
//! SQLite creates its `-wal`, `-shm` and journal files with the mode of the database file, so creating
//! the database file 0600 first ([`create_file`]) covers them.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Owner-only mode for directories.
pub const DIR_MODE: u32 = 0o700;
/// Owner-only mode for files.
pub const FILE_MODE: u32 = 0o600;

/// A private file or directory could not be created or fixed.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}")]
pub struct PrivateFsError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

fn error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> PrivateFsError {
    let path = path.to_path_buf();
    move |source| PrivateFsError {
        action,
        path,
        source,
    }
}

/// Creates `dir` and any missing parents 0700.
///
/// # Errors
/// A directory cannot be created.
pub fn create_dir(dir: &Path) -> Result<(), PrivateFsError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir).map_err(error("creating", dir))
}

/// Writes `contents` to `path` atomically (a temporary file renamed over it), 0600, creating the parent
/// directory 0700.
///
/// # Errors
/// The directory or file cannot be created or written.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<(), PrivateFsError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(parent)?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut file = open_options(true)
            .open(&tmp)
            .map_err(error("creating", &tmp))?;
        // A stale temporary file keeps its old mode through `open`; set it explicitly.
        set_mode(&tmp, FILE_MODE)?;
        file.write_all(contents).map_err(error("writing", &tmp))?;
        file.sync_all().map_err(error("writing", &tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(error("renaming into place", path))
}

/// Makes sure `path` exists as a 0600 file (empty when new) without touching its contents: for files
/// another library opens afterwards (SQLite).
///
/// # Errors
/// The directory or file cannot be created, or its mode cannot be set.
pub fn create_file(path: &Path) -> Result<(), PrivateFsError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(parent)?;
    }
    open_options(false)
        .open(path)
        .map_err(error("creating", path))?;
    set_mode(path, FILE_MODE)
}

fn open_options(truncate: bool) -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), PrivateFsError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(error("setting the mode of", path))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<(), PrivateFsError> {
    Ok(())
}

/// Takes group and other permissions off `root` and everything under it (symbolic links are not
/// followed); creates `root` 0700 when missing. Returns how many modes were changed.
///
/// A shared directory (sticky bit set, like `/tmp`) is left alone: its other entries belong to others.
///
/// # Errors
/// `root` cannot be created or read, or a mode cannot be changed.
pub fn tighten(root: &Path) -> Result<usize, PrivateFsError> {
    if !root.exists() {
        create_dir(root)?;
        return Ok(0);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::symlink_metadata(root).map_err(error("reading", root))?;
        if meta.permissions().mode() & 0o1000 != 0 {
            tracing::warn!(
                path = %root.display(),
                "the data directory is a shared (sticky) directory; its modes are left as they are"
            );
            return Ok(0);
        }
        let mut changed = 0;
        let mut pending = vec![root.to_path_buf()];
        while let Some(path) = pending.pop() {
            let meta = std::fs::symlink_metadata(&path).map_err(error("reading", &path))?;
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                let entries = std::fs::read_dir(&path).map_err(error("listing", &path))?;
                for entry in entries {
                    pending.push(entry.map_err(error("listing", &path))?.path());
                }
            } else if !meta.is_file() {
                continue;
            }
            if mode & 0o077 != 0 {
                set_mode(&path, mode & !0o077)?;
                changed += 1;
            }
        }
        if changed > 0 {
            tracing::info!(
                path = %root.display(),
                changed,
                "made data files private to their owner"
            );
        }
        Ok(changed)
    }
    #[cfg(not(unix))]
    Ok(0)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hepscope-private-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn created_files_and_directories_are_owner_only() {
        let dir = temp("create");
        let file = dir.join("a/b/key");
        write_file(&file, b"secret").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&dir.join("a/b")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join("store/x.sqlite");
        create_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        std::fs::write(&db, b"data").unwrap();
        create_file(&db).unwrap();
        assert_eq!(std::fs::read(&db).unwrap(), b"data", "contents are kept");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tighten_fixes_existing_modes() {
        let dir = temp("tighten");
        std::fs::create_dir_all(dir.join("store")).unwrap();
        std::fs::write(dir.join("session.key"), b"k").unwrap();
        std::fs::write(dir.join("store/x.sqlite-wal"), b"w").unwrap();
        for (path, m) in [
            (dir.clone(), 0o755),
            (dir.join("store"), 0o775),
            (dir.join("session.key"), 0o644),
            (dir.join("store/x.sqlite-wal"), 0o664),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
        }
        assert_eq!(tighten(&dir).unwrap(), 4);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("store")), 0o700);
        assert_eq!(mode(&dir.join("session.key")), 0o600);
        assert_eq!(mode(&dir.join("store/x.sqlite-wal")), 0o600);
        assert_eq!(tighten(&dir).unwrap(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
