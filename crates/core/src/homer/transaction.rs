//! `POST /api/v3/call/transaction` (the call flow), also the body of QoS, log and export
//! requests (`docs/homer7-api.md` §5, §6.1, §7).
//!
//! The request must carry `timestamp` and a `callid` array for every key, or homer-app drops the
//! connection; the builder always sets both.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::lenient;
use super::row::HomerRow;
use super::search::{Location, TimeWindow, TimezoneParam, TransactionFlags};
use super::ProfileKey;

/// Half width of homer-ui's transaction window around the clicked row, ms.
pub const TRANSACTION_WINDOW_MS: i64 = 300_000;

/// `param.search.<key>` of a transaction request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSelector {
    /// Row id (ignored by homer-app; homer-ui sends the clicked row's id).
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<i64>,
    /// The `sid` values (SIP Call-IDs) to load. Required.
    #[serde(default, deserialize_with = "lenient::string_or_seq")]
    pub callid: Vec<String>,
    /// Ignored by homer-app; homer-ui sends `[]`.
    #[serde(default, deserialize_with = "lenient::seq_lenient")]
    pub uuid: Vec<i64>,
}

/// `param` of a transaction request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionParam {
    /// One key `<hepid>_<profile>` → the Call-IDs.
    #[serde(default)]
    pub search: BTreeMap<String, CallSelector>,
    /// Data-DB nodes.
    #[serde(default)]
    pub location: Location,
    /// Profile flags (ignored by the backend).
    #[serde(default)]
    pub transaction: TransactionFlags,
    /// IPs to exclude as source or destination.
    #[serde(default, deserialize_with = "lenient::string_or_seq")]
    pub whitelist: Vec<String>,
    /// Ignored by the backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<TimezoneParam>,
}

/// The body of `/call/transaction`, `/call/report/qos`, `/call/report/log` and the exports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionRequest {
    /// The primary lookup window, epoch ms (correlated tables widen it themselves).
    #[serde(default)]
    pub timestamp: TimeWindow,
    /// Call-IDs and options.
    #[serde(default)]
    pub param: TransactionParam,
}

/// `POST /api/v3/export/call/messages/pcap` and `/text` take the transaction request unchanged.
pub type ExportRequest = TransactionRequest;

impl TransactionRequest {
    /// A request loading `call_ids` of `profile` within `window`.
    ///
    /// Widen the window yourself: homer-ui uses the row time ± [`TRANSACTION_WINDOW_MS`]
    /// ([`TimeWindow::around`]).
    pub fn new(profile: &ProfileKey, window: TimeWindow, call_ids: Vec<String>) -> Self {
        let mut search = BTreeMap::new();
        search.insert(
            profile.as_str().to_owned(),
            CallSelector {
                id: None,
                callid: call_ids,
                uuid: Vec::new(),
            },
        );
        Self {
            timestamp: window,
            param: TransactionParam {
                search,
                location: Location::default(),
                transaction: TransactionFlags::for_profile(profile),
                whitelist: Vec::new(),
                timezone: None,
            },
        }
    }

    /// Restricts the lookup to these data-DB nodes.
    pub fn with_nodes(mut self, nodes: Vec<String>) -> Self {
        self.param.location.node = nodes;
        self
    }

    /// The same request for other Call-IDs (every key). homer-ui sends the QoS and log requests
    /// this way, with the distinct `sid`s of the transaction answer
    /// ([`TransactionResponse::call_ids`]).
    pub fn with_call_ids(mut self, call_ids: &[&str]) -> Self {
        for selector in self.param.search.values_mut() {
            selector.callid = call_ids.iter().map(|id| (*id).to_owned()).collect();
        }
        self
    }

    /// Every Call-ID requested, over all keys, without duplicates, in order.
    pub fn call_ids(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for selector in self.param.search.values() {
            for id in &selector.callid {
                if !out.contains(&id.as_str()) {
                    out.push(id);
                }
            }
        }
        out
    }
}

/// One `data.hosts` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostEntry {
    /// The `ip:port` key again.
    #[serde(default, deserialize_with = "lenient::string_or_seq")]
    pub host: Vec<String>,
    /// Column position, in order of first appearance.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub position: i64,
}

