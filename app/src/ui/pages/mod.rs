//! One module per route.

pub mod analyze;
pub mod call;
mod call_ladder;
mod call_state;
mod call_toolbar;
pub mod login;
pub mod not_built;
pub mod qos;
mod qos_chart;
pub mod search;
mod search_results;
mod search_state;
pub mod settings;
