//! The HOMER 7 connector: server-held credentials, token handling and an allowlisted proxy.
//!
//! - [`config`]: `[[homer]]` entries (`HomerBackendConfig`), timeouts, base URLs.
//! - [`secret`]: `Secret`, a string that prints as `***`.
//! - [`dex`]: dex's `~/.dex/config.json` and `HOMER_*` env; credential resolution order.
//! - [`discovery`]: finding `homer-webapp` in Kubernetes when no URL is configured.
//! - [`token`]: the Homer JWT and its `exp`.
//! - [`client`]: `HomerClient` (login, renewal, one login in flight, retry once).
//! - [`backend`]: the `V3Backend` trait and `HomerBackend`.
//! - [`registry`]: `BackendRegistry` (named backends, default, last status).
//! - [`allowlist`]: the read routes the browser may reach.
//! - [`proxy`]: the axum router for `/api/backends…`, `/api/v3/…`, `/api/b/{name}/v3/…`.
//! - [`check`]: the `GET /api/backends/{name}/check` diagnostic.
//! - [`setup`]: config + dex + env + discovery → backends.
//! - [`error`]: `UpstreamError` (502/504 JSON).

pub mod allowlist;
pub mod backend;
pub mod check;
pub mod client;
pub mod config;
pub mod dex;
pub mod discovery;
pub mod error;
pub mod guard;
pub mod proxy;
pub mod registry;
pub mod setup;
pub mod token;

pub use crate::secret::Secret;
pub use backend::{HomerBackend, V3Backend};
pub use client::{HomerClient, HomerClientOptions, V3Request};
pub use config::HomerBackendConfig;
pub use error::UpstreamError;
pub use proxy::router;
pub use registry::{BackendRegistry, RegisteredBackend};
pub use setup::{homer_backends, HomerSources};
