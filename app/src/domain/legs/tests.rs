//! Leg correlation tests (issue 9): the demo three-leg call from any leg, decoys, pairwise chains,

// A failed index in a test is a failed test; the input-path rule does not apply here.
#![allow(clippy::indexing_slicing)]
//! HOMER's own links, suggestions, URL state and the fan-out searches.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::*;
use crate::domain::calls::{CallStatus, HostPort};
use crate::domain::fixture::{self, Outcome};
use crate::domain::fixture_rows::packet_rows;
use crate::domain::query::{compile, ResultView};

const START_US: i64 = 1_700_000_000_000_000;
const ACME: &str = "X-Acme-Call-ID";

fn demo_legs(seed: u64) -> Vec<LegCandidate> {
    LegCandidate::from_rows(&packet_rows(&fixture::three_leg_call(seed, START_US)))
}

fn acme_options() -> AnalyzeOptions {
    AnalyzeOptions {
        correlate: vec![ACME.into(), "X-CID".into()],
        header_prefixes: vec!["X-Acme-".into()],
        ..AnalyzeOptions::default()
    }
}

fn ids(rows: &[LegRow]) -> Vec<&str> {
    rows.iter().map(|r| r.call_id.as_str()).collect()
}

fn set_header(leg: &mut LegCandidate, name: &str, value: &str) {
    leg.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    leg.headers.push((name.into(), value.into()));
}

/// A bare leg between two IPs with one header, for hand-built graphs.
fn leg(call_id: &str, start_s: i64, end_s: i64, headers: &[(&str, &str)]) -> LegCandidate {
    LegCandidate {
        call_id: call_id.into(),
        start_us: START_US + start_s * 1_000_000,
        end_us: START_US + end_s * 1_000_000,
        from: String::new(),
        to: String::new(),
        src: None,
        dst: None,
        status: CallStatus::Answered,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        links: Vec::new(),
    }
}

#[test]
fn demo_call_is_found_whole_from_any_leg() {
    let legs = demo_legs(7);
    assert_eq!(legs.len(), 3);
    let all: Vec<&str> = legs.iter().map(|l| l.call_id.as_str()).collect();
    for seed in &all {
        let analysis = correlate(seed, &legs, &acme_options()).unwrap();
        assert_eq!(ids(&analysis.legs), all, "from {seed}");
        assert!(analysis.suggested.is_empty());
        let seed_row = analysis.legs.iter().find(|l| l.call_id == *seed).unwrap();
        assert_eq!(seed_row.included_because, Reason::Seed);
        assert_eq!(analysis.header_columns, vec![ACME]);
        assert!(analysis.legs.iter().all(|l| l.headers.len() == 1));
    }
    let from_last = correlate(all[2], &legs, &acme_options()).unwrap();
    assert!(matches!(
        &from_last.legs[1].included_because,
        Reason::Header { name, via, .. } if name == ACME && via == all[2]
    ));
}

#[test]
fn decoys_with_other_value_or_outside_time_are_excluded() {
    let mut legs = demo_legs(7);
    let leg1 = legs[0].clone();
    let acme = leg1.header_values(ACME).next().unwrap().to_owned();
    // Same numbers and hosts, at the same time, but another call's correlation value.
    let mut other_value = leg1.clone();
    other_value.call_id = "decoy-value@198.51.100.10".into();
    set_header(
        &mut other_value,
        ACME,
        "00000000-0000-0000-0000-000000000000",
    );
    // The same value, an hour earlier (a reused or colliding id).
    let mut earlier = leg1.clone();
    earlier.call_id = "decoy-earlier@198.51.100.10".into();
    earlier.start_us -= 3_600_000_000;
    earlier.end_us = earlier.start_us + 30_000_000;
    set_header(&mut earlier, ACME, &acme);
    // An unrelated call through the same SBC at the same time.
    let unrelated = LegCandidate::from_rows(&packet_rows(&fixture::single_call(
        99,
        START_US,
        Outcome::Answered,
    )));
    legs.extend([other_value, earlier]);
    legs.extend(unrelated.clone());

    let analysis = correlate(&leg1.call_id, &legs, &acme_options()).unwrap();
    let found = ids(&analysis.legs);
    assert_eq!(found.len(), 3);
    assert!(!found.iter().any(|id| id.starts_with("decoy")));
    assert!(!found.contains(&unrelated[0].call_id.as_str()));
    // The same-number decoy on the same hosts is offered, never merged; the old one is not.
    assert_eq!(ids(&analysis.suggested), vec!["decoy-value@198.51.100.10"]);
    let Reason::Suggested { party, .. } = &analysis.suggested[0].included_because else {
        panic!("suggestion reason");
    };
    assert_eq!(*party, Party::Caller);
}

