//! The correlation itself (dex's `analyze`): starting from the seed leg, follow links between
//! candidate legs, then list unlinked look-alikes as suggestions.
//!
//! Links, in order of trust: HOMER's own (a row's `correlation_id`, i.e. X-CID, naming another
//! leg's Call-ID; a correlation header whose value is another leg's Call-ID; the `_b2b-N` Call-ID
//! suffix), then a shared value of a correlation header between legs that overlap in time. Shared
//! values are grouped per value and swept in start order, so linking is O(n log n) however many
//! legs share a value. Suggestions (same caller or callee within ±60 s on adjacent hosts, after
//! SIP3) are never merged. Pure: no I/O.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use super::candidate::LegCandidate;
use super::keys::{CorrelationRule, MatchedKey};
use super::options::{AnalyzeOptions, LegsError};
use crate::domain::calls::{CallStatus, HostPort};

/// Legs sharing a header value must overlap in time, with this much slack, µs.
pub const OVERLAP_SLACK_US: i64 = 2_000_000;
/// A suggested leg starts within this much of a linked leg, µs.
pub const SUGGEST_WINDOW_US: i64 = 60_000_000;
/// Numbers compare on their last this-many digits (national and E.164 forms alike).
pub const NUMBER_DIGITS: usize = 8;

/// Which party matched for a suggestion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The From user.
    Caller,
    /// The To user.
    Callee,
}

/// Why a leg is in the analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The leg the analysis started from.
    Seed,
    /// Shares `value` of header `name` with leg `via`, overlapping it in time.
    Header {
        /// The header as configured.
        name: String,
        /// The shared value.
        value: String,
        /// The linked leg's Call-ID.
        via: String,
    },
    /// One leg names the other's Call-ID: HOMER's `correlation_id` (X-CID) or a correlation header.
    CallIdLink {
        /// Where the Call-ID was found (`correlation_id` or a header name).
        source: String,
        /// The linked leg's Call-ID.
        via: String,
    },
    /// The Call-IDs differ only by a `_b2b-N` suffix.
    B2bSuffix {
        /// The linked leg's Call-ID.
        via: String,
    },
    /// Shares `value` under `rule` (ICID, Session-ID UUID) with leg `via`, overlapping it in
    /// time.
    Key {
        /// The rule that matched.
        rule: CorrelationRule,
        /// The shared value.
        value: String,
        /// The linked leg's Call-ID.
        via: String,
    },
    /// Not linked: a look-alike of leg `via` (suggestions only).
    Suggested {
        /// The leg it resembles.
        via: String,
        /// The party with the same number.
        party: Party,
        /// The shared number as written on this leg.
        number: String,
        /// The IP where one leg ends and the other starts.
        host: String,
        /// Start of this leg minus start of `via`, ms.
        gap_ms: i64,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Seed => f.write_str("seed"),
            Reason::Header { name, value, via } => write!(f, "{name}: {value} as on {via}"),
            Reason::CallIdLink { source, via } => write!(f, "{source} names {via}"),
            Reason::B2bSuffix { via } => write!(f, "b2b suffix of {via}"),
            Reason::Key { rule, value, via } => {
                write!(f, "{} {value} as on {via}", rule.label())
            }
            Reason::Suggested {
                via,
                party,
                number,
                host,
                gap_ms,
            } => {
                let party = match party {
                    Party::Caller => "caller",
                    Party::Callee => "callee",
                };
                write!(
                    f,
                    "same {party} {number}, {gap_ms:+} ms from {via}, adjacent at {host}"
                )
            }
        }
    }
}

/// One leg of the result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegRow {
    /// The leg's Call-ID.
    pub call_id: String,
    /// From user.
    pub from: String,
    /// To user.
    pub to: String,
    /// Source of the first INVITE.
    pub src: Option<HostPort>,
    /// Destination of the first INVITE.
    pub dst: Option<HostPort>,
    /// First message, µs since the epoch.
    pub start_us: i64,
    /// Last message, µs since the epoch.
    pub end_us: i64,
    /// Outcome.
    pub status: CallStatus,
    /// INVITE headers whose name starts with one of the configured prefixes.
    pub headers: Vec<(String, String)>,
    /// Why it is listed.
    pub included_because: Reason,
    /// Values of the enabled [`CorrelationRule`]s this leg shares with another leg of the same
    /// list (linked legs, or suggestions), for the leg table.
    pub matched_keys: Vec<MatchedKey>,
}

