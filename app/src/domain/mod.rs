//! The browser app's pure core: view-models over the wire types of [`hepscope_core`], testable
//! natively. No I/O, no clock reads, no browser.
//!
//! The protocol modules (SIP, SDP, HOMER, API bodies, live frame, alias, duration, percent, share,
//! fixture) live in the `hepscope-core` crate and are re-exported here under their old paths.
//!
//! - [`alias`]: the one alias resolver (longest prefix, then exact port), for the ladder and the server.
//! - [`duration`]: the one duration grammar (jiff) of settings, flags and the query's relative times.
//! - [`percent`]: the one percent-encoder of URL components, for the domain's URLs and the UI's.
//! - [`api`]: hepscope's own HTTP bodies (login, errors, backends).
//! - [`homer`]: HOMER 7 `/api/v3` request and response types, lenient where Homer's shapes vary.
//! - [`query`]: dex-style filters and the query language, compiled to HOMER 7 search requests.
//! - [`search_form`]: the search and calls views' state, to and from the URL.
//! - [`results`]: sorting, virtual-list windows, time formatting and downloads of result tables.
//! - [`calls`]: messages grouped into calls with their status.
//! - [`sip`]: the one tolerant SIP scanner; [`sdp`]: the lenient SDP reader.
//! - [`fixture`]: our own generator of realistic SIP, RTCP and log traffic for tests and the demo.
//! - [`fetch`]: the `/api/v3` reads as one trait, so the browser and the command line share request
//!   planning and post-processing ([`call_load`], `query::run`, `qos::load`, `legs::run`).
//! - [`call_view`]: the call view's state in the URL.
//! - [`hosts_view`]: the backends (endpoints, discover) and aliases views.
//! - [`ladder`]: the call-flow ladder (lanes, rows, filters) and its SVG/text exports.
//! - [`legs`]: correlation of a call's legs across proxies and B2BUAs (dex's `analyze`).
//! - [`live`]: the live view's stream frames, bounded buffer, event rate, reconnect schedule and URL.
//! - [`sipp`]: a SIPp scenario (UAC or UAS side) from a captured call.
//! - [`share`]: share links ("Share outside"): request checks, status, refusals.
//! - [`qos`]: RTCP streams, loss, jitter, RTT and MOS (G.107 E-model and the simple formula).

#[cfg(any(test, feature = "fixture"))]
pub use hepscope_core::fixture;
pub use hepscope_core::{access, alias, api, duration, homer, host, percent, sdp, share, sip};

pub mod analyze_view;
pub mod call_load;
pub mod call_view;
pub mod calls;
pub mod fetch;
pub mod hosts_view;
pub mod ladder;
pub mod legs;
pub mod live;
pub mod qos;
pub mod query;
pub mod results;
pub mod search_form;
pub mod sipp;

#[cfg(test)]
mod fixture_rows;