#[test]
fn chain_linked_only_pairwise_is_found_whole() {
    let legs = vec![
        leg("a", 0, 60, &[("X-Corr", "x")]),
        leg("b", 1, 61, &[("X-Corr", "x"), ("X-Other", "y")]),
        leg("c", 2, 62, &[("x-other", "y")]),
        leg("d", 3, 63, &[("X-Other", "z")]),
    ];
    let options = AnalyzeOptions {
        correlate: vec!["X-Corr".into(), "X-Other".into()],
        ..AnalyzeOptions::default()
    };
    for seed in ["a", "b", "c"] {
        let analysis = correlate(seed, &legs, &options).unwrap();
        assert_eq!(ids(&analysis.legs), vec!["a", "b", "c"], "from {seed}");
    }
    let from_c = correlate("c", &legs, &options).unwrap();
    assert_eq!(
        from_c.legs[0].included_because,
        Reason::Header {
            name: "X-Corr".into(),
            value: "x".into(),
            via: "b".into()
        }
    );
}

#[test]
fn shared_value_needs_time_overlap_but_chains_through_overlaps() {
    // a and c do not overlap each other, but both overlap b: one call, transferred.
    let legs = vec![
        leg("a", 0, 10, &[("X-Corr", "v")]),
        leg("b", 5, 30, &[("X-Corr", "v")]),
        leg("c", 20, 40, &[("X-Corr", "v")]),
        leg("late", 100, 120, &[("X-Corr", "v")]),
    ];
    let options = AnalyzeOptions {
        correlate: vec!["X-Corr".into()],
        ..AnalyzeOptions::default()
    };
    let analysis = correlate("a", &legs, &options).unwrap();
    assert_eq!(ids(&analysis.legs), vec!["a", "b", "c"]);
    assert_eq!(
        ids(&correlate("late", &legs, &options).unwrap().legs),
        vec!["late"]
    );
}

#[test]
fn homer_links_follow_b2b_suffix_and_x_cid() {
    let mut b_leg = leg("abc@host_b2b-1", 0, 60, &[]);
    b_leg.links = vec!["other@x".into()];
    let legs = vec![
        leg("abc@host", 0, 60, &[]),
        b_leg,
        leg("abc@host_b2b-2", 1, 61, &[]),
        leg("other@x", 0, 60, &[]),
        leg("third", 0, 60, &[("X-CID", "abc@host_b2b-7")]),
        leg("abc@host_b2b-x", 0, 60, &[]),
    ];
    let analysis = correlate("abc@host", &legs, &AnalyzeOptions::default()).unwrap();
    let mut found = ids(&analysis.legs);
    found.sort_unstable();
    assert_eq!(
        found,
        vec![
            "abc@host",
            "abc@host_b2b-1",
            "abc@host_b2b-2",
            "other@x",
            "third"
        ]
    );
    let other = analysis
        .legs
        .iter()
        .find(|l| l.call_id == "other@x")
        .unwrap();
    assert_eq!(
        other.included_because,
        Reason::CallIdLink {
            source: "correlation_id".into(),
            via: "abc@host_b2b-1".into()
        }
    );
    assert_eq!(strip_b2b_suffix("abc_b2b-12"), "abc");
    assert_eq!(strip_b2b_suffix("abc_b2b-"), "abc_b2b-");
    assert_eq!(strip_b2b_suffix("_b2b-1"), "_b2b-1");
}

#[test]
fn demo_call_links_by_x_cid_alone_and_suggests_the_third_leg() {
    let legs = demo_legs(8);
    let analysis = correlate(&legs[1].call_id, &legs, &AnalyzeOptions::default()).unwrap();
    assert_eq!(
        ids(&analysis.legs),
        vec![legs[0].call_id.as_str(), legs[1].call_id.as_str()]
    );
    assert!(matches!(
        &analysis.legs[0].included_because,
        Reason::CallIdLink { source, .. } if source == "correlation_id"
    ));
    assert_eq!(ids(&analysis.suggested), vec![legs[2].call_id.as_str()]);
    let reason = analysis.suggested[0].included_because.to_string();
    assert!(
        reason.contains("same caller") && reason.contains("10.0.0.20"),
        "{reason}"
    );
}

#[test]
fn limit_caps_legs_and_missing_seed_is_an_error() {
    let legs: Vec<LegCandidate> = (0..20)
        .map(|i| leg(&format!("l{i}"), i, 100, &[("X-Corr", "v")]))
        .collect();
    let options = AnalyzeOptions {
        correlate: vec!["X-Corr".into()],
        limit: 5,
        ..AnalyzeOptions::default()
    };
    assert_eq!(correlate("l0", &legs, &options).unwrap().legs.len(), 5);
    assert_eq!(
        correlate("nope", &legs, &options),
        Err(LegsError::SeedNotFound("nope".into()))
    );
}

