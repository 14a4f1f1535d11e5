//! One module per route.

pub mod login;
pub mod not_built;
pub mod search;
mod search_results;
mod search_state;
pub mod settings;
