//! `POST /api/v3/search/call/message`: one message (with `raw`) by row id (`docs/homer7-api.md` §4).
//!
//! Here `param.search.<key>` is an **object** (`{"id":n}` or `{"uuid":[..]}`) and `param.limit`
//! is used (it must be ≥ 1). The answer has the [`SearchResponse`](super::SearchResponse) shape.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::lenient;
use super::search::{Location, TimeWindow, TransactionFlags};
use super::ProfileKey;

/// Half width of homer-ui's window around a message's `create_date`, ms.
pub const MESSAGE_WINDOW_MS: i64 = 5_000;

/// `param.search.<key>` of a message request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSelector {
    /// Row id.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<i64>,
    /// Several row ids.
    #[serde(
        default,
        deserialize_with = "lenient::seq_lenient",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub uuid: Vec<i64>,
}

/// `param` of a message request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageParam {
    /// Row limit; must be ≥ 1 (0 returns nothing).
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub limit: i64,
    /// One key `<hepid>_<profile>` → the row selector.
    #[serde(default)]
    pub search: BTreeMap<String, MessageSelector>,
    /// Data-DB nodes.
    #[serde(default)]
    pub location: Location,
    /// Profile flags, as homer-ui sends them.
    #[serde(default)]
    pub transaction: TransactionFlags,
}

/// The body of `POST /api/v3/search/call/message` (and `/search/call/decode/message`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRequest {
    /// Must contain the row's DB `create_date` (second resolution).
    #[serde(default)]
    pub timestamp: TimeWindow,
    /// Selector and options.
    #[serde(default)]
    pub param: MessageParam,
}

impl MessageRequest {
    /// The request for row `id` of `profile`, captured at `create_date_ms`
    /// (window ± [`MESSAGE_WINDOW_MS`], limit 1, as homer-ui sends it).
    pub fn by_id(profile: &ProfileKey, id: i64, create_date_ms: i64) -> Self {
        let mut search = BTreeMap::new();
        search.insert(
            profile.as_str().to_owned(),
            MessageSelector {
                id: Some(id),
                uuid: Vec::new(),
            },
        );
        Self {
            timestamp: TimeWindow::around(create_date_ms, MESSAGE_WINDOW_MS),
            param: MessageParam {
                limit: 1,
                search,
                location: Location::default(),
                transaction: TransactionFlags::for_profile(profile),
            },
        }
    }

    /// Restricts the lookup to these data-DB nodes.
    pub fn with_nodes(mut self, nodes: Vec<String>) -> Self {
        self.param.location.node = nodes;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::super::SearchResponse;
    use super::*;

    #[test]
    fn message_request_serializes_like_homer_ui() {
        let req = MessageRequest::by_id(&ProfileKey::call(), 4711, 1_700_000_123_456)
            .with_nodes(vec!["localnode".into()]);
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            concat!(
                r#"{"timestamp":{"from":1700000118456,"to":1700000128456},"param":{"limit":1,"#,
                r#""search":{"1_call":{"id":4711}},"location":{"node":["localnode"]},"#,
                r#""transaction":{"call":true,"registration":false,"rest":false}}}"#
            )
        );
    }

    #[test]
    fn message_request_reads_uuid_selector() {
        let req: MessageRequest = serde_json::from_str(
            r#"{"timestamp":{"from":1,"to":2},"param":{"limit":1,"search":{"1_default":{"uuid":[1,2]}}}}"#,
        )
        .unwrap();
        let selector = req.param.search.get("1_default").unwrap();
        assert_eq!(selector.id, None);
        assert_eq!(selector.uuid, vec![1, 2]);
    }

    #[test]
    fn message_response_reads_raw_and_micro_ts() {
        let json = r#"{"total":1,"keys":["raw"],"data":[{"id":4711,"sid":"cid",
          "raw":"INVITE sip:2002@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5\r\n\r\n",
          "create_ts":1700000123456,"micro_ts":1700000123456789,"uuid":4711}]}"#;
        let resp: SearchResponse = serde_json::from_str(json).unwrap();
        let row = &resp.data[0];
        assert!(row.raw.as_deref().unwrap().starts_with("INVITE "));
        assert_eq!(row.time_us(), Some(1_700_000_123_456_789));
        assert!(row.node.is_empty());
    }
}