impl LegRow {
    /// The matched keys as one cell text (`P-Charging-Vector ICID IcId1; …`), empty without.
    pub fn matched_keys_text(&self) -> String {
        self.matched_keys
            .iter()
            .map(|k| format!("{} {}", k.rule.label(), k.value))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The result of an analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Linked legs, by start time.
    pub legs: Vec<LegRow>,
    /// Look-alikes not linked (their reason is [`Reason::Suggested`]), by start time.
    pub suggested: Vec<LegRow>,
    /// Names of the header columns, in order of first appearance.
    pub header_columns: Vec<String>,
}

impl Analysis {
    /// The linked legs' Call-IDs, for loading them into one ladder.
    pub fn call_ids(&self) -> Vec<&str> {
        self.legs.iter().map(|l| l.call_id.as_str()).collect()
    }
}

/// The Call-ID without a trailing `_b2b-<digits>` (HOMER's B2BUA convention).
pub fn strip_b2b_suffix(call_id: &str) -> &str {
    match call_id.rsplit_once("_b2b-") {
        Some((base, n))
            if !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => call_id,
    }
}

/// The last [`NUMBER_DIGITS`] digits of a number, or all of them when shorter; `None` without digits.
fn number_key(number: &str) -> Option<String> {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let skip = digits.len().saturating_sub(NUMBER_DIGITS);
    let key: String = digits.into_iter().skip(skip).collect();
    (!key.is_empty()).then_some(key)
}

/// Correlates `candidates` (the seed leg among them) into an [`Analysis`].
///
/// # Errors
/// [`LegsError::SeedNotFound`] when no candidate has `seed_call_id`.
pub fn correlate(
    seed_call_id: &str,
    candidates: &[LegCandidate],
    options: &AnalyzeOptions,
) -> Result<Analysis, LegsError> {
    let seed = candidates
        .iter()
        .position(|c| c.call_id == seed_call_id)
        .ok_or_else(|| LegsError::SeedNotFound(seed_call_id.to_owned()))?;
    let edges = link_edges(candidates, options);
    let limit = usize::try_from(options.limit).unwrap_or(usize::MAX).max(1);

    let mut because: Vec<Option<Reason>> = vec![None; candidates.len()];
    if let Some(slot) = because.get_mut(seed) {
        *slot = Some(Reason::Seed);
    }
    let mut included = vec![seed];
    let mut queue = VecDeque::from([seed]);
    while let Some(at) = queue.pop_front() {
        for (next, reason) in edges.get(&at).into_iter().flatten() {
            if included.len() >= limit {
                break;
            }
            if let Some(slot @ None) = because.get_mut(*next) {
                *slot = Some(reason.clone());
                included.push(*next);
                queue.push_back(*next);
            }
        }
    }

    let mut suggested: Vec<(usize, Reason)> = Vec::new();
    let mut anchors: Vec<usize> = included.clone();
    let mut index = 0;
    while let Some(&anchor) = anchors.get(index) {
        index += 1;
        let Some(base) = candidates.get(anchor) else {
            continue;
        };
        for (i, candidate) in candidates.iter().enumerate() {
            if suggested.len() >= limit {
                break;
            }
            if because.get(i).is_some_and(Option::is_some) {
                continue;
            }
            if let Some(reason) = suggestion(base, candidate) {
                if let Some(slot) = because.get_mut(i) {
                    *slot = Some(reason.clone());
                }
                suggested.push((i, reason));
                anchors.push(i);
            }
        }
    }

    let mut header_columns: Vec<String> = Vec::new();
    let mut row = |i: usize, reason: Reason| -> Option<LegRow> {
        let leg = candidates.get(i)?;
        let headers: Vec<(String, String)> = leg
            .headers
            .iter()
            .filter(|(name, _)| {
                options.header_prefixes.iter().any(|p| {
                    name.get(..p.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(p))
                })
            })
            .cloned()
            .collect();
        for (name, _) in &headers {
            if !header_columns.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                header_columns.push(name.clone());
            }
        }
        Some(LegRow {
            call_id: leg.call_id.clone(),
            from: leg.from.clone(),
            to: leg.to.clone(),
            src: leg.src.clone(),
            dst: leg.dst.clone(),
            start_us: leg.start_us,
            end_us: leg.end_us,
            status: leg.status,
            headers,
            included_because: reason,
            matched_keys: Vec::new(),
        })
    };
    let mut legs: Vec<LegRow> = included
        .iter()
        .filter_map(|&i| {
            let reason = because.get(i).cloned().flatten()?;
            row(i, reason)
        })
        .collect();
    let mut suggested: Vec<LegRow> = suggested
        .into_iter()
        .filter_map(|(i, reason)| row(i, reason))
        .collect();
    let by_start = |a: &LegRow, b: &LegRow| {
        a.start_us
            .cmp(&b.start_us)
            .then_with(|| a.call_id.cmp(&b.call_id))
    };
    legs.sort_by(by_start);
    suggested.sort_by(by_start);
    fill_matched_keys(&mut legs, candidates, &options.rules);
    fill_matched_keys(&mut suggested, candidates, &options.rules);
    Ok(Analysis {
        legs,
        suggested,
        header_columns,
    })
}

