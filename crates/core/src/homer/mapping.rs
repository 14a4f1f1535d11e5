//! Reference data: `GET /mapping/protocol`, `GET /database/node/list` and
//! `GET /smart/search/tag/:hepid/:profile` (`docs/homer7-api.md` §8.2, §8.4, §8.5).
//!
//! The mapping tells which filter ids the backend accepts for a profile.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lenient;
use super::search::FieldType;

/// One `fields_mapping` entry: a searchable field of a profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldMapping {
    /// The filter and smart-input id, e.g. `data_header.from_user`.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// Display label.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// `string` or `integer`.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// `input`, `select`, `multiselect`, `smart-input`, ...
    #[serde(deserialize_with = "lenient::string")]
    pub form_type: String,
    /// Suggested values: strings, or `{value, name}` objects for the node field.
    #[serde(deserialize_with = "lenient::seq_or_empty")]
    pub form_default: Vec<Value>,
    /// Form position.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub position: Option<i64>,
    /// Left out of forms and suggestions.
    #[serde(deserialize_with = "lenient::bool_or_false")]
    pub skip: bool,
    /// Hidden by default.
    #[serde(deserialize_with = "lenient::bool_or_false")]
    pub hide: bool,
}

/// One `correlation_mapping` entry (how a transaction pulls in related rows).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CorrelationMapping {
    /// Field taken from the rows already found.
    #[serde(deserialize_with = "lenient::string")]
    pub source_field: String,
    /// HEP id of the table searched.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub lookup_id: Option<i64>,
    /// Profile of the table searched.
    #[serde(deserialize_with = "lenient::string")]
    pub lookup_profile: String,
    /// Column or expression compared.
    #[serde(deserialize_with = "lenient::string")]
    pub lookup_field: String,
    /// `[seconds before, seconds after]` widening the window.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub lookup_range: Vec<i64>,
    /// Compare with `LIKE ANY` instead of `= ANY`.
    #[serde(deserialize_with = "lenient::bool_or_false")]
    pub like_search: bool,
}

/// One `mapping_schema` row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MappingProfile {
    /// Row guid.
    #[serde(deserialize_with = "lenient::string")]
    pub guid: String,
    /// `call`, `registration`, `default`, ...
    #[serde(deserialize_with = "lenient::string")]
    pub profile: String,
    /// HEP protocol id (1 SIP, 100 LOG, ...).
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub hepid: i64,
    /// Protocol label, e.g. `SIP`.
    #[serde(deserialize_with = "lenient::string")]
    pub hep_alias: String,
    /// Searchable fields.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub fields_mapping: Vec<FieldMapping>,
    /// Transaction correlation rules.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub correlation_mapping: Vec<CorrelationMapping>,
}

impl MappingProfile {
    /// The `param.search` key of this profile, e.g. `1_call`.
    pub fn search_key(&self) -> String {
        format!("{}_{}", self.hepid, self.profile)
    }

    /// Whether `id` may be sent as a filter name for this profile: a mapped id, or one of the
    /// names homer-app always accepts (§3.2).
    pub fn accepts_filter(&self, id: &str) -> bool {
        ALWAYS_ACCEPTED.contains(&id) || self.fields_mapping.iter().any(|f| f.id == id)
    }
}

/// Filter names homer-app accepts for every profile.
pub const ALWAYS_ACCEPTED: [&str; 6] = ["limit", "smartinput", "raw", "id", "sid", "create_date"];

/// The answer of `GET /api/v3/mapping/protocol` (200).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MappingList {
    /// Number of rows.
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub count: i64,
    /// The rows.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub data: Vec<MappingProfile>,
}

impl MappingList {
    /// The row for a search key such as `1_call`.
    pub fn profile(&self, search_key: &str) -> Option<&MappingProfile> {
        self.data.iter().find(|p| p.search_key() == search_key)
    }
}

