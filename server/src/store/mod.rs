//! The embedded HEP store as the server uses it: the storage engine is the `hepscope-store` crate
//! (re-exported here, so `crate::store::Store`, `crate::store::read::…` paths stay); this module adds what
//! needs the rest of the server.
//!
//! - [`api`]: the HOMER 7 `/api/v3` subset answered from the store. [`sql_api`]: HEPop-style SQL.
//! - [`backend`]: the store as a HOMER backend of the registry, and as the ingest pipeline's sink.
//! - [`config`]: `[store]` and `[[alias]]` read from the config file.

pub use hepscope_store::*;

pub mod api;
pub mod backend;
pub mod config;
pub mod sql_api;
