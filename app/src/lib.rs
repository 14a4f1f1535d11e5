//! hepscope's browser app and its pure core.
//!
//! - [`domain`]: SIP scanning, HOMER 7 types, the query language, call grouping, ladder layout, QoS
//!   maths and leg correlation. No I/O, no clock reads, no browser types: it compiles natively, is
//!   unit-tested with `cargo test -p app --lib --no-default-features`, and the server depends on it
//!   (`app = { default-features = false }`) so there is one SIP parser and one set of HOMER types.
//! - `ui` (feature `ui`, on by default): the Leptos CSR front end built to WASM by Trunk.

pub mod domain;

#[cfg(feature = "ui")]
pub mod ui;
