//! The pure core shared by the browser app and the server: no I/O, no clock reads, no browser.
//!
//! - [`api`]: hepscope's own HTTP bodies (login, errors, backends).
//! - [`homer`]: HOMER 7 `/api/v3` request and response types, lenient where Homer's shapes vary.
//! - [`query`]: dex-style filters and the query language, compiled to HOMER 7 search requests.
//! - [`search_form`]: the search and calls views' state, to and from the URL.
//! - [`calls`]: messages grouped into calls with their status.
//! - [`sip`]: the one tolerant SIP scanner; [`sdp`]: the lenient SDP reader.
//! - [`fixture`]: generated SIP calls, RTCP and logs for tests and the demo.
//! - [`qos`]: RTCP streams, loss, jitter, RTT and MOS (G.107 E-model and the simple formula).

pub mod api;
pub mod calls;
pub mod fixture;
pub mod homer;
pub mod qos;
pub mod query;
pub mod sdp;
pub mod search_form;
pub mod sip;