/// One data-DB node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataNode {
    /// What goes into `param.location.node`, e.g. `localnode`.
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
    /// Display name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
}

/// The answer of `GET /api/v3/database/node/list` (200).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeList {
    /// Number of nodes.
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub count: i64,
    /// The nodes.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub data: Vec<DataNode>,
}

/// The JSON carried (URL-encoded) in `?query=` of the smart-tag endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmartTagQuery {
    /// The expression typed so far; suggestions follow its last word.
    pub data: String,
}

/// One smart-input suggestion. Insert `value`; `name` is only a label (and is rejected by the
/// parser).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmartTag {
    /// Display label such as `sip.from_user`.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Field id such as `data_header.from_user`.
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
}

/// The answer of `GET /api/v3/smart/search/tag/:hepid/:profile`: `{"data":{"data":[...]}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmartTagList {
    /// The wrapper object.
    pub data: SmartTagData,
}

/// Inner object of [`SmartTagList`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmartTagData {
    /// The suggestions.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub data: Vec<SmartTag>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_reads_default_call_profile_fields() {
        let json = r#"{"count":1,"data":[{"guid":"g","profile":"call","hepid":1,"hep_alias":"SIP",
          "partid":10,"version":1,"create_index":{},"create_table":"CREATE ...",
          "fields_settings":{},"schema_mapping":{},"schema_settings":{},
          "fields_mapping":[
            {"id":"sid","type":"string","index":"secondary","name":"Session ID","form_type":"input","position":1,"sid_type":true,"hide":false},
            {"id":"data_header.method","name":"SIP Method","type":"string","form_type":"input",
             "form_default":["INVITE","BYE","100"],"position":2,"skip":false,"hide":false,"method_type":true},
            {"id":"protocol_header.srcPort","name":"Src Port","type":"integer","form_type":"input"},
            {"id":"node","name":"Node","type":"string","form_type":"multiselect",
             "form_default":[{"value":"localnode","name":"Local node"}],"mapping":"param.location.node"}
          ],
          "correlation_mapping":[{"source_field":"data_header.callid","lookup_id":100,
            "lookup_profile":"default","lookup_field":"sid","lookup_range":[-300,200]}]}]}"#;
        let list: MappingList = serde_json::from_str(json).unwrap();
        let call = list.profile("1_call").unwrap();
        assert!(call.accepts_filter("data_header.method"));
        assert!(call.accepts_filter("limit"));
        assert!(!call.accepts_filter("data_header.ruri_domain"));
        assert_eq!(call.fields_mapping[2].field_type, FieldType::Integer);
        assert_eq!(call.fields_mapping[3].form_default.len(), 1);
        assert_eq!(call.correlation_mapping[0].lookup_range, vec![-300, 200]);
    }

    #[test]
    fn mapping_reads_error_body_as_empty() {
        let list: MappingList =
            serde_json::from_str(r#"{"data":{},"message":"data was not found"}"#).unwrap();
        assert!(list.data.is_empty());
    }

    #[test]
    fn node_list_reads_documented_shape() {
        let nodes: NodeList = serde_json::from_str(
            r#"{"count":1,"data":[{"value":"localnode","name":"LocalNode"}]}"#,
        )
        .unwrap();
        assert_eq!(nodes.data[0].value, "localnode");
    }

    #[test]
    fn smart_tags_read_nested_data() {
        let tags: SmartTagList = serde_json::from_str(
            r#"{"data":{"data":[{"name":"sip.from_user","value":"data_header.from_user"},{"name":"net.srcIp","value":"protocol_header.srcIp"}]}}"#,
        )
        .unwrap();
        assert_eq!(tags.data.data[1].value, "protocol_header.srcIp");
        assert_eq!(
            serde_json::to_string(&SmartTagQuery {
                data: "data_header.fr".into()
            })
            .unwrap(),
            r#"{"data":"data_header.fr"}"#
        );
    }
}
