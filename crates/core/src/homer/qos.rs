//! `POST /api/v3/call/report/qos` and `/call/report/log` answers (`docs/homer7-api.md` §6).
//!
//! Both endpoints answer an **empty body** (201) when a table is missing or SQL fails; the
//! `from_body` readers treat that as an empty answer. RTCP `raw` stays a JSON string here: the
//! RTCP module parses it.

use serde::{Deserialize, Serialize};

use super::lenient;
use super::row::HomerRow;
use super::HomerError;

/// One section (`rtcp` or `rtp`) of a QoS answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QosSection {
    /// Number of rows.
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub total: i64,
    /// Rows; `create_date` is RFC 3339 text, `raw` a JSON string, `node` often an array.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub data: Vec<HomerRow>,
}

/// The answer of `/call/report/qos`: RTCP rows (`hep_proto_5_default`) and report rows
/// (`hep_proto_35_default`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QosResponse {
    /// RTCP reports (HEP type 5).
    pub rtcp: QosSection,
    /// Agent reports (HEP types 34, 35, ...); agent-specific JSON in `raw`.
    pub rtp: QosSection,
}

impl QosResponse {
    /// Reads a QoS answer body; an empty (or blank) body is an empty answer.
    ///
    /// # Errors
    /// [`HomerError::Decode`] when the body is neither blank nor JSON of this shape.
    pub fn from_body(body: &str) -> Result<Self, HomerError> {
        from_body_or_default(body, "call/report/qos")
    }
}

/// The answer of `/call/report/log`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogResponse {
    /// Number of rows.
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub total: i64,
    /// Log rows; `raw` is the log line.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub data: Vec<HomerRow>,
}

impl LogResponse {
    /// Reads a log answer body; an empty (or blank) body is an empty answer.
    ///
    /// # Errors
    /// [`HomerError::Decode`] when the body is neither blank nor JSON of this shape.
    pub fn from_body(body: &str) -> Result<Self, HomerError> {
        from_body_or_default(body, "call/report/log")
    }
}

fn from_body_or_default<T>(body: &str, endpoint: &'static str) -> Result<T, HomerError>
where
    T: Default + serde::de::DeserializeOwned,
{
    if body.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(body).map_err(|source| HomerError::Decode { endpoint, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_reads_documented_example_with_raw_as_string() {
        let body = r#"{
          "rtcp": {"total": 1, "data": [{
            "id": 88, "sid": "a84b@pc33", "create_date": "2023-11-14T22:15:30.12Z",
            "srcIp": "10.0.0.5", "srcPort": 40001, "dstIp": "10.0.0.9", "dstPort": 30001,
            "protocolFamily": 2, "protocol": 17, "payloadType": 5, "captureId": "2001",
            "timeSeconds": 1700000130, "timeUseconds": 120000, "correlation_id": "a84b@pc33",
            "proto": "rtcp", "node": ["2001", "localnode"], "dbnode": "localnode", "profile": "",
            "raw": "{\"sender_information\":{\"packets\":250,\"octets\":40000},\"ssrc\":305419896,\"type\":200}"
          }]},
          "rtp": {"total": 0, "data": []}
        }"#;
        let qos = QosResponse::from_body(body).unwrap();
        assert_eq!(qos.rtcp.total, 1);
        let row = &qos.rtcp.data[0];
        assert!(row
            .raw
            .as_deref()
            .unwrap()
            .starts_with(r#"{"sender_information""#));
        assert_eq!(row.time_ms(), Some(1_700_000_130_120));
        assert_eq!(row.data_node(), Some("localnode"));
        assert!(qos.rtp.data.is_empty());
    }

    #[test]
    fn qos_and_log_accept_empty_body() {
        assert_eq!(QosResponse::from_body("").unwrap(), QosResponse::default());
        assert_eq!(
            LogResponse::from_body("  \n").unwrap(),
            LogResponse::default()
        );
    }

    #[test]
    fn qos_rejects_non_json_body_with_endpoint_in_message() {
        let err = QosResponse::from_body("<html>").unwrap_err();
        assert!(err.to_string().contains("call/report/qos"), "{err}");
    }

    #[test]
    fn log_reads_rows() {
        let log = LogResponse::from_body(
            r#"{"total":1,"data":[{"id":3,"sid":"cid","raw":"proxy: relayed","create_date":"2023-11-14T22:15:30Z"}]}"#,
        )
        .unwrap();
        assert_eq!(log.data[0].raw.as_deref(), Some("proxy: relayed"));
    }
}
