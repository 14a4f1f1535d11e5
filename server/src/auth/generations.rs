//! Per-user session generations: every session token carries its user's generation when issued, and
//! [`super::AuthState::verify`] refuses a token whose generation is behind. Bumping a user's generation
//! (logout, password change, a user removed from the config) so ends all of that user's sessions. Kept
//! in the data dir (`sessions.json`) so a revocation survives a restart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tokio::sync::watch;

use crate::users::{write_private, UsersError};

/// File in the data dir holding the generations.
const SESSIONS_FILE: &str = "sessions.json";

/// The generations, and a signal that fires on every bump (open live streams re-check their session).
#[derive(Debug)]
pub struct Generations {
    path: Option<PathBuf>,
    map: Mutex<BTreeMap<String, u64>>,
    bumped: watch::Sender<u64>,
}

impl Generations {
    /// Reads `sessions.json` in `data_dir`. A user listed there but no longer in `users` was removed:
    /// their generation is bumped, so their old tokens stay refused should the name come back.
    ///
    /// # Errors
    /// The file cannot be read, parsed or written.
    pub fn open(data_dir: &Path, users: &[String]) -> Result<Generations, UsersError> {
        let path = data_dir.join(SESSIONS_FILE);
        let mut map: BTreeMap<String, u64> = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| UsersError::Read {
                path: path.clone(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(UsersError::Read {
                    path,
                    message: e.to_string(),
                })
            }
        };
        let before = map.clone();
        for (name, generation) in map.iter_mut() {
            if !users.contains(name) {
                *generation = generation.saturating_add(1);
            }
        }
        for name in users {
            map.entry(name.clone()).or_insert(0);
        }
        if map != before {
            write(&path, &map)?;
        }
        Ok(Generations {
            path: Some(path),
            map: Mutex::new(map),
            bumped: watch::channel(0).0,
        })
    }

    /// Generations kept in memory only (tests, tools).
    pub fn in_memory() -> Generations {
        Generations {
            path: None,
            map: Mutex::new(BTreeMap::new()),
            bumped: watch::channel(0).0,
        }
    }

    /// `username`'s current generation (0 when never bumped).
    pub fn get(&self, username: &str) -> u64 {
        self.lock().get(username).copied().unwrap_or(0)
    }

    /// Ends every session of `username`: bumps the generation, writes the file (so call it off the
    /// async runtime), then signals open streams.
    ///
    /// # Errors
    /// The file cannot be written; the bump still holds in memory.
    pub fn bump(&self, username: &str) -> Result<(), UsersError> {
        let result = {
            let mut map = self.lock();
            let generation = map.entry(username.to_string()).or_insert(0);
            *generation = generation.saturating_add(1);
            match &self.path {
                Some(path) => write(path, &map),
                None => Ok(()),
            }
        };
        self.bumped.send_modify(|n| *n = n.wrapping_add(1));
        result
    }

    /// A receiver that changes on every [`Generations::bump`].
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.bumped.subscribe()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        // A poisoned lock only means a writer panicked between two plain integer updates.
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn write(path: &Path, map: &BTreeMap<String, u64>) -> Result<(), UsersError> {
    write_private(path, &serde_json::to_vec_pretty(map).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hepscope-gen-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn bumps_survive_a_restart_and_removed_users_are_bumped() {
        let dir = dir("restart");
        let users = vec!["admin".to_string(), "bob".to_string()];
        let generations = Generations::open(&dir, &users).unwrap();
        assert_eq!(generations.get("admin"), 0);
        let signal = generations.subscribe();
        generations.bump("admin").unwrap();
        assert!(signal.has_changed().unwrap());
        assert_eq!(generations.get("admin"), 1);
        let again = Generations::open(&dir, &users).unwrap();
        assert_eq!(again.get("admin"), 1);
        assert_eq!(again.get("bob"), 0);
        // bob leaves the config: his generation moves on.
        let again = Generations::open(&dir, &["admin".to_string()]).unwrap();
        assert_eq!(again.get("bob"), 1);
        assert_eq!(again.get("admin"), 1);
    }
}
