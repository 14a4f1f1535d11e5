//! Pieces shared by several views.

pub mod call_link;
pub mod debug_panel;
pub mod download;
pub mod form;
pub mod ladder;
pub mod ladder_search;
pub mod retry_banner;
pub mod virtual_table;
pub mod zone;
