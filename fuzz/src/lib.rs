//! The fuzz targets' view of the HEP codec: the `hepscope-hep` crate, a normal dependency, so a fuzz
//! build does not pull in the server (axum, rusqlite, TLS) under the sanitizers.

pub use hepscope_hep::hep;
