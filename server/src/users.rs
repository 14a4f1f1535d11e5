//! Users and passwords: the users from the config file, or the built-in `admin` kept hashed in the data
//! dir when the config names none.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use app::domain::api::Role;
use std::cell::RefCell;

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use serde::{Deserialize, Serialize};

use crate::auth_config::{AuthConfig, ConfiguredUser};
use crate::rights::{Right, Rights};

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
    #[error("the password of {0:?} is set in the config file ([[users]] password_hash, made with `hepscope hash-password`); change it there")]
    Configured(String),
    #[error("no user named {0:?}")]
    Unknown(String),
}

/// A user who may log in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    /// May create share links without being an admin (`share = true`, the older spelling of the
    /// `share` right).
    #[serde(default)]
    pub share: bool,
    /// `rights = [...]` from the config; without it, the role's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<Rights>,
}

impl User {
    /// What the user may do: the listed rights, else the role's defaults; `share = true` adds `share`.
    pub fn rights(&self) -> Rights {
        let mut rights = self
            .rights
            .clone()
            .unwrap_or_else(|| Rights::for_role(self.role));
        if self.share {
            rights.insert(Right::Share);
        }
        rights
    }
}

/// What the server prints once at start: the generated admin password, if one was made.
#[derive(Debug, Default)]
pub struct Bootstrap {
    pub generated_admin_password: Option<String>,
}

/// Where the users' passwords live, and so whether hepscope may change them.
#[derive(Clone, Debug)]
enum Source {
    /// `[[users]]` in the config file (or a list given by a test): read-only.
    Config,
    /// The built-in `admin`, its hash kept in this file.
    BuiltIn(PathBuf),
}

