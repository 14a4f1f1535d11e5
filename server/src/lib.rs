//! hepscope's server.
