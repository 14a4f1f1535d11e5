//! Searching inside a laid-out ladder (the `/` key): which shown rows match a text, and which match
//! comes next or before the open one. A row matches on its label (method, or status and reason),
//! its Call-ID, or anywhere in its raw message (start line, header text, body).
//!
//! Pure: no I/O, no browser. Matching is ASCII case-insensitive and allocates nothing per message,
//! so a 50,000-message ladder is searched on every keystroke.

use super::layout::LadderView;
use super::message::LadderMessage;

/// Positions in `view.rows` of the rows matching `needle`, in row order. A blank `needle` matches
/// nothing. `messages` are the ones `view` was laid out from (rows refer to them by index).
pub fn search_rows(view: &LadderView, messages: &[LadderMessage], needle: &str) -> Vec<usize> {
    let needle = needle.trim();
    if needle.is_empty() {
        return Vec::new();
    }
    view.rows
        .iter()
        .enumerate()
        .filter(|(_, row)| {
            contains_folded(&row.label, needle)
                || contains_folded(&row.call_id, needle)
                || messages
                    .get(row.message)
                    .and_then(|m| m.raw.as_deref())
                    .is_some_and(|raw| contains_folded(raw, needle))
        })
        .map(|(position, _)| position)
        .collect()
}

/// The row position of the match after (`forward`) or before `current`, wrapping around; the first
/// (or last) match when nothing is open. `None` when there is no match.
pub fn step_match(matches: &[usize], current: Option<usize>, forward: bool) -> Option<usize> {
    match (current, forward) {
        (None, true) => matches.first().copied(),
        (None, false) => matches.last().copied(),
        (Some(at), true) => matches
            .iter()
            .find(|&&m| m > at)
            .or_else(|| matches.first())
            .copied(),
        (Some(at), false) => matches
            .iter()
            .rev()
            .find(|&&m| m < at)
            .or_else(|| matches.last())
            .copied(),
    }
}

/// True when `haystack` contains `needle`, ignoring ASCII case.
fn contains_folded(haystack: &str, needle: &str) -> bool {
    let (hay, needle) = (haystack.as_bytes(), needle.as_bytes());
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixture::{self, CallOptions};
    use crate::domain::fixture_rows::packet_rows;
    use crate::domain::ladder::{layout, AliasTable, LadderFilter, LadderOptions};

    fn answered_call() -> (Vec<LadderMessage>, LadderView) {
        let packets = fixture::call(3, 1_700_000_000_000_000, &CallOptions::default());
        let messages = LadderMessage::from_rows(&packet_rows(&packets));
        let options = LadderOptions {
            filter: LadderFilter {
                show_rtcp: false,
                show_logs: false,
                ..LadderFilter::default()
            },
            ..LadderOptions::default()
        };
        let view = layout(&messages, &AliasTable::default(), &options);
        (messages, view)
    }

    fn labels(view: &LadderView, positions: &[usize]) -> Vec<String> {
        positions
            .iter()
            .filter_map(|&p| view.rows.get(p).map(|r| r.label.clone()))
            .collect()
    }

    #[test]
    fn search_finds_methods_and_statuses_ignoring_case() {
        let (messages, view) = answered_call();
        let byes = search_rows(&view, &messages, "bye");
        assert!(!byes.is_empty());
        assert!(labels(&view, &byes).iter().any(|l| l == "BYE"));
        let ok = search_rows(&view, &messages, "200 ok");
        assert!(labels(&view, &ok).iter().any(|l| l.starts_with("200")));
    }

    #[test]
    fn search_finds_header_text_and_sdp_body() {
        let (messages, view) = answered_call();
        let with_sdp: Vec<usize> = (0..view.rows.len())
            .filter(|&p| view.rows.get(p).is_some_and(|r| r.has_sdp))
            .collect();
        let found = search_rows(&view, &messages, "m=audio");
        assert_eq!(found, with_sdp);
        let cseq = search_rows(&view, &messages, "cseq:");
        assert_eq!(
            cseq.len(),
            view.rows.len(),
            "every SIP message has a CSeq header"
        );
    }

    #[test]
    fn search_finds_the_call_id() {
        let (messages, view) = answered_call();
        let call_id = view.rows.first().map(|r| r.call_id.clone()).unwrap();
        assert_eq!(
            search_rows(&view, &messages, &call_id.to_uppercase()).len(),
            view.rows.len()
        );
    }

    #[test]
    fn search_with_blank_or_absent_text_matches_nothing() {
        let (messages, view) = answered_call();
        assert!(search_rows(&view, &messages, "  ").is_empty());
        assert!(search_rows(&view, &messages, "no-such-text-anywhere").is_empty());
    }

    #[test]
    fn step_match_moves_and_wraps() {
        let matches = [2, 5, 9];
        let cases = [
            (None, true, Some(2)),
            (None, false, Some(9)),
            (Some(2), true, Some(5)),
            (Some(3), true, Some(5)),
            (Some(9), true, Some(2)),
            (Some(5), false, Some(2)),
            (Some(2), false, Some(9)),
            (Some(0), false, Some(9)),
        ];
        for (current, forward, expected) in cases {
            assert_eq!(
                step_match(&matches, current, forward),
                expected,
                "{current:?} {forward}"
            );
        }
        assert_eq!(step_match(&[], Some(1), true), None);
    }
}