/// Every link between candidates, both directions, as adjacency lists.
fn link_edges(
    candidates: &[LegCandidate],
    options: &AnalyzeOptions,
) -> HashMap<usize, Vec<(usize, Reason)>> {
    let mut edges: HashMap<usize, Vec<(usize, Reason)>> = HashMap::new();
    let call_id = |i: usize| {
        candidates
            .get(i)
            .map(|c| c.call_id.clone())
            .unwrap_or_default()
    };
    let mut add = |a: usize, b: usize, reason_for_b: Reason, reason_for_a: Reason| {
        if a != b {
            edges.entry(a).or_default().push((b, reason_for_b));
            edges.entry(b).or_default().push((a, reason_for_a));
        }
    };

    // Call-IDs, and the `_b2b-N` families sharing a base.
    let mut by_call_id: HashMap<&str, usize> = HashMap::new();
    let mut families: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, leg) in candidates.iter().enumerate() {
        by_call_id.entry(leg.call_id.as_str()).or_insert(i);
        families
            .entry(strip_b2b_suffix(&leg.call_id))
            .or_default()
            .push(i);
    }
    let b2b = options.rules.contains(&CorrelationRule::B2bSuffix);
    let mut family_lists: Vec<&Vec<usize>> =
        families.values().filter(|f| b2b && f.len() > 1).collect();
    family_lists.sort();
    for family in family_lists {
        for pair in family.windows(2) {
            if let [a, b] = *pair {
                add(
                    a,
                    b,
                    Reason::B2bSuffix { via: call_id(a) },
                    Reason::B2bSuffix { via: call_id(b) },
                );
            }
        }
    }

    // Values naming another leg's Call-ID; shared header values, grouped per value.
    let key_values: Vec<Vec<(CorrelationRule, String)>> = candidates
        .iter()
        .map(|leg| {
            options
                .rules
                .iter()
                .filter(|rule| **rule != CorrelationRule::B2bSuffix)
                .flat_map(|rule| rule.values(leg).into_iter().map(|v| (*rule, v)))
                .collect()
        })
        .collect();
    let mut groups: HashMap<Link<'_>, Vec<usize>> = HashMap::new();
    for (i, leg) in candidates.iter().enumerate() {
        let named = leg
            .links
            .iter()
            .map(|v| ("correlation_id", v.as_str()))
            .chain(
                options
                    .correlate
                    .iter()
                    .flat_map(|name| leg.header_values(name).map(move |v| (name.as_str(), v))),
            );
        for (source, value) in named {
            let family_base = || by_call_id.get(strip_b2b_suffix(value)).filter(|_| b2b);
            if let Some(&j) = by_call_id.get(value).or_else(family_base) {
                let reason = |via: usize| Reason::CallIdLink {
                    source: source.to_owned(),
                    via: call_id(via),
                };
                add(i, j, reason(i), reason(j));
            }
        }
        for name in &options.correlate {
            for value in leg.header_values(name) {
                groups
                    .entry(Link::Header(name.as_str(), value))
                    .or_default()
                    .push(i);
            }
        }
        for (rule, value) in key_values.get(i).into_iter().flatten() {
            let members = groups.entry(Link::Key(*rule, value.as_str())).or_default();
            if !members.contains(&i) {
                members.push(i);
            }
        }
    }
    let mut group_list: Vec<(&Link<'_>, &Vec<usize>)> =
        groups.iter().filter(|(_, m)| m.len() > 1).collect();
    group_list.sort();
    for (link, members) in group_list {
        let mut members = members.clone();
        members.sort_by_key(|&i| candidates.get(i).map_or(0, |c| c.start_us));
        let mut cluster_end = i64::MIN;
        let mut previous: Option<usize> = None;
        for i in members {
            let Some(leg) = candidates.get(i) else {
                continue;
            };
            if let Some(p) = previous {
                if leg.start_us <= cluster_end.saturating_add(OVERLAP_SLACK_US) {
                    let reason = |via: usize| link.reason(call_id(via));
                    add(p, i, reason(p), reason(i));
                } else {
                    cluster_end = i64::MIN;
                }
            }
            cluster_end = cluster_end.max(leg.end_us);
            previous = Some(i);
        }
    }
    edges
}

