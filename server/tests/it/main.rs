//! The server's integration tests, in one binary (as ripgrep's `tests/tests.rs`): one link instead of
//! one per file, which is most of the time an incremental `cargo test` spends after a change to the
//! server. Each former `tests/<name>.rs` is the module `<name>` here, so a test is named
//! `<name>::<test>` and one suite runs with `cargo test -p server --test it <name>::`.
//!
//! Adding tests: put them in the file of their topic; a new topic is a new file `it/<topic>.rs` plus a
//! `mod <topic>;` line below (keep the list sorted), with `use crate::common;` where a separate binary
//! would say `mod common;` (likewise `live_support`). A file added as `server/tests/<topic>.rs` with
//! `mod common;` does not build any more, the helpers having moved to `it/common/`:
//! `scripts/move-test-into-it.sh` moves it here and makes those edits.
//!
//! Tests share the process: a test must not assume it is the only one touching process-wide state (the
//! metrics recorder, environment variables, the working directory, the peak RSS). A test that needs a
//! process of its own runs its body through `common::alone::in_own_process`, or starts the `hepscope`
//! binary (`common::process::Hepscope`).

mod common;
mod live_support;

mod app_start;
mod auth_burst;
mod auth_logs;
mod cli_auth;
mod cli_commands;
mod contracts;
mod demo_generator;
mod demo_import;
mod demo_send_hep;
mod homer_failures;
mod homer_proxy;
mod homer_secrets;
mod homer_session;
mod homer_setup;
mod http_auth;
mod http_listener;
mod http_web;
mod ingest_hostile;
mod ingest_overload;
mod ingest_receiver;
mod ldap_login;
mod live_auth;
mod live_fanin;
mod live_runtime;
mod live_stream;
mod oidc_login;
mod openapi;
mod packaging;
mod qos_reports;
mod rights;
mod service;
mod share;
mod source_checks;
mod store_api;
mod store_ingest;
mod store_sql;
