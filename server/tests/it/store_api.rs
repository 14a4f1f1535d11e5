//! The HOMER 7 API answered from the embedded store, against generated calls: search with filters,
//! smartinput, order and limit; one message; transactions with correlated legs, RTCP and logs; QoS
//! and log reports; PCAP and text export; alias, mapping and node list.

use crate::common;

use crate::common::store::{call_ids, now_us, open_store, post_json, send, store_all};
use app::domain::fixture::{
    self, call, single_call, three_leg_call, CallOptions, Outcome, Packet, PacketKind, RtcpOptions,
    SipBuilder,
};
use app::domain::sip::{scan, Method};
use axum::http::StatusCode;
use axum::Router;
use serde_json::{json, Value};
use server::config::AliasConfig;
use server::store::{api, Store};

struct Fixture {
    store: Store,
    app: Router,
    answered: Vec<Packet>,
    busy: Vec<Packet>,
    cancelled: Vec<Packet>,
    three_leg: Vec<Packet>,
    from_ms: i64,
    to_ms: i64,
}

fn fixture(name: &str) -> Fixture {
    fixture_with(name, |_| {})
}

fn fixture_with(name: &str, tweak: impl FnOnce(&mut server::config::StoreConfig)) -> Fixture {
    let start = now_us() - 3_600_000_000;
    let answered = call(
        11,
        start,
        &CallOptions {
            rtcp: Some(RtcpOptions::default()),
            ..CallOptions::default()
        },
    );
    let busy = single_call(12, start + 120_000_000, Outcome::Busy);
    let cancelled = single_call(13, start + 240_000_000, Outcome::Cancelled);
    let three_leg = three_leg_call(14, start + 360_000_000);
    let aliases = vec![AliasConfig {
        ip: answered[0].src.ip(),
        prefix: 32,
        port: 0,
        name: "CARRIER-A".into(),
    }];
    let (store, _) = open_store(name, aliases, |c| {
        c.correlation_headers.push("X-Acme-Call-ID".into());
        tweak(c);
    });
    for packets in [&answered, &busy, &cancelled, &three_leg] {
        assert!(store_all(&store, packets) > 0);
    }
    let app = api::router(store.clone());
    Fixture {
        store,
        app,
        answered,
        busy,
        cancelled,
        three_leg,
        from_ms: start / 1000 - 60_000,
        to_ms: now_us() / 1000,
    }
}

impl Fixture {
    fn search(&self, filters: Value) -> Value {
        json!({
            "timestamp": {"from": self.from_ms, "to": self.to_ms},
            "param": {"search": {"1_call": filters}, "location": {"node": ["localnode"]},
                      "orlogic": false, "limit": 200, "transaction": {}}
        })
    }

    fn transaction(&self, call_ids: &[String]) -> Value {
        json!({
            "timestamp": {"from": self.from_ms, "to": self.to_ms},
            "param": {"search": {"1_call": {"id": 1, "callid": call_ids}},
                      "location": {"node": ["localnode"]},
                      "transaction": {"call": true, "registration": false, "rest": false}}
        })
    }
}

fn rows(answer: &Value) -> &Vec<Value> {
    answer["data"].as_array().expect("data is an array")
}

