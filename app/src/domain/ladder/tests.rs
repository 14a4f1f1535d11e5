//! Ladder layout tests on fixture calls turned into HOMER rows.

// A failed index in a test is a failed test; the input-path rule does not apply here.
#![allow(clippy::indexing_slicing)]

use jiff::tz::TimeZone;

use super::*;
use crate::domain::fixture::{self, Outcome, Packet, PacketKind};
use crate::domain::fixture_rows::packet_rows;
use crate::domain::homer::{Alias, AliasList};
use crate::domain::sip::Method;

const START_US: i64 = 1_700_000_000_000_000;

fn messages(packets: &[Packet]) -> Vec<LadderMessage> {
    LadderMessage::from_rows(&packet_rows(packets))
}

fn view(packets: &[Packet], options: &LadderOptions) -> LadderView {
    layout(&messages(packets), &AliasTable::default(), options)
}

fn sip_only() -> LadderOptions {
    LadderOptions {
        filter: LadderFilter {
            show_rtcp: false,
            show_logs: false,
            ..LadderFilter::default()
        },
        ..LadderOptions::default()
    }
}

fn lane_keys(view: &LadderView) -> Vec<&str> {
    view.lanes.iter().map(|l| l.key.as_str()).collect()
}

fn labels(view: &LadderView) -> Vec<&str> {
    view.rows.iter().map(|r| r.label.as_str()).collect()
}

/// Checks that `xml` is one balanced element tree with valid entity references.
fn assert_well_formed(xml: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        check_entities(&rest[..open]);
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>").expect("unclosed <?") + 2..];
            continue;
        }
        let end = tag_end(rest);
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
            continue;
        }
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap();
        assert!(!name.is_empty(), "empty tag name");
        check_entities(tag);
        if stack.is_empty() {
            roots += 1;
        }
        if !tag.ends_with('/') {
            stack.push(name);
        }
    }
    check_entities(rest);
    assert!(stack.is_empty(), "unclosed elements {stack:?}");
    assert_eq!(roots, 1, "one root element");
}

/// The index of the `>` closing the tag that starts `text`, skipping quoted attribute values.
fn tag_end(text: &str) -> usize {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '<') if i > 0 => panic!("'<' inside a tag"),
            (None, '>') => return i,
            _ => {}
        }
    }
    panic!("unclosed tag");
}

fn check_entities(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity),
            "bad entity {entity:?}"
        );
    }
}

#[test]
fn three_leg_call_lanes_follow_first_appearance_by_ip() {
    let packets = fixture::three_leg_call(7, START_US);
    let view = view(&packets, &sip_only());
    let invite = packets.iter().find(|p| p.kind == PacketKind::Sip).unwrap();
    let carrier = invite.src.ip().to_string();
    let phone = packets
        .iter()
        .filter(|p| p.kind == PacketKind::Sip)
        .find(|p| p.dst.ip().to_string().starts_with("10.0.1."))
        .unwrap()
        .dst
        .ip()
        .to_string();
    assert_eq!(
        lane_keys(&view),
        vec![carrier.as_str(), "203.0.113.5", "10.0.0.20", phone.as_str()]
    );
    assert!(view.lanes.iter().all(|l| l.sublabel.is_empty()));
    assert_eq!(view.legend.len(), 3);
    let first = &view.rows[0];
    assert_eq!(
        (first.label.as_str(), first.from_lane, first.to_lane),
        ("INVITE", 0, 1)
    );
    assert!(first.has_sdp);
    assert_eq!(first.colour, 0);
    // The SBC forwards the INVITE to the PBX, which forwards it to the phone, each as a new leg.
    let invites: Vec<(usize, usize, usize)> = view
        .rows
        .iter()
        .filter(|r| r.method == Some(Method::Invite))
        .map(|r| (r.from_lane, r.to_lane, r.colour))
        .collect();
    assert_eq!(invites, vec![(0, 1, 0), (1, 2, 1), (2, 3, 2)]);
    let oks = view.rows.iter().filter(|r| r.label == "200 OK").count();
    assert_eq!(oks, 6, "200 to INVITE and to BYE on three legs");
    assert!(view.rows.windows(2).all(|w| w[0].time_us <= w[1].time_us));
    let transaction = first.transaction.clone().unwrap();
    assert!(transaction.branch.starts_with("z9hG4bK"));
    let same: Vec<&str> = view
        .rows
        .iter()
        .filter(|r| r.transaction.as_ref() == Some(&transaction))
        .map(|r| r.label.as_str())
        .collect();
    assert_eq!(same, vec!["INVITE", "100 Trying", "180 Ringing", "200 OK"]);
    assert_eq!(view.hidden.total(), packets.len() - view.rows.len());
}

