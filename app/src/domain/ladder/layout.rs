//! The ladder layout: messages of one or several Call-IDs merged into one time-ordered flow of rows,
//! each an arrow between two lanes, in abstract units (lane and row indices; no pixels).
//!
//! One pass over the messages sorted by time, with hash maps for lanes, colours and repeats, so
//! 50,000 messages lay out in O(n log n). Pure: no I/O, no clock.

use std::collections::HashMap;

use jiff::tz::TimeZone;

use super::filter::{FilterPass, HiddenCounts, LadderFilter, Verdict};
use super::lanes::{AliasTable, Lane, LaneBuilder, LaneMode};
use super::message::{Facts, LadderMessage, MessageKind, TransactionKey};
use super::time::{format_absolute, format_offset, TimeMode};
use crate::domain::calls::HostPort;
use crate::domain::homer::HomerRow;
use crate::domain::sip::Method;

/// How to lay the ladder out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LadderOptions {
    /// Lane grouping.
    pub lane_mode: LaneMode,
    /// What to hide or collapse.
    pub filter: LadderFilter,
}

/// One arrow of the ladder.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Index of the message in the slice given to [`layout`].
    pub message: usize,
    /// HOMER row id of the message, for opening it.
    pub row_id: Option<i64>,
    /// Capture time, µs since the epoch.
    pub time_us: i64,
    /// Since the previous shown row, µs (0 for the first).
    pub delta_us: i64,
    /// Since the first shown row, µs.
    pub relative_us: i64,
    /// Lane of the sender.
    pub from_lane: usize,
    /// Lane of the receiver; equal to `from_lane` for a self-message.
    pub to_lane: usize,
    /// Sender address.
    pub src: HostPort,
    /// Receiver address.
    pub dst: HostPort,
    /// `INVITE`, `200 OK` (the wire reason phrase), `RTCP`, `LOG`.
    pub label: String,
    /// Request method of a SIP request.
    pub method: Option<Method>,
    /// Reply code of a SIP response.
    pub status: Option<u16>,
    /// SIP, RTCP or log.
    pub kind: MessageKind,
    /// The message carries SDP.
    pub has_sdp: bool,
    /// The SIP transaction, for highlighting its rows together.
    pub transaction: Option<TransactionKey>,
    /// Call-ID (or correlation id of RTCP and log rows).
    pub call_id: String,
    /// Colour index of the Call-ID (its place in the legend).
    pub colour: usize,
    /// Copies from other capture points folded into this row.
    pub duplicates: usize,
    /// Retransmissions folded into this row.
    pub retransmissions: usize,
}

impl Row {
    /// True for a message a host sent to itself (or within one grouped lane).
    pub fn is_self_message(&self) -> bool {
        self.from_lane == self.to_lane
    }

    /// The time column text in `mode`; absolute times in `tz`.
    pub fn time_text(&self, mode: TimeMode, tz: &TimeZone) -> String {
        match mode {
            TimeMode::Absolute => format_absolute(self.time_us, tz),
            TimeMode::Delta => format_offset(self.delta_us),
            TimeMode::Relative => format_offset(self.relative_us),
        }
    }
}

/// One Call-ID of the legend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegendEntry {
    /// The Call-ID.
    pub call_id: String,
    /// Colour index (order of first appearance among all messages, so filters keep colours).
    pub colour: usize,
    /// Rows of this Call-ID shown.
    pub rows: usize,
}

/// The laid-out ladder.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LadderView {
    /// Columns, in order of first appearance among shown rows (the caller leftmost).
    pub lanes: Vec<Lane>,
    /// Arrows, oldest first.
    pub rows: Vec<Row>,
    /// Every Call-ID of the input with its colour.
    pub legend: Vec<LegendEntry>,
    /// What the filters hid.
    pub hidden: HiddenCounts,
}

impl LadderMessage {
    /// The messages of HOMER rows, skipping rows without a capture time.
    pub fn from_rows(rows: &[HomerRow]) -> Vec<LadderMessage> {
        rows.iter().filter_map(LadderMessage::from_row).collect()
    }
}

/// Lays out `messages` (any order; one or several Call-IDs) with host names from `aliases`.
pub fn layout(
    messages: &[LadderMessage],
    aliases: &AliasTable,
    options: &LadderOptions,
) -> LadderView {
    let mut order: Vec<usize> = (0..messages.len()).collect();
    // Stable, so messages captured in the same µs keep their input order.
    order.sort_by_key(|&i| messages.get(i).map_or(0, |m| m.time_us));

    let facts: Vec<Facts> = messages.iter().map(Facts::read).collect();

    let mut colours: HashMap<&str, usize> = HashMap::new();
    let mut legend: Vec<LegendEntry> = Vec::new();
    for message in order.iter().filter_map(|&i| messages.get(i)) {
        if !colours.contains_key(message.call_id.as_str()) {
            colours.insert(&message.call_id, legend.len());
            legend.push(LegendEntry {
                call_id: message.call_id.clone(),
                colour: legend.len(),
                rows: 0,
            });
        }
    }

    let mut lanes = LaneBuilder::new(options.lane_mode, aliases);
    let mut pass = FilterPass::new(&options.filter);
    let mut rows: Vec<Row> = Vec::new();
    for &index in &order {
        let (Some(message), Some(fact)) = (messages.get(index), facts.get(index)) else {
            continue;
        };
        match pass.judge(message, fact, rows.len()) {
            Verdict::Hide => {}
            Verdict::Duplicate { row } => {
                if let Some(row) = rows.get_mut(row) {
                    row.duplicates += 1;
                }
            }
            Verdict::Retransmission { row } => {
                if let Some(row) = rows.get_mut(row) {
                    row.retransmissions += 1;
                }
            }
            Verdict::Show => {
                let colour = colours.get(message.call_id.as_str()).copied().unwrap_or(0);
                if let Some(entry) = legend.get_mut(colour) {
                    entry.rows += 1;
                }
                let first = rows.first().map_or(message.time_us, |r| r.time_us);
                let previous = rows.last().map_or(message.time_us, |r| r.time_us);
                rows.push(Row {
                    message: index,
                    row_id: message.row_id,
                    time_us: message.time_us,
                    delta_us: message.time_us.saturating_sub(previous),
                    relative_us: message.time_us.saturating_sub(first),
                    from_lane: lanes.lane(&message.src),
                    to_lane: lanes.lane(&message.dst),
                    src: message.src.clone(),
                    dst: message.dst.clone(),
                    label: fact.label.clone(),
                    method: fact.method.clone(),
                    status: fact.status,
                    kind: message.kind(),
                    has_sdp: fact.has_sdp,
                    transaction: fact.transaction.clone(),
                    call_id: message.call_id.clone(),
                    colour,
                    duplicates: 0,
                    retransmissions: 0,
                });
            }
        }
    }
    LadderView {
        lanes: lanes.finish(),
        rows,
        legend,
        hidden: pass.hidden,
    }
}
