//! `POST /api/v3/search/call/data`: the grid search request and its answer (`docs/homer7-api.md` §3).
//!
//! Requests are built so they avoid homer-app's pitfalls (§3.3): exactly one `param.search` key,
//! string values only, the `limit` element last. Answers are read leniently.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::lenient;
use super::row::HomerRow;
use super::ProfileKey;

/// `timestamp`: the search window, epoch **milliseconds** (homer-app floors them to seconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// Start, epoch ms (inclusive).
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub from: i64,
    /// End, epoch ms (inclusive).
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub to: i64,
}

impl TimeWindow {
    /// A window from `from` to `to`, both epoch ms.
    pub fn new(from: i64, to: i64) -> Self {
        Self { from, to }
    }

    /// The window `center_ms ± half_width_ms` (homer-ui: ± 300 000 ms for a transaction,
    /// ± 5 000 ms for one message).
    pub fn around(center_ms: i64, half_width_ms: i64) -> Self {
        Self {
            from: center_ms.saturating_sub(half_width_ms),
            to: center_ms.saturating_add(half_width_ms),
        }
    }
}

/// A filter element's `type`, from the profile's `fields_mapping`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Compared as text.
    #[default]
    String,
    /// Cast with `::int` (negation is broken for these in homer-app).
    Integer,
    /// Any other type name (read only; homer-app treats it like `string`).
    #[serde(other)]
    Other,
}

/// One element of `param.search["<key>"]`.
///
/// `value` carries homer-app's value syntax: `%` → LIKE, `!=` prefix → negation, `;` → IN list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterElement {
    /// Full mapping id, e.g. `data_header.from_user`, `sid`, `limit`, `smartinput`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Always a JSON string on the wire (homer-app skips any other type).
    #[serde(default, deserialize_with = "lenient::string")]
    pub value: String,
    /// Field type from the mapping.
    #[serde(rename = "type", default)]
    pub field_type: FieldType,
    /// HEP protocol id (ignored by homer-app; homer-ui sends 1 for SIP).
    #[serde(default = "default_hepid", deserialize_with = "lenient::i64_or_zero")]
    pub hepid: i64,
}

fn default_hepid() -> i64 {
    1
}

impl FilterElement {
    /// A string filter on `name` with homer-app value syntax in `value`.
    pub fn string(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            field_type: FieldType::String,
            hepid: 1,
        }
    }

    /// A filter on a field HOMER's mapping types `integer` (ports): homer-app casts the column
    /// with `::int` for these. The value is still sent as a string (§3.1).
    pub fn integer(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            field_type: FieldType::Integer,
            ..Self::string(name, value)
        }
    }

    /// The row-limit element (`{"name":"limit","value":"<n>"}`); it must come last.
    pub fn limit(limit: u32) -> Self {
        Self::string(LIMIT_NAME, limit.to_string())
    }

    /// Whether this is the row-limit element.
    pub fn is_limit(&self) -> bool {
        self.name == LIMIT_NAME
    }
}

/// Name of the row-limit filter element.
pub const LIMIT_NAME: &str = "limit";
/// Name of the smart-input expression element (never combined with other filters).
pub const SMARTINPUT_NAME: &str = "smartinput";

/// `param.location`: data-DB nodes to query; empty means all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Node names from `/database/node/list` (`value`). Sent as an array; read as string or array.
    #[serde(default, deserialize_with = "lenient::string_or_seq")]
    pub node: Vec<String>,
}

/// `param.transaction`: which profiles a transaction covers (`{}` in grid searches).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionFlags {
    /// Call profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<bool>,
    /// Registration profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<bool>,
    /// Any other profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest: Option<bool>,
}

impl TransactionFlags {
    /// The flags homer-ui derives from a profile key.
    pub fn for_profile(profile: &ProfileKey) -> Self {
        let call = profile.as_str() == ProfileKey::CALL;
        let registration = profile.as_str() == ProfileKey::REGISTRATION;
        Self {
            call: Some(call),
            registration: Some(registration),
            rest: Some(!call && !registration),
        }
    }
}