#[test]
fn host_port_mode_splits_sbc_ports() {
    let packets = fixture::three_leg_call(7, START_US);
    let options = LadderOptions {
        lane_mode: LaneMode::HostPort,
        ..sip_only()
    };
    let view = view(&packets, &options);
    let keys = lane_keys(&view);
    assert_eq!(keys.len(), 5);
    assert_eq!(
        keys[1..4],
        ["203.0.113.5:5060", "203.0.113.5:5080", "10.0.0.20:5060"]
    );
}

#[test]
fn alias_mode_merges_hosts_of_one_alias() {
    let packets = fixture::three_leg_call(7, START_US);
    let aliases = AliasTable::from_list(&AliasList {
        data: vec![
            Alias {
                alias: "SBC <edge> & co".into(),
                ip: "203.0.113.5".into(),
                mask: Some(32),
                status: true,
                ..Alias::default()
            },
            Alias {
                alias: "acme-core".into(),
                ip: "10.0.0.0".into(),
                mask: Some(16),
                status: true,
                ..Alias::default()
            },
        ],
    });
    let options = LadderOptions {
        lane_mode: LaneMode::Alias,
        ..sip_only()
    };
    let view = layout(&messages(&packets), &aliases, &options);
    let labels: Vec<&str> = view.lanes.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(labels[1..], ["SBC <edge> & co", "acme-core"]);
    assert_eq!(view.lanes[2].key, "alias:acme-core");
    assert!(view.lanes[2].sublabel.starts_with("10.0.0.20, 10.0.1."));
    // PBX → phone now stays inside one lane.
    let leg3_invite = view
        .rows
        .iter()
        .find(|r| r.method == Some(Method::Invite) && r.colour == 2)
        .unwrap();
    assert!(leg3_invite.is_self_message());
    // IP mode names the lane by alias but keeps one lane per IP.
    let by_ip = layout(&messages(&packets), &aliases, &sip_only());
    assert_eq!(by_ip.lanes.len(), 4);
    assert_eq!(by_ip.lanes[2].label, "acme-core");
    assert_eq!(by_ip.lanes[2].sublabel, "10.0.0.20");

    let svg = to_svg(&view, &SvgOptions::default());
    assert_well_formed(&svg);
    assert!(svg.contains("SBC &lt;edge&gt; &amp; co"));
}

#[test]
fn time_modes_read_absolute_delta_and_relative() {
    let packets = fixture::single_call(3, START_US, Outcome::Answered);
    let view = view(&packets, &LadderOptions::default());
    let utc = TimeZone::UTC;
    let first = &view.rows[0];
    assert_eq!(first.delta_us, 0);
    assert_eq!(first.relative_us, 0);
    assert_eq!(first.time_text(TimeMode::Absolute, &utc), "22:13:20.000000");
    assert_eq!(first.time_text(TimeMode::Relative, &utc), "+0.000 ms");
    for pair in view.rows.windows(2) {
        assert_eq!(pair[1].delta_us, pair[1].time_us - pair[0].time_us);
        assert_eq!(pair[1].relative_us, pair[1].time_us - first.time_us);
    }
    let second = &view.rows[1];
    assert_eq!(
        second.time_text(TimeMode::Delta, &utc),
        format_offset(second.time_us - first.time_us)
    );
}

