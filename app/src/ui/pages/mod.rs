//! One module per route.

pub mod aliases;
pub mod analyze;
mod analyze_ladder;
mod analyze_run;
pub mod backends;
pub mod call;
mod call_ladder;
mod call_png;
mod call_route;
mod call_search;
mod call_state;
mod call_toolbar;
pub mod live;
mod live_socket;
pub mod login;
pub mod qos;
mod qos_chart;
pub mod search;
mod search_filters;
mod search_results;
mod search_state;
pub mod settings;
mod settings_shares;
mod settings_tokens;
pub mod share;
