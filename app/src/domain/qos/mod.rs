//! RTCP quality maths: reports → streams → loss, jitter, RTT and MOS per interval, and chart
//! series (mos-and-rtcp.md §8).
//!
//! - [`rtcp`]: the input [`RtcpReport`] and the lenient report parser.
//! - [`codec`]: codec and RTP clock choice from the SDP, G.113 impairment values.
//! - [`emodel`]: ITU-T G.107 E-model and the simplified "PingPlotter" formula, with tooltips.
//! - [`stream`]: per-stream interval loss, jitter in ms, RTT from LSR/DLSR.
//! - [`series`]: per-interval points, summaries and chart series.
//! - [`settings`]: [`QosSettings`] and their URL form.
//! - [`call`]: [`CallQos::from_reports`], the entry point.
//!
//! Pure: no I/O, no clock reads, no browser types.

#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod call;
pub mod codec;
pub mod emodel;
mod number;
pub mod rtcp;
pub mod series;
pub mod settings;
pub mod stream;

pub use call::{CallQos, RejectedReport};
pub use codec::{CodecChoice, CodecInfo};
pub use emodel::QualityBand;
pub use rtcp::{RtcpError, RtcpReport};
pub use series::{Metric, QosPoint, Summary};
pub use settings::QosSettings;
pub use stream::{Endpoint, StreamQos};
