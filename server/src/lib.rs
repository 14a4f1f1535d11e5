//! hepscope's server.
//!
//! - [`homer`]: the HOMER 7 connector (backends, server-held credentials, allowlisted proxy).

pub mod homer;