/// One `data.calldata` element (`model.CallElement`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallDataElement {
    /// Row id.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub id: Option<i64>,
    /// Session id (Call-ID); homer-ui derives the Call-ID list from these.
    #[serde(deserialize_with = "lenient::string")]
    pub sid: String,
    /// `ip:port` (`[ip]:port` for IPv6) of the source.
    #[serde(rename = "srcId", deserialize_with = "lenient::string")]
    pub src_id: String,
    /// `ip:port` of the destination.
    #[serde(rename = "dstId", deserialize_with = "lenient::string")]
    pub dst_id: String,
    /// Source IP (127.0.0.1 when the row had none).
    #[serde(rename = "srcIp", deserialize_with = "lenient::string")]
    pub src_ip: String,
    /// Destination IP (127.0.0.2 when the row had none).
    #[serde(rename = "dstIp", deserialize_with = "lenient::string")]
    pub dst_ip: String,
    /// Source port.
    #[serde(rename = "srcPort", deserialize_with = "lenient::opt_u16")]
    pub src_port: Option<u16>,
    /// Destination port.
    #[serde(rename = "dstPort", deserialize_with = "lenient::opt_u16")]
    pub dst_port: Option<u16>,
    /// SIP method or reply code; `RTCP`, `LOG`, `Report RTP`, `ISUP`, ... for other rows.
    #[serde(deserialize_with = "lenient::string")]
    pub method: String,
    /// Display text of `method`.
    #[serde(deserialize_with = "lenient::string")]
    pub method_text: String,
    /// Epoch ms.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub create_date: Option<i64>,
    /// Epoch µs (ms in older builds).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub micro_ts: Option<i64>,
    /// IP protocol number.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub protocol: Option<i64>,
    /// Named `ruri_user` by homer-app but holds the first 50 characters of `raw` (a bug).
    #[serde(rename = "ruri_user", deserialize_with = "lenient::string")]
    pub raw_head: String,
    /// Position of the destination host in `hosts`.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub destination: Option<i64>,
}

/// `data` of a transaction answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransactionData {
    /// All rows (SIP, and correlated RTCP and LOG), oldest first, with `raw`.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub messages: Vec<HomerRow>,
    /// `ip:port` → column.
    pub hosts: BTreeMap<String, HostEntry>,
    /// One element per message, same order.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub calldata: Vec<CallDataElement>,
    /// `ip:port` → alias name (or the `ip:port` itself).
    pub alias: BTreeMap<String, String>,
}

/// The answer of `POST /api/v3/call/transaction` (201).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransactionResponse {
    /// Number of rows.
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub total: i64,
    /// Union of row keys (random order).
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub keys: Vec<String>,
    /// Messages, hosts, call data and aliases.
    pub data: TransactionData,
}

