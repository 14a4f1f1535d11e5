//! Users and passwords: the users from the config file, or the built-in `admin` kept hashed in the data
//! dir when the config names none.

use std::path::{Path, PathBuf};

use app::domain::api::Role;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use serde::{Deserialize, Serialize};

use crate::config::{AuthConfig, ConfiguredUser};

/// File in the data dir holding the built-in admin's hash.
const ADMIN_FILE: &str = "admin.json";

/// Why the user list could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// A user who may log in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    /// May create share links without being an admin (`share = true`).
    #[serde(default)]
    pub share: bool,
}

impl User {
    /// Admins, and users given the share right, may create share links.
    pub fn may_share(&self) -> bool {
        self.role == Role::Admin || self.share
    }
}

/// What the server prints once at start: the generated admin password, if one was made.
#[derive(Debug, Default)]
pub struct Bootstrap {
    pub generated_admin_password: Option<String>,
}

/// The users who may log in.
#[derive(Clone, Debug)]
pub struct Users {
    users: Vec<User>,
}

impl Users {
    /// Prepares the user list. With users in the config, those are the users. Otherwise the built-in
    /// `admin` is read from the data dir, or created with `HEPSCOPE_ADMIN_PASSWORD` or a random password
    /// (returned in [`Bootstrap`] so it can be printed once). When `HEPSCOPE_ADMIN_PASSWORD` is set and
    /// differs from the stored one, the stored hash is replaced.
    ///
    /// # Errors
    /// The data dir cannot be read or written, or hashing fails.
    pub fn prepare(
        configured: &[ConfiguredUser],
        auth: &AuthConfig,
        data_dir: &Path,
    ) -> Result<(Users, Bootstrap), UsersError> {
        if !configured.is_empty() {
            let users = configured
                .iter()
                .map(|u| User {
                    username: u.username.clone(),
                    password_hash: u.password_hash.clone(),
                    role: u.role,
                    share: u.share,
                })
                .collect();
            return Ok((Users { users }, Bootstrap::default()));
        }
        let path = data_dir.join(ADMIN_FILE);
        let stored = read_admin(&path)?;
        let mut bootstrap = Bootstrap::default();
        let admin = match (stored, &auth.admin_password) {
            (Some(user), Some(wanted)) if verify_password(&user.password_hash, wanted) => user,
            (Some(user), None) => user,
            (_, wanted) => {
                let password = match wanted {
                    Some(p) => p.clone(),
                    None => {
                        let p = random_password();
                        bootstrap.generated_admin_password = Some(p.clone());
                        p
                    }
                };
                let user = User {
                    username: "admin".into(),
                    password_hash: hash_password(&password)?,
                    role: Role::Admin,
                    share: false,
                };
                write_private(&path, &serde_json::to_vec_pretty(&user).unwrap_or_default())?;
                user
            }
        };
        Ok((Users { users: vec![admin] }, bootstrap))
    }

    /// Users given directly (tests, tools).
    pub fn from_list(users: Vec<User>) -> Users {
        Users { users }
    }

    /// Checks a login. Runs argon2, so call it off the async runtime.
    /// Always hashes, even for an unknown name, so timing does not reveal which names exist.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<&User> {
        match self.users.iter().find(|u| u.username == username) {
            Some(user) if verify_password(&user.password_hash, password) => Some(user),
            Some(_) => None,
            None => {
                let _ = verify_password(DUMMY_HASH, password);
                None
            }
        }
    }

    /// Looks a user up by name (a session's subject).
    pub fn get(&self, username: &str) -> Option<&User> {
        self.users.iter().find(|u| u.username == username)
    }
}

/// A valid argon2id hash of a random string, verified against for unknown user names.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0UfOHqQx1Dbd8Axf0Q3Wj0Ga0jlKBoC1bWk8KcHsNXQ";

/// Hashes a password to an argon2id PHC string.
///
/// # Errors
/// Only if the random salt cannot be drawn.
pub fn hash_password(password: &str) -> Result<String, UsersError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Hash(e.to_string()))
}

/// True when `password` matches the PHC string `hash`; false for a malformed hash.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// 20 random characters from an alphabet without look-alikes.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    crate::secret::fill_random(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

fn read_admin(path: &Path) -> Result<Option<User>, UsersError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| UsersError::Read {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(UsersError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

/// Writes a file readable only by its owner, creating the parent directory (see [`crate::private_fs`]).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), UsersError> {
    crate::private_fs::write_file(path, contents).map_err(|e| UsersError::Write {
        path: e.path,
        source: e.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn auth(admin_password: Option<&str>) -> AuthConfig {
        AuthConfig {
            jwt_secret: None,
            session_ttl: Duration::from_secs(60),
            cookie_secure: false,
            max_failed_logins: 5,
            lockout_window: Duration::from_secs(60),
            admin_password: admin_password.map(str::to_string),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hepscope-users-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn dummy_hash_is_a_valid_phc_string() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn first_start_generates_an_admin_password_once() {
        let dir = temp_dir("gen");
        let (users, boot) = Users::prepare(&[], &auth(None), &dir).unwrap();
        let password = boot
            .generated_admin_password
            .expect("a password is generated");
        assert!(users.authenticate("admin", &password).is_some());
        let (again, boot) = Users::prepare(&[], &auth(None), &dir).unwrap();
        assert!(boot.generated_admin_password.is_none());
        assert!(again.authenticate("admin", &password).is_some());
        assert!(again.authenticate("admin", "wrong").is_none());
    }

    #[test]
    fn admin_password_from_env_replaces_the_stored_one() {
        let dir = temp_dir("env");
        let (users, _) = Users::prepare(&[], &auth(Some("first-pass")), &dir).unwrap();
        assert!(users.authenticate("admin", "first-pass").is_some());
        let (users, boot) = Users::prepare(&[], &auth(Some("second-pass")), &dir).unwrap();
        assert!(boot.generated_admin_password.is_none());
        assert!(users.authenticate("admin", "second-pass").is_some());
        assert!(users.authenticate("admin", "first-pass").is_none());
    }

    #[test]
    fn unknown_user_is_refused() {
        let users = Users::from_list(vec![]);
        assert!(users.authenticate("nobody", "x").is_none());
    }
}