#[test]
fn options_round_trip_through_url_pairs() {
    let cases = [
        AnalyzeOptions::default(),
        AnalyzeOptions {
            seed: Seed::CallId("abc@host".into()),
            at: "2026-02-04 17:13".into(),
            ..acme_options()
        },
        AnalyzeOptions {
            seed: Seed::Parties {
                caller: "+4930123".into(),
                callee: String::new(),
            },
            since: "2h".into(),
            correlate: Vec::new(),
            numbers: vec!["030123".into(), "201".into()],
            window_s: 120,
            limit: 4,
            ..AnalyzeOptions::default()
        },
    ];
    for options in cases {
        let pairs = options.to_pairs();
        let back = AnalyzeOptions::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert_eq!(back, options, "{pairs:?}");
    }
    assert!(AnalyzeOptions::default().to_pairs().is_empty());
    for (key, value) in [("limit", "0"), ("limit", "x"), ("window", "-1")] {
        let err = AnalyzeOptions::from_pairs([(key, value)]).unwrap_err();
        assert_eq!(err.key, key);
    }
}

#[test]
fn searches_cover_seed_and_fanout_numbers() {
    assert_eq!(
        AnalyzeOptions::default().seed_search(),
        Err(LegsError::NoSeed)
    );
    let by_id = AnalyzeOptions {
        seed: Seed::CallId(" abc@host ".into()),
        since: "1h".into(),
        ..AnalyzeOptions::default()
    };
    let form = by_id.seed_search().unwrap();
    assert_eq!(
        (form.call_id.as_str(), form.since.as_str()),
        ("abc@host", "1h")
    );

    let legs = demo_legs(7);
    let seed = &legs[0];
    let options = AnalyzeOptions {
        numbers: vec!["0301234567".into(), seed.from.clone(), " ".into()],
        ..AnalyzeOptions::default()
    };
    let searches = options.fanout_searches(seed);
    let numbers: Vec<&str> = searches.iter().map(|s| s.number.as_str()).collect();
    assert_eq!(numbers, vec![seed.from.as_str(), "0301234567"]);
    let now = Timestamp::from_microsecond(START_US + 3_600_000_000).unwrap();
    for search in &searches {
        let compiled = compile(search, ResultView::Calls, now, &TimeZone::UTC).unwrap();
        assert_eq!(compiled.range.from_ms, seed.start_us / 1000 - 60_000);
        assert_eq!(compiled.range.to_ms, seed.end_us / 1000 + 60_000);
        assert!(!compiled.requests.is_empty());
    }
    let request = options.candidate_request(seed, vec![legs[1].call_id.clone()]);
    assert_eq!(request.call_ids(), vec![legs[1].call_id.as_str()]);
}

#[test]
fn candidates_read_invite_headers_hosts_and_links() {
    let legs = demo_legs(7);
    let leg2 = &legs[1];
    assert_eq!(
        leg2.header_values("x-cid").collect::<Vec<_>>(),
        vec![legs[0].call_id.as_str()]
    );
    assert_eq!(leg2.links, vec![legs[0].call_id.clone()]);
    assert_eq!(
        leg2.src,
        Some(HostPort {
            ip: "203.0.113.5".into(),
            port: Some(5080)
        })
    );
    assert_eq!(leg2.status, CallStatus::Answered);
    assert!(leg2.end_us > leg2.start_us);
    assert!(legs[0].overlaps(&legs[2], 0));
}

/// Options with no header correlation, so only the given rules can link legs.
fn rules_only(rules: &[CorrelationRule]) -> AnalyzeOptions {
    AnalyzeOptions {
        correlate: Vec::new(),
        rules: rules.to_vec(),
        ..AnalyzeOptions::default()
    }
}

const PCV: &str = "P-Charging-Vector";
const SID: &str = "Session-ID";
const UUID_A: &str = "ab30317f1a784dc48ff824d0d3715d86";
const UUID_B: &str = "47755a9de7794ba387653f2099600ef2";

