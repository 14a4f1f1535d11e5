//! The live view's pure core: stream frames (the wire type is [`hepscope_core::live`]) as ladder
//! messages ([`to_ladder_message`]), the bounded event buffer with pause ([`buffer`]), the event rate
//! ([`rate`]), the reconnect schedule ([`backoff`]) and the view's state in the URL ([`query`]).
//!
//! Pure: no I/O, no clock reads (callers pass `now`), no randomness (callers pass it in), no browser.
//!
//! ```text
//! WebSocket text ─parse_frame→ Frame::Event(LiveEvent) ─LiveBuffer::push→ table rows
//!                                         └─to_ladder_message→ LadderMessage ─ladder::layout→ live ladder
//! ```

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod backoff;
mod buffer;
mod ladder;
mod query;
mod rate;

pub use backoff::{Backoff, BASE_DELAY_MS, MAX_DELAY_MS};
pub use buffer::{LiveBuffer, DEFAULT_CAP};
pub use hepscope_core::live::{parse_frame, Frame, FrameError, LiveEvent, LiveSip, StreamStats};
pub use ladder::to_ladder_message;
pub use query::{LiveQuery, Proto, MAX_HISTORY};
pub use rate::RateMeter;