/// `param.timezone` (ignored by the backend, sent for parity with homer-ui).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimezoneParam {
    /// Minutes **behind** UTC, as JavaScript's `getTimezoneOffset` (UTC+1 → -60).
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub value: i64,
    /// IANA zone name, or `Local`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
}

impl TimezoneParam {
    /// The parameter for `tz` at the instant `at`.
    pub fn from_zone(tz: &jiff::tz::TimeZone, at: jiff::Timestamp) -> Self {
        let offset_seconds = i64::from(tz.to_offset(at).seconds());
        Self {
            value: -(offset_seconds / 60),
            name: tz.iana_name().unwrap_or("Local").to_owned(),
        }
    }
}

/// `param` of a grid search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchParam {
    /// Exactly one key `<hepid>_<profile>` chooses the table; its filter elements.
    #[serde(default)]
    pub search: BTreeMap<String, Vec<FilterElement>>,
    /// Data-DB nodes.
    #[serde(default)]
    pub location: Location,
    /// Join filters with OR instead of AND (hepscope always sends `false`).
    #[serde(default, deserialize_with = "lenient::bool_or_false")]
    pub orlogic: bool,
    /// Ignored by this endpoint (the `limit` element counts); sent for parity with homer-ui.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub limit: i64,
    /// `{}` for grid searches.
    #[serde(default)]
    pub transaction: TransactionFlags,
    /// Ignored by the backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<TimezoneParam>,
}

/// The body of `POST /api/v3/search/call/data`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// Search window, epoch ms.
    #[serde(default)]
    pub timestamp: TimeWindow,
    /// Filters and options.
    #[serde(default)]
    pub param: SearchParam,
}

impl SearchRequest {
    /// A grid search on `profile` within `window`, with `filters` ANDed and the `limit`
    /// element appended last (as homer-app's `buildQuery` needs, §3.3).
    ///
    /// Any `limit` element already in `filters` is dropped so there is exactly one, at the end.
    pub fn new(
        profile: &ProfileKey,
        window: TimeWindow,
        filters: Vec<FilterElement>,
        limit: u32,
    ) -> Self {
        let mut elements: Vec<FilterElement> =
            filters.into_iter().filter(|f| !f.is_limit()).collect();
        elements.push(FilterElement::limit(limit));
        let mut search = BTreeMap::new();
        search.insert(profile.as_str().to_owned(), elements);
        Self {
            timestamp: window,
            param: SearchParam {
                search,
                location: Location::default(),
                orlogic: false,
                limit: i64::from(limit),
                transaction: TransactionFlags::default(),
                timezone: None,
            },
        }
    }

    /// Restricts the search to these data-DB nodes.
    pub fn with_nodes(mut self, nodes: Vec<String>) -> Self {
        self.param.location.node = nodes;
        self
    }

    /// Sets the (informational) `param.timezone`.
    pub fn with_timezone(mut self, timezone: TimezoneParam) -> Self {
        self.param.timezone = Some(timezone);
        self
    }

    /// The profile key and its filter elements, if the request has exactly one key.
    pub fn single_search(&self) -> Option<(&str, &[FilterElement])> {
        let mut entries = self.param.search.iter();
        let (key, filters) = entries.next()?;
        if entries.next().is_some() {
            return None;
        }
        Some((key.as_str(), filters.as_slice()))
    }

    /// The row limit carried by the `limit` element (200 when absent, as in homer-app).
    pub fn row_limit(&self) -> u32 {
        self.single_search()
            .and_then(|(_, filters)| filters.iter().rev().find(|f| f.is_limit()))
            .map_or(DEFAULT_ROW_LIMIT, |f| f.value.trim().parse().unwrap_or(0))
    }
}

/// homer-app's row limit when no `limit` element is sent.
pub const DEFAULT_ROW_LIMIT: u32 = 200;

