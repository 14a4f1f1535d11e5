//! The [`AppState`] a config describes: users, session key and generations, the store, the backend
//! registry and the share links, after the data dir's modes are fixed.

use std::sync::Arc;

use anyhow::Context;

use crate::auth::{AuthOptions, AuthState, Generations};
use crate::config::Config;
use crate::homer::RegisteredBackend;
use crate::store::backend::EmbeddedBackend;
use crate::store::Store;
use crate::users::{Bootstrap, Users};
use crate::{audit, live, private_fs, secret, share, AppState};

impl AppState {
    /// Prepares users and the session key from the config (touching the data dir).
    ///
    /// # Errors
    /// The data dir cannot be read or written.
    pub fn from_config(
        config: Config,
        homer_backends: Vec<RegisteredBackend>,
    ) -> anyhow::Result<(AppState, Bootstrap)> {
        // Owner-only modes for the data dir and the store, including files older versions left open.
        private_fs::tighten(&config.data_dir).context("securing the data directory")?;
        let (users, bootstrap) = Users::prepare(&config.users, &config.auth, &config.data_dir)
            .context("preparing users")?;
        let key = secret::session_key(config.auth.jwt_secret.as_deref(), &config.data_dir)
            .context("preparing the session key")?;
        let generations = Generations::open(&config.data_dir, &users.names())
            .context("reading the session generations")?;
        let auth = AuthState::new(
            &key,
            users,
            generations,
            AuthOptions::from_config(&config.auth)
                .context("preparing the sign-in provider's HTTP client")?,
        );
        auth.api_tokens()
            .open(&config.data_dir)
            .context("reading the API tokens")?;
        let store = if config.store.enabled {
            let store = Store::open(config.store.clone(), config.aliases.clone())
                .context("opening the embedded store")?;
            Some(store)
        } else {
            None
        };
        let mut entries = homer_backends;
        if let Some(store) = &store {
            // The embedded store is the default when no HOMER 7 is configured.
            let default = entries.is_empty();
            entries.push(RegisteredBackend {
                backend: Arc::new(EmbeddedBackend::new(store.clone(), default)),
                default,
            });
        }
        let backends = super::backends::registry(entries)?;
        let shares = share::Shares::open(config.share.clone(), &config.data_dir, backends.clone())?;
        let audit = audit::AuditLog::open(&config.data_dir, config.audit.clone())
            .context("opening the audit log")?;
        Ok((
            AppState {
                config: Arc::new(config),
                auth,
                backends,
                store,
                live: live::LiveState::disabled(),
                shares,
                audit,
            },
            bootstrap,
        ))
    }
}
