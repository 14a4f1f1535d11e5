//! One module per route.

pub mod login;
pub mod not_built;
pub mod settings;
