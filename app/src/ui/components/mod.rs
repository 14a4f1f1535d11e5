//! Components shared by several views.

pub mod download;
pub mod virtual_table;
