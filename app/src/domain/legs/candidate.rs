//! `LegCandidate`: one Call-ID summed up for correlation (times, parties, hosts, status, the first
//! INVITE's headers and HOMER's own correlation ids), built from HOMER rows. Pure: no I/O.

use std::collections::HashMap;

use crate::domain::calls::{group_calls, CallStatus, HostPort};
use crate::domain::homer::HomerRow;
use crate::domain::sip;

/// One leg that may belong to the analysed call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegCandidate {
    /// The leg's Call-ID.
    pub call_id: String,
    /// First message, µs since the epoch.
    pub start_us: i64,
    /// Last message, µs since the epoch (equal to `start_us` for a single message).
    pub end_us: i64,
    /// From user of the first INVITE.
    pub from: String,
    /// To user of the first INVITE.
    pub to: String,
    /// Source of the first INVITE.
    pub src: Option<HostPort>,
    /// Destination of the first INVITE.
    pub dst: Option<HostPort>,
    /// The leg's outcome.
    pub status: CallStatus,
    /// Headers of the first INVITE as `(name, value)`, in wire order; empty when no row had `raw`.
    pub headers: Vec<(String, String)>,
    /// HOMER `correlation_id` values of the leg's rows that differ from its Call-ID (X-CID).
    pub links: Vec<String>,
}

impl LegCandidate {
    /// One candidate per Call-ID of `rows` (any mix of search and transaction rows), in order of
    /// first message. Rows without a time or Call-ID are skipped.
    pub fn from_rows(rows: &[HomerRow]) -> Vec<LegCandidate> {
        struct Extra<'a> {
            start_us: i64,
            end_us: i64,
            invite: Option<(i64, &'a HomerRow)>,
            links: Vec<String>,
        }
        let mut extra: HashMap<&str, Extra<'_>> = HashMap::new();
        for row in rows {
            let id = if row.sid.is_empty() {
                &row.callid
            } else {
                &row.sid
            };
            let Some(time) = row.time_us() else { continue };
            if id.is_empty() {
                continue;
            }
            let entry = extra.entry(id.as_str()).or_insert(Extra {
                start_us: time,
                end_us: time,
                invite: None,
                links: Vec::new(),
            });
            entry.start_us = entry.start_us.min(time);
            entry.end_us = entry.end_us.max(time);
            let is_invite = row.status_code().is_none() && row.method.trim() == "INVITE";
            if is_invite && row.raw.is_some() && entry.invite.is_none_or(|(t, _)| time < t) {
                entry.invite = Some((time, row));
            }
            let link = row.correlation_id.trim();
            if !link.is_empty() && link != id && !entry.links.iter().any(|l| l == link) {
                entry.links.push(link.to_owned());
            }
        }
        let mut legs: Vec<LegCandidate> = group_calls(rows)
            .into_iter()
            .filter_map(|call| {
                let extra = extra.get(call.call_id.as_str())?;
                let headers = extra
                    .invite
                    .and_then(|(_, row)| row.raw.as_deref())
                    .and_then(|raw| sip::scan(raw.as_bytes()).ok())
                    .map(|msg| {
                        msg.headers()
                            .map(|(n, v)| (n.to_owned(), v.to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                Some(LegCandidate {
                    start_us: extra.start_us,
                    end_us: extra.end_us,
                    from: call.caller,
                    to: call.callee,
                    src: call.src,
                    dst: call.dst,
                    status: call.status,
                    headers,
                    links: extra.links.clone(),
                    call_id: call.call_id,
                })
            })
            .collect();
        legs.sort_by(|a, b| {
            a.start_us
                .cmp(&b.start_us)
                .then_with(|| a.call_id.cmp(&b.call_id))
        });
        legs
    }

    /// Values of the header `name` (case-insensitive), trimmed, blanks skipped.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// True when the two legs' spans overlap, allowing `slack_us` between them.
    pub fn overlaps(&self, other: &LegCandidate, slack_us: i64) -> bool {
        self.start_us <= other.end_us.saturating_add(slack_us)
            && other.start_us <= self.end_us.saturating_add(slack_us)
    }
}