/// The answer of `/search/call/data` and `/search/call/message` (201).
///
/// `total` is the number of rows returned; `keys` is the union of row keys in random order.
/// Rows come sorted oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// Number of rows in `data`.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub total: i64,
    /// Union of the rows' keys (random order).
    #[serde(default, deserialize_with = "lenient::seq_lenient")]
    pub keys: Vec<String>,
    /// The rows.
    #[serde(default, deserialize_with = "lenient::seq_lenient")]
    pub data: Vec<HomerRow>,
}

/// The answers of several `search/call/data` requests, gathered.
#[derive(Clone, Debug, PartialEq)]
pub struct Gathered<E> {
    /// The rows of each answer that came, in request order.
    pub rows: Vec<Vec<HomerRow>>,
    /// The requests that failed.
    pub failures: Vec<E>,
    /// Whether an answer filled its request's row limit (so more rows may exist).
    pub limit_reached: bool,
}

/// Gathers `(row limit, answer)` pairs, one per request.
pub fn gather<E>(
    answers: impl IntoIterator<Item = (u32, Result<Vec<HomerRow>, E>)>,
) -> Gathered<E> {
    let mut gathered = Gathered {
        rows: Vec::new(),
        failures: Vec::new(),
        limit_reached: false,
    };
    for (row_limit, answer) in answers {
        match answer {
            Ok(data) => {
                gathered.limit_reached |= row_limit > 0 && data.len() >= row_limit as usize;
                gathered.rows.push(data);
            }
            Err(e) => gathered.failures.push(e),
        }
    }
    gathered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_keeps_answers_and_failures_and_sees_a_full_answer() {
        let row = HomerRow::default;
        let gathered = gather([
            (2u32, Ok::<_, &str>(vec![row(), row()])),
            (5, Ok(vec![row()])),
            (0, Ok(vec![row(); 3])),
            (9, Err("timeout")),
        ]);
        assert_eq!(
            gathered.rows.iter().map(Vec::len).collect::<Vec<_>>(),
            [2, 1, 3]
        );
        assert_eq!(gathered.failures, ["timeout"]);
        assert!(
            gathered.limit_reached,
            "the first answer filled its limit of 2"
        );
        let partial = gather([(5u32, Ok::<_, &str>(vec![row()])), (0, Ok(vec![row(); 9]))]);
        assert!(!partial.limit_reached, "a 0 limit never counts as filled");
    }

    #[test]
    fn search_request_serializes_with_limit_last() {
        let req = SearchRequest::new(
            &ProfileKey::call(),
            TimeWindow::new(1_700_000_000_000, 1_700_003_600_000),
            vec![
                FilterElement::limit(5),
                FilterElement::string("data_header.from_user", "1001"),
            ],
            200,
        )
        .with_nodes(vec!["localnode".into()])
        .with_timezone(TimezoneParam {
            value: -60,
            name: "Europe/Berlin".into(),
        });
        let json = serde_json::to_string(&req).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"{"timestamp":{"from":1700000000000,"to":1700003600000},"param":{"search":{"1_call":["#,
                r#"{"name":"data_header.from_user","value":"1001","type":"string","hepid":1},"#,
                r#"{"name":"limit","value":"200","type":"string","hepid":1}]},"#,
                r#""location":{"node":["localnode"]},"orlogic":false,"limit":200,"transaction":{},"#,
                r#""timezone":{"value":-60,"name":"Europe/Berlin"}}}"#
            )
        );
        assert_eq!(req.row_limit(), 200);
    }

    #[test]
    fn search_request_reads_homer_ui_body_with_lenient_types() {
        let json = r#"{
          "timestamp": {"from": "1700000000000", "to": 1700003600000},
          "param": {
            "search": {"1_call": [
              {"name": "data_header.from_user", "value": "1001", "type": "string", "hepid": 1, "func": null},
              {"name": "protocol_header.srcPort", "value": 5060, "type": "integer"},
              {"name": "limit", "value": "50", "type": "string", "hepid": "1"}
            ]},
            "location": {"node": "localnode"}, "orlogic": false, "limit": 200,
            "transaction": {}, "timezone": {"value": -180, "name": "Local"}, "whitelist": []
          }
        }"#;
        let req: SearchRequest = serde_json::from_str(json).unwrap();
        assert_eq!(req.timestamp.from, 1_700_000_000_000);
        assert_eq!(req.param.location.node, vec!["localnode"]);
        let (key, filters) = req.single_search().unwrap();
        assert_eq!(key, "1_call");
        assert_eq!(filters[1].value, "5060");
        assert_eq!(filters[1].field_type, FieldType::Integer);
        assert_eq!(req.row_limit(), 50);
    }

    #[test]
    fn row_limit_defaults_to_200_and_reads_garbage_as_zero() {
        let mut req = SearchRequest::new(&ProfileKey::call(), TimeWindow::new(0, 1), vec![], 7);
        if let Some(filters) = req.param.search.get_mut("1_call") {
            filters.clear();
        }
        assert_eq!(req.row_limit(), DEFAULT_ROW_LIMIT);
        if let Some(filters) = req.param.search.get_mut("1_call") {
            filters.push(FilterElement::string("limit", ""));
        }
        assert_eq!(req.row_limit(), 0);
    }

    #[test]
    fn search_response_reads_documented_example() {
        let json = r#"{
          "total": 1,
          "keys": ["aliasDst","aliasSrc","callid","create_date","id","method","node","sid"],
          "data": [{
            "id": 4711, "uuid": 4711, "sid": "a84b4c76e66710@pc33.example.com",
            "create_date": 1700000123456,
            "srcIp": "10.0.0.5", "srcPort": 5060, "dstIp": "10.0.0.9", "dstPort": 5060,
            "protocolFamily": 2, "protocol": 17, "payloadType": 1,
            "timeSeconds": 1700000123, "timeUseconds": 456789,
            "captureId": "2001", "correlation_id": "a84b4c76e66710@pc33.example.com",
            "method": "INVITE", "callid": "a84b4c76e66710@pc33.example.com", "cseq": "1 INVITE",
            "from_user": "1001", "from_tag": "9fxced76sl", "to_user": "2002", "to_tag": "",
            "ruri_user": "2002", "ruri_domain": "example.com", "user_agent": "Phone/1.0",
            "node": "localnode", "dbnode": "localnode",
            "aliasSrc": "10.0.0.5:5060", "aliasDst": "10.0.0.5:5060",
            "table": "hep_proto_1_call"
          }]
        }"#;
        let resp: SearchResponse = serde_json::from_str(json).unwrap();
        assert_eq!(resp.total, 1);
        let row = &resp.data[0];
        assert_eq!(row.sid, "a84b4c76e66710@pc33.example.com");
        assert_eq!(row.from_user, "1001");
        assert_eq!(row.table, "hep_proto_1_call");
        assert_eq!(row.time_ms(), Some(1_700_000_123_456));
    }

    #[test]
    fn search_response_reads_empty_and_error_shapes() {
        let empty: SearchResponse =
            serde_json::from_str(r#"{"data":[],"keys":[],"total":0}"#).unwrap();
        assert!(empty.data.is_empty());
        let error: SearchResponse =
            serde_json::from_str(r#"{"data":{},"message":"db data retrieve error"}"#).unwrap();
        assert!(error.data.is_empty());
        let nulls: SearchResponse =
            serde_json::from_str(r#"{"data":null,"keys":null,"total":"0"}"#).unwrap();
        assert_eq!(nulls.total, 0);
    }

    #[test]
    fn timezone_param_uses_js_offset_sign() {
        let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(1));
        let p = TimezoneParam::from_zone(&tz, jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(p.value, -60);
        assert_eq!(p.name, "Local");
    }
}
