//! From configuration to ready [`HomerBackend`]s: `[[homer]]` entries, else `HOMER_URL` or dex's
//! `homer.url`, else Kubernetes discovery. Credentials resolve per backend in dex's order.
//!
//! The caller passes the environment as a lookup and the dex config already loaded, so nothing
//! here reads process-global state; the only I/O is reading `password_file` / `ca_file` and the
//! discovery probes.

use std::time::Duration;

use super::backend::HomerBackend;
use super::client::{HomerClient, HomerClientOptions};
use super::config::{BaseUrl, ConfigError, HomerBackendConfig, DEFAULT_CONNECT_TIMEOUT};
use super::dex::{resolve_credentials, DexConfig, ENV_URL};
use super::discovery::{discover, namespace, ServiceResolver};

/// Name given to a backend that comes from `HOMER_URL`, dex's `homer.url` or discovery.
pub const IMPLICIT_BACKEND_NAME: &str = "homer";

/// Everything the setup reads.
pub struct HomerSources<'a> {
    /// The `[[homer]]` entries.
    pub backends: &'a [HomerBackendConfig],
    /// dex's config, when the file exists.
    pub dex: Option<&'a DexConfig>,
    /// Environment lookup (`HOMER_*`, `HEPSCOPE_NAMESPACE`, `password_env` variables).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The namespace from hepscope's config, if set.
    pub namespace: Option<&'a str>,
    /// The contents of the pod's service-account namespace file, if present.
    pub service_account_namespace: Option<String>,
    /// DNS and TCP for discovery.
    pub resolver: &'a dyn ServiceResolver,
}

/// Builds the HOMER backends.
///
/// Returns an empty list (and logs it) when nothing is configured and discovery finds nothing.
///
/// # Errors
/// An invalid `[[homer]]` entry: bad URL, conflicting or unreadable password sources, bad CA file.
pub async fn homer_backends(sources: HomerSources<'_>) -> Result<Vec<HomerBackend>, ConfigError> {
    if !sources.backends.is_empty() {
        return sources
            .backends
            .iter()
            .map(|config| configured_backend(config, &sources))
            .collect();
    }
    let implicit_url = (sources.env)(ENV_URL)
        .filter(|url| !url.trim().is_empty())
        .or_else(|| sources.dex.and_then(|d| d.homer.url.clone()));
    let url = match implicit_url {
        Some(url) => url,
        None => {
            let ns = namespace(
                sources.namespace,
                sources.env,
                sources.service_account_namespace.as_deref(),
            );
            match discover(sources.resolver, &ns, DEFAULT_CONNECT_TIMEOUT).await {
                Some(found) => found.url,
                None => {
                    tracing::info!(namespace = %ns, "no Homer configured or discovered");
                    return Ok(Vec::new());
                }
            }
        }
    };
    let base = BaseUrl::parse(IMPLICIT_BACKEND_NAME, &url)?;
    let resolved = resolve_credentials(base.as_str(), None, None, sources.dex, sources.env);
    let client = HomerClient::new(
        IMPLICIT_BACKEND_NAME,
        base,
        resolved.credentials,
        HomerClientOptions::default(),
    )?;
    Ok(vec![HomerBackend::new(
        client,
        true,
        DEFAULT_CONNECT_TIMEOUT,
    )])
}

fn configured_backend(
    config: &HomerBackendConfig,
    sources: &HomerSources<'_>,
) -> Result<HomerBackend, ConfigError> {
    let base = BaseUrl::parse(&config.name, &config.url)?;
    let own_password = config.configured_password(sources.env)?;
    let resolved = resolve_credentials(
        base.as_str(),
        config.username.as_deref(),
        own_password.as_ref(),
        sources.dex,
        sources.env,
    );
    let mut options = HomerClientOptions {
        connect_timeout: config.connect_timeout(),
        request_timeout: config.request_timeout(),
        renew_before: Duration::from_secs(60),
        ca_pem: None,
        max_answer_bytes: config.max_answer_bytes()?,
    };
    if let Some(path) = &config.ca_file {
        options = options.with_ca_file(&config.name, path)?;
    }
    let connect_timeout = options.connect_timeout;
    let client = HomerClient::new(&config.name, base, resolved.credentials, options)?;
    Ok(HomerBackend::new(client, config.default, connect_timeout))
}