/// A value legs may share: a configured header's, or a [`CorrelationRule`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Link<'a> {
    Header(&'a str, &'a str),
    Key(CorrelationRule, &'a str),
}

impl Link<'_> {
    fn reason(self, via: String) -> Reason {
        match self {
            Link::Header(name, value) => Reason::Header {
                name: name.to_owned(),
                value: value.to_owned(),
                via,
            },
            Link::Key(rule, value) => Reason::Key {
                rule,
                value: value.to_owned(),
                via,
            },
        }
    }
}

/// Sets each row's [`LegRow::matched_keys`]: the values of the enabled rules it shares with at
/// least one other row of `rows`.
fn fill_matched_keys(rows: &mut [LegRow], candidates: &[LegCandidate], rules: &[CorrelationRule]) {
    let values: Vec<Vec<MatchedKey>> = rows
        .iter()
        .map(|row| {
            let leg = candidates.iter().find(|c| c.call_id == row.call_id);
            rules
                .iter()
                .flat_map(|rule| {
                    leg.map(|leg| rule.values(leg))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|value| MatchedKey { rule: *rule, value })
                })
                .collect()
        })
        .collect();
    for (i, row) in rows.iter_mut().enumerate() {
        let Some(own) = values.get(i) else { continue };
        row.matched_keys = own
            .iter()
            .filter(|key| {
                values
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && other.contains(key))
            })
            .cloned()
            .collect();
    }
}

/// A suggestion when `candidate` looks like a neighbour of `base`: same caller or callee number,
/// starting within [`SUGGEST_WINDOW_US`], on adjacent hosts (one's destination IP is the other's
/// source IP).
fn suggestion(base: &LegCandidate, candidate: &LegCandidate) -> Option<Reason> {
    let gap_us = candidate.start_us.saturating_sub(base.start_us);
    if gap_us.abs() > SUGGEST_WINDOW_US {
        return None;
    }
    let same = |a: &str, b: &str| number_key(a).is_some_and(|k| Some(k) == number_key(b));
    let (party, number) = if same(&base.from, &candidate.from) {
        (Party::Caller, candidate.from.clone())
    } else if same(&base.to, &candidate.to) {
        (Party::Callee, candidate.to.clone())
    } else {
        return None;
    };
    let ip = |h: &Option<HostPort>| h.as_ref().map(|h| h.ip.clone()).filter(|ip| !ip.is_empty());
    let host = [
        (ip(&base.dst), ip(&candidate.src)),
        (ip(&base.src), ip(&candidate.dst)),
    ]
    .into_iter()
    .find_map(|(a, b)| a.filter(|a| Some(a) == b.as_ref()))?;
    Some(Reason::Suggested {
        via: base.call_id.clone(),
        party,
        number,
        host,
        gap_ms: gap_us / 1000,
    })
}
