//! Components shared by several views.

pub mod download;
pub mod retry_banner;
pub mod virtual_table;