fn from_user_of(packets: &[Packet]) -> String {
    let invite = packets
        .iter()
        .find(|p| p.kind == PacketKind::Sip && p.payload.starts_with(b"INVITE"))
        .unwrap();
    scan(&invite.payload)
        .unwrap()
        .from_user()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn search_by_from_user_returns_that_calls_messages_oldest_first() {
    let f = fixture("search-from");
    let user = from_user_of(&f.answered);
    let (status, answer) = post_json(
        &f.app,
        "/search/call/data",
        f.search(
            json!([{"name": "data_header.from_user", "value": user, "type": "string", "hepid": 1},
                        {"name": "limit", "value": "200", "type": "string", "hepid": 1}]),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let data = rows(&answer);
    // The callee's BYE and its 200 carry the callee in From, so they do not match.
    let expected = f
        .answered
        .iter()
        .filter(|p| p.kind == PacketKind::Sip)
        .filter(|p| scan(&p.payload).unwrap().from_user() == Some(user.as_str()))
        .count();
    assert_eq!(data.len(), expected, "{answer}");
    assert_eq!(answer["total"], expected);
    let cid = &call_ids(&f.answered)[0];
    let mut last = 0;
    for row in data {
        assert_eq!(&row["sid"], cid);
        assert_eq!(row["from_user"], user.as_str());
        assert_eq!(row["table"], "hep_proto_1_call");
        assert!(row.get("raw").is_none());
        let ms = row["create_date"].as_i64().unwrap();
        assert!(ms >= last);
        last = ms;
        assert_eq!(
            row["timeSeconds"].as_i64().unwrap() * 1000
                + row["timeUseconds"].as_i64().unwrap() / 1000,
            ms
        );
    }
    let first = &data[0];
    assert_eq!(first["method"], "INVITE");
    assert_eq!(first["aliasSrc"], "CARRIER-A");
    assert_ne!(first["aliasDst"], "CARRIER-A");
    assert!(answer["keys"]
        .as_array()
        .unwrap()
        .contains(&json!("ruri_user")));
}

#[tokio::test]
async fn search_limit_keeps_the_newest_rows_in_a_stable_order() {
    let f = fixture("search-limit");
    let (_, all) = post_json(&f.app, "/search/call/data", f.search(json!([]))).await;
    let (status, three) = post_json(
        &f.app,
        "/search/call/data",
        f.search(json!([{"name": "limit", "value": "3", "type": "string"}])),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let all = rows(&all);
    assert!(all.len() > 3);
    let newest: Vec<&Value> = all.iter().skip(all.len() - 3).map(|r| &r["id"]).collect();
    let got: Vec<&Value> = rows(&three).iter().map(|r| &r["id"]).collect();
    assert_eq!(got, newest);
}

#[tokio::test]
async fn search_filter_value_conventions_and_smartinput_select_rows() {
    let f = fixture("search-variants");
    let count = |answer: &Value| rows(answer).len();
    let methods = |answer: &Value| -> Vec<String> {
        rows(answer)
            .iter()
            .map(|r| r["method"].as_str().unwrap().to_owned())
            .collect()
    };
    let busy_cid = call_ids(&f.busy)[0].clone();

    let (_, invites) = post_json(
        &f.app,
        "/search/call/data",
        f.search(json!([{"name": "data_header.method", "value": "INVITE", "type": "string"}])),
    )
    .await;
    assert!(methods(&invites).iter().all(|m| m == "INVITE"));
    assert!(count(&invites) >= 6, "{invites}");

    let (_, finals) = post_json(
        &f.app,
        "/search/call/data",
        f.search(json!([{"name": "data_header.method", "value": "486;487", "type": "string"}])),
    )
    .await;
    let mut got = methods(&finals);
    got.sort();
    got.dedup();
    assert_eq!(got, vec!["486", "487"]);

    let prefix = format!("{}%", busy_cid.get(..6).unwrap());
    let (_, like) = post_json(
        &f.app,
        "/search/call/data",
        f.search(json!([{"name": "sid", "value": prefix, "type": "string"}])),
    )
    .await;
    assert!(rows(&like).iter().any(|r| r["sid"] == busy_cid.as_str()));

    let (_, not_invite) = post_json(
        &f.app,
        "/search/call/data",
        f.search(json!([{"name": "sid", "value": busy_cid, "type": "string"},
                        {"name": "data_header.method", "value": "!=INVITE", "type": "string"}])),
    )
    .await;
    assert!(count(&not_invite) > 0);
    assert!(methods(&not_invite).iter().all(|m| m != "INVITE"));

    let (_, smart) = post_json(
        &f.app,
        "/search/call/data",
        f.search(json!([{"name": "smartinput",
                         "value": format!("data_header.method = '486' AND sid = '{busy_cid}'"),
                         "type": "string"}])),
    )
    .await;
    assert_eq!(methods(&smart), vec!["486"]);

    let (_, raw) = post_json(
        &f.app,
        "/search/call/data",
        f.search(json!([{"name": "raw", "value": "%busy here%", "type": "string"}])),
    )
    .await;
    assert!(count(&raw) >= 1);
    assert!(methods(&raw).iter().all(|m| m == "486"));

    let (_, port) = post_json(
        &f.app,
        "/search/call/data",
        f.search(json!([{"name": "protocol_header.dstPort", "value": "1", "type": "integer"}])),
    )
    .await;
    assert_eq!(count(&port), 0);
}

#[tokio::test]
async fn search_rejects_bad_requests_with_400_json() {
    let f = fixture("search-bad");
    let good_window = json!({"from": f.from_ms, "to": f.to_ms});
    let cases = [
        f.search(json!([{"name": "data_header.pid_user", "value": "1", "type": "string"}])),
        f.search(json!([{"name": "smartinput", "value": "from_user = '1'", "type": "string"}])),
        f.search(json!([{"name": "protocol_header.srcPort", "value": "x", "type": "integer"}])),
        f.search(json!({"name": "sid"})),
        json!({"param": {"search": {"1_call": []}}}),
        json!({"timestamp": good_window, "param": {"search": {"1_call": [], "1_default": []}}}),
        json!({"timestamp": good_window, "param": {"search": {"9_nothing": []}}}),
    ];
    for body in cases {
        let (status, answer) = post_json(&f.app, "/search/call/data", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
    }
    let (status, headers, bytes) = send(&f.app, "POST", "/search/call/data", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers["content-type"].to_str().unwrap().contains("json"));
    assert!(String::from_utf8_lossy(&bytes).contains("request format is not correct"));
}

#[tokio::test]
async fn a_search_past_its_time_budget_is_stopped_with_a_504_that_says_what_to_do() {
    // A zero budget stops any statement at SQLite's first progress check (every 5,000 steps):
    // a `%` pattern over a few thousand messages is well past that.
    let (store, _) = open_store("search-budget", Vec::new(), |c| {
        c.search_timeout = std::time::Duration::ZERO;
    });
    let start = now_us() - 600_000_000;
    let packets: Vec<Packet> = (0..600)
        .flat_map(|seed| single_call(1000 + seed, start + seed as i64 * 1000, Outcome::Busy))
        .collect();
    assert!(store_all(&store, &packets) > 1500);
    let app = api::router(store);
    let body = json!({
        "timestamp": {"from": start / 1000 - 1000, "to": now_us() / 1000},
        "param": {"search": {"1_call": [
            {"name": "data_header.from_user", "value": "%9", "type": "string"}
        ]}, "location": {"node": ["localnode"]}}
    });
    let (status, answer) = post_json(&app, "/search/call/data", body).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{answer}");
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("without finishing") && message.contains("narrow the time range"),
        "{message}"
    );
}

#[tokio::test]
async fn transaction_reports_and_exports_past_the_row_cap_say_limit_reached() {
    let f = fixture_with("row-cap", |c| c.transaction_max_rows = 3);
    let ids = call_ids(&f.answered);
    let rtcp = f
        .answered
        .iter()
        .filter(|p| p.kind == PacketKind::Rtcp)
        .count();
    assert!(rtcp > 3 && f.answered.len() > 3);
    for path in [
        "/call/transaction",
        "/call/report/qos",
        "/export/call/messages/pcap",
        "/export/call/messages/text",
    ] {
        let (status, headers, bytes) = send(&f.app, "POST", path, Some(&f.transaction(&ids))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(headers["content-type"].to_str().unwrap().contains("json"));
        let answer: Value = serde_json::from_slice(&bytes).unwrap();
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("limit reached") && message.contains("transaction_max_rows"),
            "{path}: {message}"
        );
        assert_eq!(answer["data"], json!({}), "{path}");
    }
    // Under the cap the same request answers as before.
    let f = fixture_with("row-cap-ok", |c| c.transaction_max_rows = 10_000);
    let (status, _) = post_json(&f.app, "/call/transaction", f.transaction(&ids)).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_transaction_past_the_search_time_budget_is_stopped_with_a_504() {
    let (store, _) = open_store("transaction-budget", Vec::new(), |c| {
        c.search_timeout = std::time::Duration::ZERO;
    });
    let start = now_us() - 600_000_000;
    let packets: Vec<Packet> = (0..600)
        .flat_map(|seed| single_call(2000 + seed, start + seed as i64 * 1000, Outcome::Busy))
        .collect();
    assert!(store_all(&store, &packets) > 1500);
    let app = api::router(store);
    let body = json!({
        "timestamp": {"from": start / 1000 - 1000, "to": now_us() / 1000},
        "param": {"search": {"1_call": {"id": 1, "callid": call_ids(&packets)}},
                  "location": {"node": ["localnode"]},
                  "transaction": {"call": true, "registration": false, "rest": false}}
    });
    for path in ["/call/transaction", "/export/call/messages/text"] {
        let (status, answer) = post_json(&app, path, body.clone()).await;
        assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{path}: {answer}");
        assert!(answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("without finishing"));
    }
}

#[tokio::test]
async fn message_by_id_returns_the_raw_text() {
    let f = fixture("message");
    let (_, answer) = post_json(
        &f.app,
        "/search/call/data",
        f.search(json!([{"name": "data_header.method", "value": "INVITE", "type": "string"}])),
    )
    .await;
    let row = &rows(&answer)[0];
    let create = row["create_date"].as_i64().unwrap();
    let body = json!({"timestamp": {"from": create - 5000, "to": create + 5000},
                      "param": {"limit": 1, "search": {"1_call": {"id": row["id"]}}}});
    let (status, message) = post_json(&f.app, "/search/call/message", body).await;
    assert_eq!(status, StatusCode::CREATED);
    let found = &rows(&message)[0];
    assert_eq!(found["id"], row["id"]);
    assert!(found["raw"].as_str().unwrap().starts_with("INVITE sip:"));
    assert_eq!(found["micro_ts"].as_i64().unwrap() / 1000, create);
    let (status, error) = post_json(
        &f.app,
        "/search/call/message",
        json!({"timestamp": {"from": 0, "to": 1}, "param": {"limit": 1, "search": {"1_call": {}}}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["message"], "no ID or UUID has been provided");
}

#[tokio::test]
async fn transaction_pulls_in_legs_linked_by_x_cid_and_custom_header_with_rtcp_and_logs() {
    let f = fixture("transaction");
    let legs = call_ids(&f.three_leg);
    assert_eq!(legs.len(), 3);
    let (status, answer) = post_json(&f.app, "/call/transaction", f.transaction(&legs[..1])).await;
    assert_eq!(status, StatusCode::CREATED);
    let data = &answer["data"];
    let messages = data["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        f.three_leg.len(),
        "every packet of the three legs"
    );
    assert_eq!(answer["total"], f.three_leg.len());
    for leg in &legs {
        assert!(
            messages.iter().any(|m| m["sid"] == leg.as_str()),
            "leg {leg}"
        );
    }
    assert!(messages
        .iter()
        .any(|m| m["payloadType"] == 5 && m["profile"] == "5_default"));
    assert!(messages
        .iter()
        .any(|m| m["payloadType"] == 100 && m["raw"].is_string()));
    let times: Vec<i64> = messages
        .iter()
        .map(|m| m["micro_ts"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let calldata = data["calldata"].as_array().unwrap();
    assert_eq!(calldata.len(), messages.len());
    assert_eq!(calldata[0]["method"], "INVITE");
    assert!(calldata.iter().any(|c| c["method"] == "RTCP"));
    let hosts = data["hosts"].as_object().unwrap();
    let first = calldata[0]["srcId"].as_str().unwrap();
    assert_eq!(hosts[first]["position"], 0);
    assert_eq!(data["alias"][first], first);

    let (_, only_answered) = post_json(
        &f.app,
        "/call/transaction",
        f.transaction(&call_ids(&f.answered)),
    )
    .await;
    let messages = only_answered["data"]["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        f.answered.len(),
        "SIP and RTCP of one call, nothing else"
    );
    let src = messages[0]["srcIp"].as_str().unwrap();
    let key = format!("{src}:{}", messages[0]["srcPort"]);
    assert_eq!(only_answered["data"]["alias"][&key], "CARRIER-A");
    assert_eq!(
        only_answered["data"]["calldata"][0]["aliasSrc"],
        "CARRIER-A"
    );
}

#[tokio::test]
async fn transaction_follows_the_b2b_suffix_and_rejects_bad_bodies() {
    let f = fixture("b2b");
    let t0 = now_us() - 600_000_000;
    let packet = |cid: &str, ts: i64| {
        let payload = SipBuilder::request(&Method::Invite, "sip:3003@example.com")
            .header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb2b")
            .header("From", "<sip:1001@example.com>;tag=1")
            .header("To", "<sip:3003@example.com>")
            .header("Call-ID", cid)
            .header("CSeq", "1 INVITE")
            .build();
        Packet {
            ts_us: ts,
            src: "192.0.2.1:5060".parse().unwrap(),
            dst: "192.0.2.2:5060".parse().unwrap(),
            transport: fixture::Transport::Udp,
            kind: PacketKind::Sip,
            call_id: cid.into(),
            payload,
            capture_id: 1,
            node: "n".into(),
        }
    };
    store_all(
        &f.store,
        &[packet("b2b-a", t0), packet("b2b-a_b2b-1", t0 + 1000)],
    );
    let (_, answer) = post_json(
        &f.app,
        "/call/transaction",
        f.transaction(&["b2b-a".into()]),
    )
    .await;
    let sids: Vec<&str> = answer["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, vec!["b2b-a", "b2b-a_b2b-1"]);

    for body in [
        json!({"timestamp": {"from": 0, "to": 1}, "param": {"search": {"1_call": {"id": 1}}}}),
        json!({"param": {"search": {"1_call": {"callid": ["x"]}}}}),
        json!({"timestamp": {"from": 0, "to": 1}, "param": {"search": {"x": {"callid": ["x"]}}}}),
        json!([1, 2]),
    ] {
        let (status, _) = post_json(&f.app, "/call/transaction", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    let (status, empty) =
        post_json(&f.app, "/call/transaction", f.transaction(&["none".into()])).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(empty["data"]["messages"], json!([]));
}

#[tokio::test]
async fn qos_and_log_reports_answer_rtcp_and_log_rows() {
    let f = fixture("qos");
    let (status, qos) = post_json(
        &f.app,
        "/call/report/qos",
        f.transaction(&call_ids(&f.answered)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let rtcp_count = f
        .answered
        .iter()
        .filter(|p| p.kind == PacketKind::Rtcp)
        .count();
    assert!(rtcp_count > 0);
    assert_eq!(qos["rtcp"]["total"], rtcp_count);
    assert_eq!(qos["rtp"], json!({"total": 0, "data": []}));
    let first = &qos["rtcp"]["data"][0];
    let raw: Value = serde_json::from_str(first["raw"].as_str().unwrap()).unwrap();
    assert!(raw.get("ssrc").is_some());
    assert!(first["create_date"].as_str().unwrap().ends_with('Z'));
    assert_eq!(first["proto"], "rtcp");

    let legs = call_ids(&f.three_leg);
    let (status, logs) = post_json(&f.app, "/call/report/log", f.transaction(&legs)).await;
    assert_eq!(status, StatusCode::CREATED);
    let log_count = f
        .three_leg
        .iter()
        .filter(|p| p.kind == PacketKind::Log)
        .count();
    assert_eq!(logs["total"], log_count);
    assert!(log_count > 0);
    assert_eq!(logs["data"][0]["payloadType"], 100);
    let _ = &f.cancelled;
}

#[tokio::test]
async fn pcap_export_decodes_back_to_the_same_messages() {
    let f = fixture("pcap");
    let ids = call_ids(&f.answered);
    let (status, headers, bytes) = send(
        &f.app,
        "POST",
        "/export/call/messages/pcap",
        Some(&f.transaction(&ids)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=export-") && disposition.ends_with(".pcap")
    );
    let capture = server::pcap::read_capture(&bytes).unwrap();
    assert_eq!(capture.packets.len(), f.answered.len());
    // SIP and log rows keep their bytes; RTCP rows become RTCP packets (checked in
    // pcap_export_keeps_tcp_and_writes_rtcp_that_tshark_decodes).
    let mut expected: Vec<(i64, Vec<u8>)> = f
        .answered
        .iter()
        .map(|p| match p.kind {
            PacketKind::Rtcp => (p.ts_us, b"rtcp".to_vec()),
            _ => (p.ts_us, p.payload.clone()),
        })
        .collect();
    expected.sort();
    let mut got: Vec<(i64, Vec<u8>)> = capture
        .packets
        .iter()
        .map(|p| match p.payload.get(..2) {
            Some([0x80..=0x9F, 200 | 201]) => (p.ts_us, b"rtcp".to_vec()),
            _ => (p.ts_us, p.payload.clone()),
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);

    if let Ok(path) = which_tshark() {
        let file = common::app::temp_dir("pcap-tshark").join("export.pcap");
        std::fs::write(&file, &bytes).unwrap();
        let output = std::process::Command::new(path)
            .args([
                "-r",
                file.to_str().unwrap(),
                "-d",
                "udp.port==5060,sip",
                "-T",
                "fields",
                "-e",
                "frame.time_epoch",
                "-e",
                "sip.Call-ID",
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), f.answered.len());
        let sip_with_id = lines.iter().filter(|l| l.contains(ids[0].as_str())).count();
        let sip_on_5060 = f
            .answered
            .iter()
            .filter(|p| p.kind == PacketKind::Sip && (p.src.port() == 5060 || p.dst.port() == 5060))
            .count();
        assert_eq!(sip_with_id, sip_on_5060, "{text}");
        let first_time: f64 = lines[0].split('\t').next().unwrap().parse().unwrap();
        assert!((first_time * 1e6 - expected[0].0 as f64).abs() < 2.0);
    }
}

/// Runs tshark on `pcap` with `args`; `None` (after saying so) when tshark is not installed.
fn tshark(pcap: &[u8], name: &str, args: &[&str]) -> Option<String> {
    if which_tshark().is_err() {
        eprintln!("SKIPPED the tshark checks: tshark is not installed (scripts/setup.sh --test installs it)");
        return None;
    }
    let file = common::app::temp_dir(name).join("export.pcap");
    std::fs::write(&file, pcap).unwrap();
    let output = std::process::Command::new("tshark")
        .args(["-r", file.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test]
async fn pcap_export_keeps_tcp_and_writes_rtcp_that_tshark_decodes() {
    let packets = call(
        21,
        now_us() - 600_000_000,
        &CallOptions {
            rtcp: Some(RtcpOptions {
                callee_rr_only: true,
                ..RtcpOptions::default()
            }),
            transport: fixture::Transport::Tcp,
            ..CallOptions::default()
        },
    );
    let (store, _) = open_store("pcap-tcp-rtcp", Vec::new(), |_| {});
    assert!(store_all(&store, &packets) > 0);
    let app = api::router(store);
    let ids = call_ids(&packets);
    let request = json!({
        "timestamp": {"from": 0, "to": now_us() / 1000},
        "param": {"search": {"1_call": {"id": 1, "callid": ids}},
                  "location": {"node": ["localnode"]},
                  "transaction": {"call": true, "registration": false, "rest": false}}
    });
    let (status, _, bytes) = send(&app, "POST", "/export/call/messages/pcap", Some(&request)).await;
    assert_eq!(status, StatusCode::OK);

    // Our own reader: SIP is TCP with per-direction sequence numbers, RTCP is UDP.
    let capture = server::pcap::read_capture(&bytes).unwrap();
    assert_eq!(capture.packets.len(), packets.len());
    let sip: Vec<&Packet> = packets
        .iter()
        .filter(|p| p.kind == PacketKind::Sip)
        .collect();
    let rtcp: Vec<&Packet> = packets
        .iter()
        .filter(|p| p.kind == PacketKind::Rtcp)
        .collect();
    assert!(
        sip.len() >= 5 && rtcp.len() >= 2,
        "{} sip, {} rtcp",
        sip.len(),
        rtcp.len()
    );
    let tcp = capture
        .packets
        .iter()
        .filter(|p| p.transport == server::pcap::Transport::Tcp)
        .count();
    assert_eq!(tcp, sip.len());
    // Each direction's sequence number runs on by the bytes sent before.
    let mut next: std::collections::HashMap<_, u32> = std::collections::HashMap::new();
    for p in capture.packets.iter().filter(|p| p.tcp_seq.is_some()) {
        let seq = p.tcp_seq.unwrap();
        if let Some(expected) = next.get(&(p.src, p.dst)) {
            assert_eq!(seq, *expected, "{} -> {}", p.src, p.dst);
        }
        next.insert((p.src, p.dst), seq.wrapping_add(p.payload.len() as u32));
    }
    assert_eq!(next.len(), 2, "one flow per direction");

    // Expected RTCP values from the stored JSON, in time order: packet types and fractions.
    let mut rtcp_sorted = rtcp.clone();
    rtcp_sorted.sort_by_key(|p| p.ts_us);
    let expected_rtcp: Vec<String> = rtcp_sorted
        .iter()
        .map(|p| {
            let parsed =
                app::domain::qos::rtcp::RtcpPacket::parse(std::str::from_utf8(&p.payload).unwrap())
                    .unwrap();
            let pt = if parsed.sender.is_some() {
                "200,202"
            } else {
                "201,202"
            };
            let blocks = |f: &dyn Fn(&app::domain::qos::rtcp::ReportBlock) -> String| {
                parsed.blocks.iter().map(f).collect::<Vec<_>>().join(",")
            };
            let packets = parsed
                .sender
                .map(|s| s.packets.to_string())
                .unwrap_or_default();
            format!(
                "{pt}\t{:#010x}\t{packets}\t{}\t{}\t{}\t{}",
                parsed.ssrc,
                blocks(&|b| b.fraction_lost.to_string()),
                blocks(&|b| b.cumulative_lost.unwrap_or(0).to_string()),
                blocks(&|b| b.highest_seq.unwrap_or(0).to_string()),
                blocks(&|b| format!("{}", b.jitter_units.round())),
            )
        })
        .collect();
    assert!(expected_rtcp.iter().any(|l| l.starts_with("200")));
    assert!(expected_rtcp.iter().any(|l| l.starts_with("201")));

    let Some(methods) = tshark(
        &bytes,
        "pcap-tcp-sip",
        &[
            "-d",
            "tcp.port==5060,sip",
            "-Y",
            "sip",
            "-T",
            "fields",
            "-e",
            "sip.CSeq.method",
            "-e",
            "sip.Status-Code",
        ],
    ) else {
        return;
    };
    let decoded: Vec<&str> = methods.lines().collect();
    assert_eq!(decoded.len(), sip.len(), "{methods}");
    let invites_sent = sip
        .iter()
        .filter(|p| p.payload.starts_with(b"INVITE "))
        .count();
    let invites_seen = decoded.iter().filter(|l| **l == "INVITE\t").count();
    assert_eq!(invites_seen, invites_sent, "{methods}");
    let byes_sent = sip
        .iter()
        .filter(|p| p.payload.starts_with(b"BYE "))
        .count();
    assert_eq!(decoded.iter().filter(|l| **l == "BYE\t").count(), byes_sent);

    let follow = tshark(
        &bytes,
        "pcap-tcp-follow",
        &["-q", "-z", "follow,tcp,ascii,0"],
    )
    .unwrap();
    assert!(follow.contains("INVITE sip:"), "{follow}");
    assert!(follow.contains("SIP/2.0 200 OK"), "{follow}");

    let fields = tshark(
        &bytes,
        "pcap-rtcp",
        &[
            "--enable-heuristic",
            "rtcp_udp",
            "-Y",
            "rtcp",
            "-T",
            "fields",
            "-e",
            "rtcp.pt",
            "-e",
            "rtcp.senderssrc",
            "-e",
            "rtcp.sender.packetcount",
            "-e",
            "rtcp.ssrc.fraction",
            "-e",
            "rtcp.ssrc.cum_nr",
            "-e",
            "rtcp.ssrc.ext_high",
            "-e",
            "rtcp.ssrc.jitter",
        ],
    )
    .unwrap();
    let got: Vec<&str> = fields.lines().collect();
    assert_eq!(got, expected_rtcp, "{fields}");
}

fn which_tshark() -> Result<String, ()> {
    let ok = std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Ok("tshark".into())
    } else {
        Err(())
    }
}

#[tokio::test]
async fn text_export_writes_one_block_per_row() {
    let f = fixture("text");
    let ids = call_ids(&f.busy);
    let (status, headers, bytes) = send(
        &f.app,
        "POST",
        "/export/call/messages/text",
        Some(&f.transaction(&ids)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.matches("proto:UDP ").count(), f.busy.len());
    assert!(text.contains(" ---> "));
    assert!(text.contains("SIP/2.0 486 Busy Here"));
}

#[tokio::test]
async fn reference_endpoints_answer_homer_shapes() {
    let f = fixture("reference");
    let (status, _, bytes) = send(&f.app, "GET", "/alias", None).await;
    assert_eq!(status, StatusCode::CREATED);
    let alias: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(alias["data"][0]["alias"], "CARRIER-A");
    let (status, _, bytes) = send(&f.app, "GET", "/mapping/protocol", None).await;
    assert_eq!(status, StatusCode::OK);
    let mapping: app::domain::homer::MappingList = serde_json::from_slice(&bytes).unwrap();
    assert!(mapping
        .data
        .iter()
        .any(|p| p.profile == "call" && p.hepid == 1));
    let (status, _, bytes) = send(&f.app, "GET", "/database/node/list", None).await;
    assert_eq!(status, StatusCode::OK);
    let nodes: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(nodes["data"][0]["value"], "localnode");
}

/// The one alias rule across the boundary: a `/32` alias for any port beats a `/24` alias for the
/// host's exact port, both in the store's `aliasSrc` and in the ladder's table read from `GET /alias`.
#[tokio::test]
async fn alias_src_prefers_the_host_alias_over_a_network_alias_for_the_port() {
    let start = now_us() - 600_000_000;
    let packets = single_call(21, start, Outcome::Busy);
    let first = &packets[0];
    let src = first.src;
    let network = match src.ip() {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            std::net::IpAddr::from([a, b, c, 0])
        }
        std::net::IpAddr::V6(_) => panic!("the fixture sends over IPv4"),
    };
    let aliases = vec![
        AliasConfig {
            ip: network,
            prefix: 24,
            port: src.port(),
            name: "NET-SIP".into(),
        },
        AliasConfig {
            ip: src.ip(),
            prefix: 32,
            port: 0,
            name: "HOST".into(),
        },
    ];
    let (store, _) = open_store("alias-rule", aliases, |_| {});
    assert!(store_all(&store, &packets) > 0);
    let app = api::router(store);
    let (status, answer) = post_json(
        &app,
        "/search/call/data",
        json!({
            "timestamp": {"from": start / 1000 - 60_000, "to": now_us() / 1000},
            "param": {"search": {"1_call": [{"name": "sid", "value": first.call_id, "type": "string", "hepid": 1}]},
                      "location": {"node": ["localnode"]}, "orlogic": false, "limit": 200, "transaction": {}}
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let row = rows(&answer)
        .iter()
        .find(|r| r["srcIp"] == src.ip().to_string() && r["srcPort"] == src.port())
        .expect("a row sent from the aliased host");
    assert_eq!(row["aliasSrc"], "HOST");

    let (status, _, bytes) = send(&app, "GET", "/alias", None).await;
    assert_eq!(status, StatusCode::CREATED);
    let list: app::domain::homer::AliasList = serde_json::from_slice(&bytes).unwrap();
    let table = app::domain::ladder::AliasTable::from_list(&list);
    let host = app::domain::calls::HostPort {
        ip: src.ip().to_string(),
        port: Some(src.port()),
    };
    assert_eq!(table.resolve(&host), Some("HOST"));
}

/// A row's identity for comparing answers with fixture packets: Call-ID, method or reply code,
/// capture time in ms.
type RowKey = (String, String, i64);

fn row_keys(answer: &Value) -> Vec<RowKey> {
    let mut keys: Vec<RowKey> = rows(answer)
        .iter()
        .map(|r| {
            (
                r["sid"].as_str().unwrap().to_owned(),
                r["method"].as_str().unwrap().to_owned(),
                r["create_date"].as_i64().unwrap(),
            )
        })
        .collect();
    keys.sort();
    keys
}

/// The keys of the fixture's SIP packets for which `keep(packet, message)` holds.
fn packet_keys(
    f: &Fixture,
    keep: impl Fn(&Packet, &app::domain::sip::SipMessage) -> bool,
) -> Vec<RowKey> {
    let all = [&f.answered, &f.busy, &f.cancelled, &f.three_leg];
    let mut keys: Vec<RowKey> = all
        .into_iter()
        .flatten()
        .filter(|p| p.kind == PacketKind::Sip)
        .filter_map(|p| {
            let message = scan(&p.payload).unwrap();
            keep(p, &message).then(|| {
                let method = match message.status() {
                    Some(code) => code.to_string(),
                    None => message.method().unwrap().as_str().to_owned(),
                };
                (p.call_id.clone(), method, p.ts_us / 1000)
            })
        })
        .collect();
    keys.sort();
    keys
}

fn first_invite(packets: &[Packet]) -> (&Packet, app::domain::sip::SipMessage) {
    let invite = packets
        .iter()
        .find(|p| p.kind == PacketKind::Sip && p.payload.starts_with(b"INVITE"))
        .unwrap();
    (invite, scan(&invite.payload).unwrap())
}

#[tokio::test]
async fn search_by_address_port_domain_and_x_cid_returns_exactly_the_matching_rows() {
    let f = fixture("search-new-fields");
    let (answered, answered_msg) = first_invite(&f.answered);
    let (busy, busy_msg) = first_invite(&f.busy);
    let (_, cancelled_msg) = first_invite(&f.cancelled);
    let (three_leg, _) = first_invite(&f.three_leg);
    let src_ip = answered.src.ip().to_string();
    let dst_ip = three_leg.dst.ip().to_string();
    let src_port = answered.src.port();
    let dst_port = busy.dst.port();
    let ruri_domain = answered_msg.ruri_domain().unwrap().to_owned();
    let from_domain = busy_msg.from_domain().unwrap().to_owned();
    let from_prefix = from_domain.get(..3).unwrap().to_owned();
    let to_domain = cancelled_msg.to_domain().unwrap().to_owned();
    let leg1 = call_ids(&f.three_leg)[0].clone();
    // HOMER's correlation_id: the first configured correlation header differing from the
    // Call-ID (X-CID, X-Call-ID, then the fixture's X-Acme-Call-ID), else the Call-ID.
    let headers = ["X-CID", "X-Call-ID", "X-Acme-Call-ID"];
    let correlation = |p: &Packet, m: &app::domain::sip::SipMessage| {
        m.correlation_ids(&headers)
            .into_iter()
            .map(|(_, v)| v)
            .find(|v| *v != p.call_id)
            .unwrap_or_else(|| p.call_id.clone())
    };
    type Keep<'a> = Box<dyn Fn(&Packet, &app::domain::sip::SipMessage) -> bool + 'a>;
    let cases: Vec<(&str, String, &str, Keep)> = vec![
        (
            "protocol_header.srcIp",
            src_ip.clone(),
            "string",
            Box::new(|p, _| p.src.ip().to_string() == src_ip),
        ),
        (
            "protocol_header.dstIp",
            dst_ip.clone(),
            "string",
            Box::new(|p, _| p.dst.ip().to_string() == dst_ip),
        ),
        (
            "protocol_header.srcIp",
            format!("!={src_ip}"),
            "string",
            Box::new(|p, _| p.src.ip().to_string() != src_ip),
        ),
        (
            "protocol_header.srcPort",
            src_port.to_string(),
            "integer",
            Box::new(|p, _| p.src.port() == src_port),
        ),
        (
            "protocol_header.dstPort",
            dst_port.to_string(),
            "integer",
            Box::new(|p, _| p.dst.port() == dst_port),
        ),
        (
            "data_header.ruri_domain",
            ruri_domain.clone(),
            "string",
            Box::new(|_, m| m.ruri_domain() == Some(ruri_domain.as_str())),
        ),
        (
            "data_header.from_domain",
            format!("{from_prefix}%"),
            "string",
            Box::new(|_, m| m.from_domain().is_some_and(|d| d.starts_with(&from_prefix))),
        ),
        (
            "data_header.to_domain",
            to_domain.clone(),
            "string",
            Box::new(|_, m| m.to_domain() == Some(to_domain.as_str())),
        ),
        (
            "protocol_header.correlation_id",
            leg1.clone(),
            "string",
            Box::new(|p, m| correlation(p, m) == leg1),
        ),
    ];
    for (name, value, kind, keep) in cases {
        let (status, answer) = post_json(
            &f.app,
            "/search/call/data",
            f.search(
                json!([{"name": name, "value": value, "type": kind, "hepid": 1},
                            {"name": "limit", "value": "1000", "type": "string", "hepid": 1}]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{name} {value}: {answer}");
        let expected = packet_keys(&f, keep);
        assert!(!expected.is_empty(), "{name} {value} matches nothing");
        assert_eq!(row_keys(&answer), expected, "{name} {value}");
    }
    // X-CID names leg 1 in leg 2's INVITE: that row is found by leg 1's Call-ID.
    let (_, answer) = post_json(
        &f.app,
        "/search/call/data",
        f.search(
            json!([{"name": "protocol_header.correlation_id", "value": leg1, "type": "string"}]),
        ),
    )
    .await;
    assert!(
        rows(&answer).iter().any(|r| r["sid"] != leg1.as_str()),
        "{answer}"
    );
}
