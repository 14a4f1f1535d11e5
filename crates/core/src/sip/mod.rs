//! SIP for the whole product: the tolerant scanner, the scanned message with typed field access, the
//! method enum and the URI / name-addr / Via readers. The server's store and live stream and the
//! browser all use this one implementation.
//!
//! Pure: no I/O, no clock, no browser types. Input is untrusted capture bytes, so nothing here may panic.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod header;
mod message;
mod method;
mod scan;
mod uri;

pub use header::HeaderName;
pub use message::{CSeq, HeaderLine, SipMessage, StartLine, DEFAULT_CORRELATION_HEADERS};
pub use method::{Method, KNOWN_METHOD_NAMES};
pub use scan::{
    scan, ScanError, ScanWarning, StartLineFault, WarningKind, MAX_HEADERS, MAX_LINE_LEN,
};
pub use uri::{find_param, first_element, NameAddr, Scheme, Uri, Via};