#[test]
fn icid_links_legs_and_shows_the_value() {
    let legs = [
        leg(
            "a-leg",
            0,
            60,
            &[(PCV, "icid-value=IcId1; orig-ioi=home1.net")],
        ),
        leg("b-leg", 1, 61, &[(PCV, "term-ioi=x; icid-value=\"IcId1\"")]),
        leg("other", 1, 61, &[(PCV, "icid-value=IcId2")]),
        // ICID missing: never linked.
        leg("no-icid", 1, 61, &[(PCV, "orig-ioi=home1.net")]),
    ];
    let analysis = correlate("a-leg", &legs, &rules_only(&[CorrelationRule::Icid])).unwrap();
    assert_eq!(ids(&analysis.legs), ["a-leg", "b-leg"]);
    assert_eq!(
        analysis.legs[1].included_because,
        Reason::Key {
            rule: CorrelationRule::Icid,
            value: "IcId1".into(),
            via: "a-leg".into()
        }
    );
    let shown = MatchedKey {
        rule: CorrelationRule::Icid,
        value: "IcId1".into(),
    };
    assert!(analysis
        .legs
        .iter()
        .all(|l| l.matched_keys == [shown.clone()]));
    // The rule switched off: the same legs stay apart.
    let off = correlate("a-leg", &legs, &rules_only(&[])).unwrap();
    assert_eq!(ids(&off.legs), ["a-leg"]);
    let lonely = correlate("no-icid", &legs, &rules_only(&[CorrelationRule::Icid])).unwrap();
    assert_eq!(ids(&lonely.legs), ["no-icid"]);
    assert!(lonely.legs[0].matched_keys.is_empty());
}

#[test]
fn session_id_links_on_either_uuid_but_not_the_null_one() {
    let null = NULL_SESSION_UUID;
    let legs = [
        // The UAC before it knows the far end: remote is the null UUID.
        leg("uac", 0, 60, &[(SID, &format!("{UUID_A};remote={null}"))]),
        // The UAS: its own UUID first, the UAC's as remote (upper case on the wire).
        leg(
            "uas",
            1,
            61,
            &[(SID, &format!("{UUID_B};remote={}", UUID_A.to_uppercase()))],
        ),
        // Shares only UUID_B (as local of the other side) with "uas".
        leg("far", 2, 62, &[(SID, &format!("{null};remote={UUID_B}"))]),
        // Only the null UUID: matches nothing although "uac" carries it too.
        leg("nulls", 1, 61, &[(SID, &format!("{null};remote={null}"))]),
    ];
    let options = rules_only(&[CorrelationRule::SessionId]);
    let analysis = correlate("uac", &legs, &options).unwrap();
    assert_eq!(ids(&analysis.legs), ["uac", "uas", "far"]);
    let keys = |i: usize| -> Vec<&str> {
        analysis.legs[i]
            .matched_keys
            .iter()
            .map(|k| k.value.as_str())
            .collect()
    };
    assert_eq!(keys(0), [UUID_A]);
    assert_eq!(keys(1), [UUID_B, UUID_A]);
    assert_eq!(keys(2), [UUID_B]);
    let alone = correlate("nulls", &legs, &options).unwrap();
    assert_eq!(ids(&alone.legs), ["nulls"]);
}

#[test]
fn b2b_suffix_is_a_rule_and_only_a_trailing_suffix_counts() {
    let legs = [
        leg("abc", 0, 60, &[]),
        leg("abc_b2b-1", 1, 61, &[]),
        // `_b2b` in the middle, or not followed by digits only: another call.
        leg("abc_b2b-1_x", 1, 61, &[]),
        leg("abc_b2b-1x", 1, 61, &[]),
    ];
    let on = correlate("abc", &legs, &rules_only(&[CorrelationRule::B2bSuffix])).unwrap();
    assert_eq!(ids(&on.legs), ["abc", "abc_b2b-1"]);
    let base = MatchedKey {
        rule: CorrelationRule::B2bSuffix,
        value: "abc".into(),
    };
    assert!(on.legs.iter().all(|l| l.matched_keys == [base.clone()]));
    let off = correlate("abc", &legs, &rules_only(&[])).unwrap();
    assert_eq!(ids(&off.legs), ["abc"]);
}

#[test]
fn rules_round_trip_through_the_url_and_unknown_rules_are_errors() {
    let options = rules_only(&[CorrelationRule::SessionId, CorrelationRule::Icid]);
    let pairs = options.to_pairs();
    assert!(pairs.contains(&("rule", "session_id".into())));
    let back = AnalyzeOptions::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    assert_eq!(back.rules, options.rules);
    // All rules off survives the round trip as one blank value.
    let none = rules_only(&[]);
    let pairs = none.to_pairs();
    let back = AnalyzeOptions::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    assert!(back.rules.is_empty());
    // The default selection (all rules) is left out of the URL.
    assert!(!AnalyzeOptions::default()
        .to_pairs()
        .iter()
        .any(|(k, _)| *k == "rule"));
    let error = AnalyzeOptions::from_pairs([("rule", "x-cid")]).unwrap_err();
    assert_eq!(error.key, "rule");
}