impl TransactionResponse {
    /// The distinct Call-IDs of the answer, in order of first appearance.
    ///
    /// homer-app sends no Call-ID list; like homer-ui, derive it from `calldata[].sid`
    /// (falling back to the messages' `sid`).
    pub fn call_ids(&self) -> Vec<&str> {
        let sids = self
            .data
            .calldata
            .iter()
            .map(|c| c.sid.as_str())
            .chain(self.data.messages.iter().map(|m| m.sid.as_str()));
        let mut out: Vec<&str> = Vec::new();
        for sid in sids {
            if !sid.is_empty() && !out.contains(&sid) {
                out.push(sid);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_request_serializes_with_timestamp_and_callid_array() {
        let req = TransactionRequest::new(
            &ProfileKey::call(),
            TimeWindow::around(1_700_000_123_456, TRANSACTION_WINDOW_MS),
            vec!["cid-1@test".into(), "cid-2@test".into()],
        );
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            concat!(
                r#"{"timestamp":{"from":1699999823456,"to":1700000423456},"param":{"search":"#,
                r#"{"1_call":{"callid":["cid-1@test","cid-2@test"],"uuid":[]}},"location":{"node":[]},"#,
                r#""transaction":{"call":true,"registration":false,"rest":false},"whitelist":[]}}"#
            )
        );
        assert_eq!(req.call_ids(), vec!["cid-1@test", "cid-2@test"]);
    }

    #[test]
    fn transaction_request_reads_share_link_shape() {
        let json = r#"{"timestamp":{"from":1699999823456,"to":1700000423456},
          "param":{"search":{"1_call":{"id":4711,"callid":["cid1","cid2"],"uuid":[]}},"location":{},
          "transaction":{"call":true,"registration":false,"rest":false},"id":{},
          "timezone":{"value":-60,"name":"Local"}}}"#;
        let req: TransactionRequest = serde_json::from_str(json).unwrap();
        assert_eq!(req.call_ids(), vec!["cid1", "cid2"]);
        assert_eq!(req.param.search.get("1_call").unwrap().id, Some(4711));
    }

    #[test]
    fn transaction_response_reads_documented_example_with_quirks() {
        let json = r#"{
          "total": 2, "keys": ["callid","raw"],
          "data": {
            "messages": [
              {"id": 4711, "sid": "a84b@pc33", "profile": "1_call", "node": "localnode",
               "dbnode": "localnode", "create_date": 1700000123456, "create_ts": 1700000123456,
               "micro_ts": 1700000123456789, "srcIp": "10.0.0.5", "srcPort": 5060,
               "dstIp": "10.0.0.9", "dstPort": 5060, "payloadType": 1, "captureId": "2001",
               "timeSeconds": 1700000123, "timeUseconds": 456789, "method": "INVITE",
               "cseq": "1 INVITE", "from_domain": "example.com", "to_domain": "example.com",
               "raw": "INVITE sip:2002@example.com SIP/2.0\r\n\r\n"},
              {"id": 88, "sid": "a84b@pc33", "profile": "5_default", "node": ["2001", "localnode"],
               "dbnode": "localnode", "create_date": "2023-11-14T22:15:30.12Z", "payloadType": 5,
               "captureId": 2001, "proto": "rtcp", "raw": "{\"ssrc\":1,\"type\":200}"}
            ],
            "hosts": {
              "10.0.0.5:5060": {"host": ["10.0.0.5:5060"], "position": 0},
              "10.0.0.9:5060": {"host": ["10.0.0.9:5060"], "position": 1}
            },
            "calldata": [
              {"id": 4711, "sid": "a84b@pc33", "srcHost": "10.0.0.5", "dstHost": "10.0.0.9",
               "srcId": "10.0.0.5:5060", "dstId": "10.0.0.9:5060", "srcIp": "10.0.0.5",
               "dstIp": "10.0.0.9", "srcPort": 5060, "dstPort": 5060, "aliasSrc": "10.0.0.5:5060",
               "aliasDst": "10.0.0.9:5060", "method": "INVITE", "method_text": "INVITE",
               "create_date": 1700000123456, "micro_ts": 1700000123456789, "protocol": 17,
               "msg_color": "blue", "table": "",
               "ruri_user": "INVITE sip:2002@example.com SIP/2.0\r\nVia: SIP/2.0/",
               "destination": 1}
            ],
            "alias": {"10.0.0.5:5060": "SBC-1", "10.0.0.9:5060": "10.0.0.9:5060"}
          }
        }"#;
        let resp: TransactionResponse = serde_json::from_str(json).unwrap();
        assert_eq!(resp.data.messages.len(), 2);
        let rtcp = &resp.data.messages[1];
        assert_eq!(rtcp.node, vec!["2001", "localnode"]);
        assert_eq!(rtcp.capture_id, "2001");
        assert_eq!(rtcp.raw.as_deref(), Some(r#"{"ssrc":1,"type":200}"#));
        assert_eq!(rtcp.time_ms(), Some(1_700_000_130_120));
        assert_eq!(resp.data.hosts.get("10.0.0.9:5060").unwrap().position, 1);
        assert_eq!(resp.data.calldata[0].destination, Some(1));
        assert!(resp.data.calldata[0].raw_head.starts_with("INVITE sip:"));
        assert_eq!(resp.data.alias.get("10.0.0.5:5060").unwrap(), "SBC-1");
        assert_eq!(resp.call_ids(), vec!["a84b@pc33"]);
        let qos = TransactionRequest::new(&ProfileKey::call(), TimeWindow::new(1, 2), vec![])
            .with_call_ids(&resp.call_ids());
        assert_eq!(qos.call_ids(), vec!["a84b@pc33"]);
    }

    #[test]
    fn transaction_response_reads_empty_answer() {
        let json =
            r#"{"total":0,"keys":[],"data":{"messages":[],"hosts":{},"calldata":[],"alias":{}}}"#;
        let resp: TransactionResponse = serde_json::from_str(json).unwrap();
        assert!(resp.data.messages.is_empty());
        assert!(resp.call_ids().is_empty());
    }
}
