//! One HOMER data row as search, message, transaction, QoS and log answers carry it.
//!
//! homer-app flattens `protocol_header` and `data_header` into one object and adds bookkeeping
//! keys (`docs/homer7-api.md` §3.5, §4, §5.3, §6.2). One lenient struct reads all of these shapes:
//! every field is optional or defaulted, numbers may be strings, `node` may be an array.

use serde::{Deserialize, Serialize};

use super::lenient::{self, CreateDate};

/// A flattened HOMER row (SIP, RTCP or LOG).
///
/// Field names follow homer-app's JSON keys. Absent keys are `None` or empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HomerRow {
    /// Row id in its table (unique per table and data node only).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub id: Option<i64>,
    /// Same as `id`, kept by homer-app for backward compatibility.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub uuid: Option<i64>,
    /// Session id: the SIP Call-ID, or the correlation id for non-SIP rows.
    #[serde(deserialize_with = "lenient::string")]
    pub sid: String,
    /// Capture time: epoch ms in search and transaction answers, RFC 3339 text in QoS/log.
    #[serde(
        deserialize_with = "lenient::opt_create_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_date: Option<CreateDate>,
    /// Transaction answers only: epoch ms.
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_ts: Option<i64>,
    /// Transaction and message answers: epoch µs in newer builds, ms in older ones.
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub micro_ts: Option<i64>,
    /// Capture time, whole seconds since the epoch (always sent by heplify-server).
    #[serde(rename = "timeSeconds", deserialize_with = "lenient::opt_i64")]
    pub time_seconds: Option<i64>,
    /// Sub-second part of the capture time, µs.
    #[serde(rename = "timeUseconds", deserialize_with = "lenient::opt_i64")]
    pub time_useconds: Option<i64>,
    /// Source IP address (text, IPv4 or IPv6).
    #[serde(rename = "srcIp", deserialize_with = "lenient::string")]
    pub src_ip: String,
    /// Source port.
    #[serde(rename = "srcPort", deserialize_with = "lenient::opt_u16")]
    pub src_port: Option<u16>,
    /// Destination IP address.
    #[serde(rename = "dstIp", deserialize_with = "lenient::string")]
    pub dst_ip: String,
    /// Destination port.
    #[serde(rename = "dstPort", deserialize_with = "lenient::opt_u16")]
    pub dst_port: Option<u16>,
    /// 2 = IPv4, 10 = IPv6.
    #[serde(rename = "protocolFamily", deserialize_with = "lenient::opt_i64")]
    pub protocol_family: Option<i64>,
    /// IP protocol: 17 UDP, 6 TCP, 132 SCTP.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub protocol: Option<i64>,
    /// HEP payload type: 1 SIP, 5 RTCP, 100 LOG, 34/35 reports, 54 ISUP.
    #[serde(rename = "payloadType", deserialize_with = "lenient::opt_i64")]
    pub payload_type: Option<i64>,
    /// Capture node name (a string in the DB, even when numeric).
    #[serde(rename = "captureId", deserialize_with = "lenient::string")]
    pub capture_id: String,
    /// X-CID header if present, else the Call-ID.
    #[serde(deserialize_with = "lenient::string")]
    pub correlation_id: String,
    /// SIP request method, or the reply code (`"200"`) for responses.
    #[serde(deserialize_with = "lenient::string")]
    pub method: String,
    /// The Call-ID header.
    #[serde(deserialize_with = "lenient::string")]
    pub callid: String,
    /// The whole CSeq header value, e.g. `"1 INVITE"`.
    #[serde(deserialize_with = "lenient::string")]
    pub cseq: String,
    /// User part of the From URI.
    #[serde(deserialize_with = "lenient::string")]
    pub from_user: String,
    /// From tag.
    #[serde(deserialize_with = "lenient::string")]
    pub from_tag: String,
    /// User part of the To URI.
    #[serde(deserialize_with = "lenient::string")]
    pub to_user: String,
    /// To tag (empty before the dialog is established).
    #[serde(deserialize_with = "lenient::string")]
    pub to_tag: String,
    /// User part of the Request-URI.
    #[serde(deserialize_with = "lenient::string")]
    pub ruri_user: String,
    /// Host part of the Request-URI.
    #[serde(deserialize_with = "lenient::string")]
    pub ruri_domain: String,
    /// The User-Agent header.
    #[serde(deserialize_with = "lenient::string")]
    pub user_agent: String,
    /// Transaction answers: From host. (`to_domain` is also the From host: a homer-app bug.)
    #[serde(deserialize_with = "lenient::string")]
    pub from_domain: String,
    /// Data-DB node name; on RTCP/LOG rows of transaction answers, an array that also holds the
    /// capture node, in random order.
    #[serde(deserialize_with = "lenient::string_or_seq")]
    pub node: Vec<String>,
    /// Data-DB node name.
    #[serde(deserialize_with = "lenient::string")]
    pub dbnode: String,
    /// Table the row came from (search answers only), e.g. `hep_proto_1_call`.
    #[serde(deserialize_with = "lenient::string")]
    pub table: String,
    /// Profile key the row came from (transaction answers), e.g. `1_call`, `5_default`.
    #[serde(deserialize_with = "lenient::string")]
    pub profile: String,
    /// RTCP/LOG rows: the `proto` key of their data header (`rtcp`, `log`, ...).
    #[serde(deserialize_with = "lenient::string")]
    pub proto: String,
    /// Message text: SIP with CRLF, RTCP as a JSON **string** (parsed elsewhere), or a log line.
    /// Search answers carry it only for logs.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub raw: Option<String>,
}