#[test]
fn filters_hide_and_count_each_kind() {
    let mut packets = fixture::call(
        5,
        START_US,
        &fixture::CallOptions {
            rtcp: Some(fixture::RtcpOptions::default()),
            ..fixture::CallOptions::default()
        },
    );
    let call_id = packets[0].call_id.clone();
    packets.extend(fixture::options_keepalive(9, START_US, 3));
    packets.push(fixture::log_packet(
        START_US + 1_000,
        &call_id,
        "a log line",
    ));
    packets.sort_by_key(|p| p.ts_us);
    let count = |kind: PacketKind| packets.iter().filter(|p| p.kind == kind).count();
    let all = messages(&packets);
    let is_options = |m: &LadderMessage| m.cseq.ends_with("OPTIONS");
    let options_total = all.iter().filter(|m| is_options(m)).count();
    let provisional = all
        .iter()
        .filter(|m| m.method.starts_with('1') && m.method.len() == 3)
        .count();
    assert!(options_total >= 6 && provisional >= 2);

    let run = |filter: LadderFilter| {
        layout(
            &all,
            &AliasTable::default(),
            &LadderOptions {
                filter,
                ..LadderOptions::default()
            },
        )
    };
    let base = LadderFilter::default();
    assert_eq!(run(base.clone()).rows.len(), packets.len());

    let cases: Vec<(LadderFilter, HiddenCounts)> = vec![
        (
            LadderFilter {
                hide_options: true,
                ..base.clone()
            },
            HiddenCounts {
                options: options_total,
                ..HiddenCounts::default()
            },
        ),
        (
            LadderFilter {
                hide_provisional: true,
                ..base.clone()
            },
            HiddenCounts {
                provisional,
                ..HiddenCounts::default()
            },
        ),
        (
            LadderFilter {
                show_rtcp: false,
                show_logs: false,
                ..base.clone()
            },
            HiddenCounts {
                rtcp: count(PacketKind::Rtcp),
                logs: 1,
                ..HiddenCounts::default()
            },
        ),
    ];
    for (filter, want) in cases {
        let view = run(filter.clone());
        assert_eq!(view.hidden, want, "{filter:?}");
        assert_eq!(view.rows.len() + want.total(), packets.len());
    }

    let by_method = run(LadderFilter {
        methods: vec![Method::Bye],
        show_rtcp: false,
        show_logs: false,
        ..base.clone()
    });
    assert_eq!(labels(&by_method), vec!["BYE", "200 OK"]);

    let by_call = run(LadderFilter {
        hidden_call_ids: vec![call_id.clone()],
        ..base
    });
    assert_eq!(
        by_call.hidden.call_id,
        all.iter().filter(|m| m.call_id == call_id).count()
    );
    assert!(by_call.rows.iter().all(|r| r.call_id != call_id));
    let entry = by_call
        .legend
        .iter()
        .find(|e| e.call_id == call_id)
        .unwrap();
    assert_eq!(
        (entry.colour, entry.rows),
        (0, 0),
        "colour kept while hidden"
    );
}

#[test]
fn retransmissions_collapse_into_first_transmission() {
    let mut packets = fixture::single_call(11, START_US, Outcome::Answered);
    let invite = packets[0].clone();
    let ok = packets
        .iter()
        .find(|p| p.payload.starts_with(b"SIP/2.0 200"))
        .unwrap()
        .clone();
    let original = packets.len();
    for (packet, delays) in [(&invite, [500_000, 1_500_000]), (&ok, [500_000, 1_500_000])] {
        for delay in delays {
            let mut copy = packet.clone();
            copy.ts_us += delay;
            packets.push(copy);
        }
    }
    packets.sort_by_key(|p| p.ts_us);
    let collapse = LadderOptions {
        filter: LadderFilter {
            collapse_retransmissions: true,
            ..LadderFilter::default()
        },
        ..LadderOptions::default()
    };
    let view = view(&packets, &collapse);
    assert_eq!(view.rows.len(), original);
    assert_eq!(view.hidden.retransmissions, 4);
    assert_eq!(view.rows[0].retransmissions, 2);
    let ok_row = view.rows.iter().find(|r| r.label == "200 OK").unwrap();
    assert_eq!(ok_row.retransmissions, 2);
    let plain = self::view(&packets, &LadderOptions::default());
    assert_eq!(plain.rows.len(), original + 4);

    // The same request much later (after Timer B) is a new row again.
    let mut late = invite.clone();
    late.ts_us += 40_000_000;
    packets.push(late);
    packets.sort_by_key(|p| p.ts_us);
    assert_eq!(self::view(&packets, &collapse).rows.len(), original + 1);
}

#[test]
fn duplicates_from_second_capture_point_collapse() {
    let packets = fixture::single_call(12, START_US, Outcome::Busy);
    let mut doubled = packets.clone();
    for packet in &packets {
        let mut copy = packet.clone();
        copy.capture_id = 3001;
        copy.node = "tap-2".into();
        copy.ts_us += 300;
        doubled.push(copy);
    }
    doubled.sort_by_key(|p| p.ts_us);
    let collapse = LadderOptions {
        filter: LadderFilter {
            collapse_duplicates: true,
            ..LadderFilter::default()
        },
        ..LadderOptions::default()
    };
    let view = view(&doubled, &collapse);
    assert_eq!(view.rows.len(), packets.len());
    assert_eq!(view.hidden.duplicates, packets.len());
    assert!(view.rows.iter().all(|r| r.duplicates == 1));

    // Copies outside the window are not duplicates; without retransmission collapse they stay.
    let mut late = packets.clone();
    for packet in &packets {
        let mut copy = packet.clone();
        copy.capture_id = 3001;
        copy.ts_us += 400_000;
        late.push(copy);
    }
    late.sort_by_key(|p| p.ts_us);
    assert_eq!(self::view(&late, &collapse).rows.len(), packets.len() * 2);
}

