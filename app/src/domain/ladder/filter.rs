//! What the ladder hides: OPTIONS, 1xx, methods, Call-IDs, RTCP and log rows, and the collapsing of
//! retransmissions and of duplicates seen by several capture points. Every hidden message is counted
//! once, under the first rule that hid it, so the UI can say what is not shown. Pure: no I/O.

use std::collections::HashMap;

use super::message::{Facts, LadderMessage, MessageKind, TransactionKey};
use crate::domain::calls::HostPort;
use crate::domain::sip::Method;

/// Default window within which the same message from another capture point is a duplicate, µs.
/// Well below SIP's first retransmission interval T1 = 500 ms (RFC 3261 §17.1.1.1).
pub const DEFAULT_DUPLICATE_WINDOW_US: i64 = 100_000;
/// Default window within which a repeat on the same hop is a retransmission, µs: 64·T1, the
/// transaction timeout (Timer B, RFC 3261 §17.1.1.2).
pub const DEFAULT_RETRANSMISSION_WINDOW_US: i64 = 32_000_000;

/// The ladder's filters. `Default` shows everything and collapses nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LadderFilter {
    /// Hide OPTIONS requests and their responses.
    pub hide_options: bool,
    /// Hide provisional (1xx) responses.
    pub hide_provisional: bool,
    /// Fold retransmissions into the first copy.
    pub collapse_retransmissions: bool,
    /// Fold copies seen by other capture points into the first copy.
    pub collapse_duplicates: bool,
    /// Keep only SIP rows of these methods (requests by method, responses by CSeq method); empty
    /// keeps all.
    pub methods: Vec<Method>,
    /// Call-IDs whose rows are hidden.
    pub hidden_call_ids: Vec<String>,
    /// Show RTCP and media report rows.
    pub show_rtcp: bool,
    /// Show log rows.
    pub show_logs: bool,
    /// See [`DEFAULT_DUPLICATE_WINDOW_US`].
    pub duplicate_window_us: i64,
    /// See [`DEFAULT_RETRANSMISSION_WINDOW_US`].
    pub retransmission_window_us: i64,
}

impl Default for LadderFilter {
    fn default() -> Self {
        Self {
            hide_options: false,
            hide_provisional: false,
            collapse_retransmissions: false,
            collapse_duplicates: false,
            methods: Vec::new(),
            hidden_call_ids: Vec::new(),
            show_rtcp: true,
            show_logs: true,
            duplicate_window_us: DEFAULT_DUPLICATE_WINDOW_US,
            retransmission_window_us: DEFAULT_RETRANSMISSION_WINDOW_US,
        }
    }
}

impl LadderFilter {
    /// The view support staff usually want: OPTIONS hidden, retransmissions and duplicates
    /// collapsed, RTCP and logs shown.
    pub fn recommended() -> Self {
        Self {
            hide_options: true,
            collapse_retransmissions: true,
            collapse_duplicates: true,
            ..Self::default()
        }
    }
}

/// How many messages each rule hid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HiddenCounts {
    /// Rows of hidden Call-IDs.
    pub call_id: usize,
    /// RTCP and media report rows.
    pub rtcp: usize,
    /// Log rows.
    pub logs: usize,
    /// OPTIONS requests and responses.
    pub options: usize,
    /// 1xx responses.
    pub provisional: usize,
    /// SIP rows outside the method list.
    pub method: usize,
    /// Copies folded into the first capture of the same message.
    pub duplicates: usize,
    /// Retransmissions folded into the first transmission.
    pub retransmissions: usize,
}

impl HiddenCounts {
    /// All hidden messages.
    pub fn total(&self) -> usize {
        self.call_id
            + self.rtcp
            + self.logs
            + self.options
            + self.provisional
            + self.method
            + self.duplicates
            + self.retransmissions
    }
}

/// The outcome for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Draw it as a new row.
    Show,
    /// Hidden by a rule (already counted).
    Hide,
    /// Folded into shown row `row` as a duplicate.
    Duplicate { row: usize },
    /// Folded into shown row `row` as a retransmission.
    Retransmission { row: usize },
}

