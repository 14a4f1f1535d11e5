//! The fuzz targets' view of the server's HEP codec: `server/src/hep` compiled from its own source, so
//! a fuzz build does not pull in the whole server (axum, rusqlite, TLS) under the sanitizers.

#[path = "../../server/src/hep/mod.rs"]
pub mod hep;