/// The users who may log in. Cheap to clone; clones share the list, so a password change is seen
/// by every handle.
#[derive(Clone, Debug)]
pub struct Users {
    users: Arc<RwLock<Vec<User>>>,
    source: Source,
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
                    rights: u.rights.clone(),
                })
                .collect();
            return Ok((Users::new(users, Source::Config), Bootstrap::default()));
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
                    rights: None,
                };
                write_private(&path, &serde_json::to_vec_pretty(&user).unwrap_or_default())?;
                user
            }
        };
        Ok((Users::new(vec![admin], Source::BuiltIn(path)), bootstrap))
    }

    fn new(users: Vec<User>, source: Source) -> Users {
        Users {
            users: Arc::new(RwLock::new(users)),
            source,
        }
    }

    /// Users given directly (tests, tools); their passwords cannot be changed through hepscope.
    pub fn from_list(users: Vec<User>) -> Users {
        Users::new(users, Source::Config)
    }

    /// Checks a login. Runs argon2, so call it off the async runtime.
    /// Always hashes, even for an unknown name, so timing does not reveal which names exist.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<User> {
        match self.get(username) {
            Some(user) if verify_password(&user.password_hash, password) => Some(user),
            Some(_) => None,
            None => {
                let _ = verify_password(DUMMY_HASH, password);
                None
            }
        }
    }

    /// Looks a user up by name (a session's subject).
    pub fn get(&self, username: &str) -> Option<User> {
        self.read().iter().find(|u| u.username == username).cloned()
    }

    /// The names of all users.
    pub fn names(&self) -> Vec<String> {
        self.read().iter().map(|u| u.username.clone()).collect()
    }

    /// True when hepscope keeps the passwords (the built-in `admin`), so they can be changed here.
    pub fn passwords_changeable(&self) -> bool {
        matches!(self.source, Source::BuiltIn(_))
    }

    /// Replaces `username`'s password hash, on disk first. Writes the file, so call it off the async
    /// runtime.
    ///
    /// # Errors
    /// The users come from the config file, the user does not exist, or the file cannot be written.
    pub fn set_password_hash(
        &self,
        username: &str,
        password_hash: String,
    ) -> Result<(), UsersError> {
        let Source::BuiltIn(path) = &self.source else {
            return Err(UsersError::Configured(username.to_string()));
        };
        let mut users = self
            .users
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let user = users
            .iter_mut()
            .find(|u| u.username == username)
            .ok_or_else(|| UsersError::Unknown(username.to_string()))?;
        let mut changed = user.clone();
        changed.password_hash = password_hash;
        write_private(
            path,
            &serde_json::to_vec_pretty(&changed).unwrap_or_default(),
        )?;
        *user = changed;
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<User>> {
        // A poisoned lock only means a writer panicked; the list itself is whole.
        self.users
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
///
/// argon2's working memory (~19 MB with the default parameters) comes from this thread's
/// [`keep_hash_memory_on_this_thread`] buffer when it has one, else from a buffer freed on return.
pub fn verify_password(hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let need = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let mut run = |blocks: &mut Vec<Block>| {
        if blocks.len() < need {
            blocks.resize(need, Block::new());
        }
        argon2
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt.as_ref(),
                &mut out,
                &mut blocks[..need],
            )
            .is_ok()
    };
    let hashed = HASH_MEMORY.with_borrow_mut(|kept| match kept {
        Some(blocks) => run(blocks),
        None => run(&mut Vec::new()),
    });
    // `Output`'s comparison is constant-time.
    hashed
        && argon2::password_hash::phc::Output::new(&out).is_ok_and(|computed| &computed == expected)
}

thread_local! {
    /// argon2 working memory kept by a hashing thread between hashes.
    static HASH_MEMORY: RefCell<Option<Vec<Block>>> = const { RefCell::new(None) };
}

/// Makes [`verify_password`] on this thread reuse one buffer for argon2's working memory instead of
/// allocating ~19 MB per hash: for the few dedicated hashing threads, where allocator arenas would
/// otherwise keep a freed buffer per thread and burst logins add up to hundreds of MB.
pub fn keep_hash_memory_on_this_thread() {
    HASH_MEMORY.with_borrow_mut(|kept| {
        kept.get_or_insert_with(Vec::new);
    });
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
            role_map: crate::rights::RoleMap::default(),
            local: true,
            ldap: None,
            oidc: None,
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
    fn verifying_with_kept_memory_agrees_with_argon2() {
        use argon2::password_hash::PasswordVerifier;
        let hash = hash_password("right").unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default().verify_password(b"right", &parsed).is_ok());
        assert!(verify_password(&hash, "right"));
        assert!(!verify_password(&hash, "wrong"));
        let joined = std::thread::spawn(move || {
            keep_hash_memory_on_this_thread();
            let verdicts = (
                verify_password(&hash, "right"),
                verify_password(&hash, "wrong"),
            );
            let kept = HASH_MEMORY.with_borrow(|m| m.as_ref().map_or(0, Vec::len));
            (verdicts, kept)
        })
        .join()
        .unwrap();
        assert_eq!(joined.0, (true, false));
        assert_eq!(joined.1, 19456, "one buffer of m_cost blocks is kept");
        assert!(!verify_password("$argon2id$v=19$m=8,t=1,p=1$bad", "x"));
        assert!(!verify_password("plain", "x"));
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
    fn the_built_in_admin_password_can_be_changed_and_survives_a_restart() {
        let dir = temp_dir("change");
        let (users, _) = Users::prepare(&[], &auth(None), &dir).unwrap();
        assert!(users.passwords_changeable());
        let copy = users.clone();
        users
            .set_password_hash("admin", hash_password("new-password").unwrap())
            .unwrap();
        assert!(
            copy.authenticate("admin", "new-password").is_some(),
            "clones see it"
        );
        let (again, _) = Users::prepare(&[], &auth(None), &dir).unwrap();
        assert!(again.authenticate("admin", "new-password").is_some());
    }

    #[test]
    fn configured_passwords_cannot_be_changed_here() {
        let users = Users::from_list(vec![User {
            username: "bob".into(),
            password_hash: hash_password("x").unwrap(),
            role: Role::Viewer,
            share: false,
            rights: None,
        }]);
        assert!(!users.passwords_changeable());
        let err = users.set_password_hash("bob", "h".into()).unwrap_err();
        assert!(err.to_string().contains("config file"), "{err}");
    }

    #[test]
    fn unknown_user_is_refused() {
        let users = Users::from_list(vec![]);
        assert!(users.authenticate("nobody", "x").is_none());
    }
}