impl HomerRow {
    /// Capture time in µs since the epoch.
    ///
    /// Prefers `timeSeconds`/`timeUseconds` (sent by every version), then `micro_ts` read by
    /// magnitude, then `create_ts`, then `create_date` (`docs/homer7-api.md` §10).
    pub fn time_us(&self) -> Option<i64> {
        if let Some(secs) = self.time_seconds {
            let micros = self.time_useconds.unwrap_or(0);
            return secs.checked_mul(1_000_000)?.checked_add(micros);
        }
        if let Some(micro) = self.micro_ts {
            return Some(CreateDate::from_epoch(micro).to_us());
        }
        if let Some(ms) = self.create_ts {
            return ms.checked_mul(1000);
        }
        self.create_date.map(CreateDate::to_us)
    }

    /// Capture time in ms since the epoch (floored), see [`HomerRow::time_us`].
    pub fn time_ms(&self) -> Option<i64> {
        self.time_us().map(|us| us.div_euclid(1000))
    }

    /// The data-DB node name: `dbnode`, else the last `node` entry that is not the capture id.
    pub fn data_node(&self) -> Option<&str> {
        if !self.dbnode.is_empty() {
            return Some(&self.dbnode);
        }
        self.node
            .iter()
            .rev()
            .find(|n| **n != self.capture_id)
            .map(String::as_str)
    }

    /// The CSeq method (`INVITE` in `"1 INVITE"`), if the header has one.
    pub fn cseq_method(&self) -> Option<&str> {
        self.cseq.split_whitespace().nth(1)
    }

    /// The CSeq sequence number, if it parses.
    pub fn cseq_number(&self) -> Option<u32> {
        self.cseq.split_whitespace().next()?.parse().ok()
    }

    /// The reply code when this row is a response (`method` holds digits), else `None`.
    pub fn status_code(&self) -> Option<u16> {
        let m = self.method.trim();
        if m.len() == 3 && m.bytes().all(|b| b.is_ascii_digit()) {
            m.parse().ok()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_reads_search_answer_element() {
        let json = r#"{
          "id": 4711, "uuid": 4711, "sid": "a84b@pc33", "create_date": 1700000123456,
          "srcIp": "10.0.0.5", "srcPort": 5060, "dstIp": "10.0.0.9", "dstPort": "5060",
          "protocolFamily": 2, "protocol": 17, "payloadType": 1,
          "timeSeconds": 1700000123, "timeUseconds": 456789, "captureId": "2001",
          "method": "INVITE", "cseq": "1 INVITE", "node": "localnode", "dbnode": "localnode",
          "aliasSrc": "10.0.0.5:5060", "aliasDst": "10.0.0.5:5060", "table": "hep_proto_1_call",
          "x_custom": {"nested": true}
        }"#;
        let row: HomerRow = serde_json::from_str(json).unwrap();
        assert_eq!(row.id, Some(4711));
        assert_eq!(row.dst_port, Some(5060));
        assert_eq!(row.time_us(), Some(1_700_000_123_456_789));
        assert_eq!(row.time_ms(), Some(1_700_000_123_456));
        assert_eq!(row.node, vec!["localnode"]);
        assert_eq!(row.cseq_method(), Some("INVITE"));
        assert_eq!(row.cseq_number(), Some(1));
        assert_eq!(row.status_code(), None);
        assert_eq!(row.raw, None);
    }

    #[test]
    fn row_time_falls_back_to_micro_ts_then_create_date() {
        let us: HomerRow = serde_json::from_str(r#"{"micro_ts":1700000123456789}"#).unwrap();
        assert_eq!(us.time_us(), Some(1_700_000_123_456_789));
        let ms: HomerRow = serde_json::from_str(r#"{"micro_ts":1700000123456}"#).unwrap();
        assert_eq!(ms.time_us(), Some(1_700_000_123_456_000));
        let text: HomerRow =
            serde_json::from_str(r#"{"create_date":"2023-11-14T22:15:30.12Z"}"#).unwrap();
        assert_eq!(text.time_ms(), Some(1_700_000_130_120));
        let none: HomerRow = serde_json::from_str("{}").unwrap();
        assert_eq!(none.time_us(), None);
    }

    #[test]
    fn row_data_node_skips_capture_node_in_merged_array() {
        let row: HomerRow =
            serde_json::from_str(r#"{"captureId":"2001","node":["localnode","2001"]}"#).unwrap();
        assert_eq!(row.data_node(), Some("localnode"));
    }

    #[test]
    fn row_status_code_reads_reply_codes_only() {
        let row = HomerRow {
            method: "486".into(),
            ..HomerRow::default()
        };
        assert_eq!(row.status_code(), Some(486));
        let row = HomerRow {
            method: "INFO".into(),
            ..HomerRow::default()
        };
        assert_eq!(row.status_code(), None);
    }
}