/// What identifies "the same message" for collapsing.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum RepeatKey<'a> {
    /// Call-ID, transaction and reply code.
    Sip {
        call_id: &'a str,
        transaction: &'a TransactionKey,
        status: Option<u16>,
    },
    /// The bytes, when the transaction cannot be read.
    Bytes(&'a str),
}

/// The latest shown or folded copy of a message.
struct Seen<'a> {
    time_us: i64,
    capture_id: &'a str,
    hop: (&'a HostPort, &'a HostPort),
    row: usize,
}

/// Applies a [`LadderFilter`] to messages in time order, remembering what it has shown.
pub(super) struct FilterPass<'a> {
    filter: &'a LadderFilter,
    seen: HashMap<RepeatKey<'a>, Seen<'a>>,
    pub(super) hidden: HiddenCounts,
}

impl<'a> FilterPass<'a> {
    pub(super) fn new(filter: &'a LadderFilter) -> Self {
        Self {
            filter,
            seen: HashMap::new(),
            hidden: HiddenCounts::default(),
        }
    }

    /// Judges `message` (whose facts are `facts`); `next_row` is the index it gets if shown.
    /// Messages must come in time order.
    pub(super) fn judge(
        &mut self,
        message: &'a LadderMessage,
        facts: &'a Facts,
        next_row: usize,
    ) -> Verdict {
        let f = self.filter;
        let kind = message.kind();
        let cseq_method = facts.transaction.as_ref().map(|t| &t.method);
        let is_method = |m: &Method| facts.method.as_ref() == Some(m) || cseq_method == Some(m);
        let rule_hit = if f.hidden_call_ids.contains(&message.call_id) {
            Some(&mut self.hidden.call_id)
        } else if kind == MessageKind::Rtcp && !f.show_rtcp {
            Some(&mut self.hidden.rtcp)
        } else if kind == MessageKind::Log && !f.show_logs {
            Some(&mut self.hidden.logs)
        } else if kind == MessageKind::Sip && f.hide_options && is_method(&Method::Options) {
            Some(&mut self.hidden.options)
        } else if f.hide_provisional && facts.status.is_some_and(|s| (100..200).contains(&s)) {
            Some(&mut self.hidden.provisional)
        } else if kind == MessageKind::Sip
            && !f.methods.is_empty()
            && !f.methods.iter().any(is_method)
        {
            Some(&mut self.hidden.method)
        } else {
            None
        };
        if let Some(count) = rule_hit {
            *count += 1;
            return Verdict::Hide;
        }
        if kind != MessageKind::Sip || !(f.collapse_duplicates || f.collapse_retransmissions) {
            return Verdict::Show;
        }
        let key = match (&facts.transaction, &message.raw) {
            (Some(transaction), _) => RepeatKey::Sip {
                call_id: &message.call_id,
                transaction,
                status: facts.status,
            },
            (None, Some(raw)) => RepeatKey::Bytes(raw),
            (None, None) => return Verdict::Show,
        };
        let hop = (&message.src, &message.dst);
        if let Some(prev) = self.seen.get_mut(&key) {
            let gap = message.time_us.saturating_sub(prev.time_us);
            let same_hop = prev.hop == hop;
            if f.collapse_duplicates
                && gap <= f.duplicate_window_us
                && (prev.capture_id != message.capture_id || same_hop)
            {
                self.hidden.duplicates += 1;
                return Verdict::Duplicate { row: prev.row };
            }
            if f.collapse_retransmissions && same_hop && gap <= f.retransmission_window_us {
                prev.time_us = message.time_us;
                self.hidden.retransmissions += 1;
                return Verdict::Retransmission { row: prev.row };
            }
        }
        self.seen.insert(
            key,
            Seen {
                time_us: message.time_us,
                capture_id: &message.capture_id,
                hop,
                row: next_row,
            },
        );
        Verdict::Show
    }
}
