//! The pure core shared by the browser app and the server: no I/O, no clock reads, no browser.

pub mod api;
pub mod fixture;
pub mod sdp;
pub mod sip;
