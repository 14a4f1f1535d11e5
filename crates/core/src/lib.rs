//! hepscope's protocol and wire layer, shared by the server and the browser: everything that crosses
//! a socket or an HTTP body has its one definition here, serde both ways, so the two ends cannot drift.
//!
//! - [`sip`]: the one tolerant SIP scanner; [`sdp`]: the lenient SDP reader.
//! - [`homer`]: HOMER 7 `/api/v3` request and response types, lenient where Homer's shapes vary.
//! - [`api`]: hepscope's own HTTP bodies (login, errors, backends); [`share`]: share links' bodies.
//! - [`live`]: one frame of the live stream (`/api/v4/stream/hep`), written by the server, read by both.
//! - [`alias`]: the one alias resolver (longest prefix, then exact port), for the ladder and the store.
//! - [`host`]: the one `ip:port` formatting.
//! - [`duration`]: the one duration grammar (jiff) of settings, flags and the query's relative times.
//! - [`percent`]: the one percent-encoder of URL components.
//! - `fixture` (feature `fixture`): our own generator of realistic SIP, RTCP and log traffic.
//!
//! Pure: no I/O, no clock reads (callers pass `now`), no browser, no async runtime.

pub mod access;
pub mod alias;
pub mod api;
pub mod duration;
#[cfg(feature = "fixture")]
pub mod fixture;
pub mod homer;
pub mod host;
pub mod live;
pub mod percent;
pub mod sdp;
pub mod share;
pub mod sip;
