//! The call-flow ladder in abstract units: lanes (one per host, IP or alias), rows (one arrow per
//! shown message, with label, three time readings, Call-ID colour, SDP mark and transaction key),
//! the filters that hide noise and collapse repeats, searching the shown rows, and the SVG, PNG
//! sizing, text and message-diff exports.
//!
//! Pure: no I/O, no clock, no browser types. The UI turns a [`LadderView`] into pixels; input is
//! HOMER rows from the network, so nothing here may panic.
//!
//! ```text
//! HomerRow ─from_rows→ LadderMessage ─layout(aliases, options)→ LadderView ─→ to_svg / to_text
//! ```

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod diff;
mod filter;
mod lanes;
mod layout;
mod message;
mod png;
mod search;
mod svg;
mod text;
mod time;

pub use diff::{diff_lines, DiffLine, MAX_DIFF_LINES};
pub use filter::{
    HiddenCounts, LadderFilter, DEFAULT_DUPLICATE_WINDOW_US, DEFAULT_RETRANSMISSION_WINDOW_US,
};
pub use lanes::{AliasTable, Lane, LaneMode};
pub use layout::{layout, LadderOptions, LadderView, LegendEntry, Row};
pub use message::{default_reason, LadderMessage, MessageKind, TransactionKey};
pub use png::{png_size, PngError, MAX_PNG_PIXELS, MAX_PNG_SIDE};
pub use search::{search_rows, step_match};
pub use svg::{ellipsize, escape, svg_size, to_svg, SvgOptions, PALETTE};
pub use text::{to_text, TextOptions};
pub use time::{format_absolute, format_offset, TimeMode};

#[cfg(test)]
mod tests;