#[test]
fn svg_is_well_formed_with_host_header_and_arrows() {
    let mut packets = fixture::ipv6_call(4, START_US);
    packets.push(fixture::log_packet(
        START_US + 5,
        "x",
        "quote \" <b> & 'done'\u{1}",
    ));
    let mut self_msg = packets[0].clone();
    self_msg.dst = self_msg.src;
    self_msg.ts_us += 1;
    packets.push(self_msg);
    packets.sort_by_key(|p| p.ts_us);
    let view = view(
        &packets,
        &LadderOptions {
            lane_mode: LaneMode::HostPort,
            ..LadderOptions::default()
        },
    );
    let svg = to_svg(&view, &SvgOptions::default());
    assert_well_formed(&svg);
    assert!(svg.starts_with("<?xml"));
    assert!(svg.contains("<g class=\"hosts\">"));
    assert!(svg.contains("<title>[2001:db8:100::10]:5060</title>"));
    assert!(
        svg.contains(">[2001:db8:100::10]:5060<"),
        "short enough to stay whole"
    );
    assert!(svg.contains("marker-end=\"url(#ah0)\""));
    assert!(svg.contains(">INVITE (SDP)<"));
    assert!(svg.contains("stroke-dasharray"), "log rows are dotted");
    assert_eq!(svg.matches("<g class=\"row\">").count(), view.rows.len());
    let narrow = to_svg(
        &view,
        &SvgOptions {
            max_host_chars: 10,
            ..SvgOptions::default()
        },
    );
    assert_well_formed(&narrow);
    assert!(narrow.contains(">[2001…5060<"));
    assert_well_formed(&to_svg(&LadderView::default(), &SvgOptions::default()));
}

#[test]
fn text_export_draws_lanes_and_arrows() {
    let packets = fixture::single_call(3, START_US, Outcome::Busy);
    let view = view(&packets, &LadderOptions::default());
    let text = to_text(&view, &TextOptions::default());
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("198.51.100.") && lines[0].contains("203.0.113.5"));
    assert_eq!(lines.len(), 1 + 2 * view.rows.len());
    assert!(lines[1].contains("INVITE (SDP)"));
    assert!(lines[2].starts_with("22:13:20.000000"));
    assert!(lines[2].contains("|-----") && lines[2].trim_end().ends_with(">|"));
    let reply = lines
        .iter()
        .position(|l| l.contains("486 Busy Here"))
        .unwrap();
    assert!(lines[reply + 1].contains("|<---"));
}

#[test]
fn layout_handles_fifty_thousand_messages() {
    let packets = fixture::long_call(21, START_US, 50_000);
    assert!(packets.len() >= 49_999);
    let all = messages(&packets);
    let view = layout(
        &all,
        &AliasTable::default(),
        &LadderOptions {
            filter: LadderFilter::recommended(),
            ..LadderOptions::default()
        },
    );
    assert_eq!(view.rows.len() + view.hidden.total(), all.len());
    assert_eq!(view.lanes.len(), 2);
    assert_eq!(view.legend.len(), 1);
    assert!(view.rows.len() > 40_000);
}

#[test]
fn rows_without_time_or_raw_still_lay_out() {
    let rows = vec![
        crate::domain::homer::HomerRow {
            sid: "c1".into(),
            micro_ts: Some(START_US + 10),
            method: "INVITE".into(),
            cseq: "1 INVITE".into(),
            src_ip: "192.0.2.1".into(),
            dst_ip: "192.0.2.2".into(),
            ..Default::default()
        },
        crate::domain::homer::HomerRow {
            sid: "c1".into(),
            ..Default::default()
        },
        crate::domain::homer::HomerRow {
            sid: "c1".into(),
            micro_ts: Some(START_US),
            method: "180".into(),
            cseq: "1 INVITE".into(),
            src_ip: "192.0.2.2".into(),
            dst_ip: "192.0.2.1".into(),
            ..Default::default()
        },
    ];
    let all = LadderMessage::from_rows(&rows);
    assert_eq!(all.len(), 2);
    let view = layout(&all, &AliasTable::default(), &LadderOptions::default());
    assert_eq!(labels(&view), vec!["180 Ringing", "INVITE"]);
    assert_eq!(lane_keys(&view), vec!["192.0.2.2", "192.0.2.1"]);
    assert_eq!(view.rows[0].message, 1);
}
