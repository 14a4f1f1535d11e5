//! Builds the backend registry from the config: the configured, dex-configured or discovered HOMER 7
//! instances (and, with its issue, the embedded store).

use std::sync::Arc;

use anyhow::Context;

use crate::config::{Config, Env};
use crate::homer::dex::{default_dex_path, load_dex_config, ENV_URL};
use crate::homer::discovery::{
    read_service_account_namespace, SystemResolver, SERVICE_ACCOUNT_NAMESPACE_FILE,
};
use crate::homer::setup::{homer_backends, HomerSources};
use crate::homer::{BackendRegistry, RegisteredBackend, V3Backend};

/// The HOMER 7 backends the config and environment describe.
///
/// # Errors
/// A bad `[[homer]]` entry, an unreadable dex config, or a registry conflict (names, defaults).
pub async fn homer_registry_entries(
    config: &Config,
    env: &dyn Env,
) -> anyhow::Result<Vec<RegisteredBackend>> {
    let lookup = |name: &str| env.var(name);
    let dex_path = config
        .homer
        .dex_config
        .clone()
        .or_else(|| default_dex_path(&lookup));
    let dex = match &dex_path {
        Some(path) => load_dex_config(path)
            .with_context(|| format!("reading dex config {}", path.display()))?,
        None => None,
    };
    let nothing_configured = config.homer.backends.is_empty()
        && env.var(ENV_URL).is_none()
        && dex.as_ref().and_then(|d| d.homer.url.as_ref()).is_none();
    if nothing_configured && !config.homer.discovery {
        return Ok(Vec::new());
    }
    let resolver = SystemResolver;
    let backends = homer_backends(HomerSources {
        backends: &config.homer.backends,
        dex: dex.as_ref(),
        env: &lookup,
        namespace: config.homer.namespace.as_deref(),
        service_account_namespace: read_service_account_namespace(std::path::Path::new(
            SERVICE_ACCOUNT_NAMESPACE_FILE,
        )),
        resolver: &resolver,
    })
    .await
    .context("setting up HOMER backends")?;
    Ok(backends
        .into_iter()
        .map(|b| RegisteredBackend {
            default: b.is_default(),
            backend: Arc::new(b) as Arc<dyn V3Backend>,
        })
        .collect())
}

/// A registry of the given backends.
///
/// # Errors
/// Duplicate names or several defaults.
pub fn registry(entries: Vec<RegisteredBackend>) -> anyhow::Result<Arc<BackendRegistry>> {
    Ok(Arc::new(
        BackendRegistry::new(entries).context("checking the backends")?,
    ))
}
