//! `BackendRegistry`: the named backends, which one is the default, and each one's last status.

use std::sync::{Arc, Mutex};

use app::domain::api::BackendInfo;

use super::backend::V3Backend;

/// A backend handed to [`BackendRegistry::new`].
pub struct RegisteredBackend {
    /// The backend.
    pub backend: Arc<dyn V3Backend>,
    /// Whether `/api/v3` goes to it. At most one may be set; with none, the first is the default.
    pub default: bool,
}

/// Why a set of backends cannot form a registry.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("two backends are named {0:?}; names must be unique")]
    DuplicateName(String),
    #[error("backends {0:?} and {1:?} are both marked default; keep one")]
    MultipleDefaults(String, String),
    #[error("backend name {0:?} is invalid: use letters, digits, '-' and '_'")]
    InvalidName(String),
}

struct Entry {
    name: String,
    backend: Arc<dyn V3Backend>,
    /// "unknown", "ok", or the last error text. A std mutex: held for one assignment, never
    /// across `.await`.
    status: Mutex<String>,
}

/// The backends the proxy can reach, by name.
pub struct BackendRegistry {
    entries: Vec<Entry>,
    default: Option<usize>,
}

impl BackendRegistry {
    /// Builds a registry. An empty registry is allowed (no Homer configured or found).
    ///
    /// # Errors
    /// Duplicate or invalid names, or more than one default.
    pub fn new(backends: Vec<RegisteredBackend>) -> Result<Self, RegistryError> {
        let mut entries: Vec<Entry> = Vec::with_capacity(backends.len());
        let mut default: Option<usize> = None;
        for (index, registered) in backends.into_iter().enumerate() {
            let name = registered.backend.info().name;
            if !is_valid_name(&name) {
                return Err(RegistryError::InvalidName(name));
            }
            if entries.iter().any(|e| e.name == name) {
                return Err(RegistryError::DuplicateName(name));
            }
            if registered.default {
                if let Some(previous) = default.and_then(|i| entries.get(i)) {
                    return Err(RegistryError::MultipleDefaults(previous.name.clone(), name));
                }
                default = Some(index);
            }
            entries.push(Entry {
                name,
                backend: registered.backend,
                status: Mutex::new("unknown".to_owned()),
            });
        }
        if default.is_none() && !entries.is_empty() {
            default = Some(0);
        }
        Ok(Self { entries, default })
    }

    /// The backend called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn V3Backend>> {
        self.entry(name).map(|e| Arc::clone(&e.backend))
    }

    /// The default backend's name and the backend, if any backend exists.
    pub fn default_backend(&self) -> Option<(String, Arc<dyn V3Backend>)> {
        self.default
            .and_then(|i| self.entries.get(i))
            .map(|e| (e.name.clone(), Arc::clone(&e.backend)))
    }

    /// Every backend's public description, in configuration order.
    pub fn infos(&self) -> Vec<BackendInfo> {
        self.entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                let mut info = entry.backend.info();
                info.default = self.default == Some(index);
                info.status = lock(&entry.status).clone();
                info
            })
            .collect()
    }

    /// Records the outcome of the latest request to `name`.
    pub fn record_status(&self, name: &str, status: impl Into<String>) {
        if let Some(entry) = self.entry(name) {
            *lock(&entry.status) = status.into();
        }
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

/// Backend names appear in URLs: keep them to `[A-Za-z0-9_-]+`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn lock(status: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    // A poisoned status only means a panic mid-assignment of a String; the value is still usable.
    status
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::homer::client::V3Request;
    use crate::homer::error::UpstreamError;
    use app::domain::api::BackendKind;
    use axum::response::Response;
    use futures_util::future::BoxFuture;

    struct Named(&'static str);

    impl V3Backend for Named {
        fn info(&self) -> BackendInfo {
            BackendInfo {
                name: self.0.to_owned(),
                kind: BackendKind::Embedded,
                url: None,
                default: false,
                status: "unknown".to_owned(),
            }
        }

        fn call(&self, _: V3Request) -> BoxFuture<'static, Result<Response, UpstreamError>> {
            Box::pin(async { Ok(Response::new(axum::body::Body::empty())) })
        }
    }

    fn reg(name: &'static str, default: bool) -> RegisteredBackend {
        RegisteredBackend {
            backend: Arc::new(Named(name)),
            default,
        }
    }

    #[test]
    fn registry_defaults_to_the_first_backend() {
        let registry = BackendRegistry::new(vec![reg("a", false), reg("b", false)]).unwrap();
        assert_eq!(registry.default_backend().unwrap().0, "a");
        let infos = registry.infos();
        assert!(infos[0].default && !infos[1].default);
    }

    #[test]
    fn registry_honours_the_marked_default() {
        let registry = BackendRegistry::new(vec![reg("a", false), reg("b", true)]).unwrap();
        assert_eq!(registry.default_backend().unwrap().0, "b");
    }

    #[test]
    fn registry_rejects_two_defaults_and_duplicate_names() {
        assert_eq!(
            BackendRegistry::new(vec![reg("a", true), reg("b", true)]).err(),
            Some(RegistryError::MultipleDefaults("a".into(), "b".into()))
        );
        assert_eq!(
            BackendRegistry::new(vec![reg("a", false), reg("a", false)]).err(),
            Some(RegistryError::DuplicateName("a".into()))
        );
        assert!(BackendRegistry::new(vec![reg("a/b", false)]).is_err());
    }

    #[test]
    fn registry_reports_the_last_status() {
        let registry = BackendRegistry::new(vec![reg("a", false)]).unwrap();
        assert_eq!(registry.infos()[0].status, "unknown");
        registry.record_status("a", "ok");
        assert_eq!(registry.infos()[0].status, "ok");
    }
}
