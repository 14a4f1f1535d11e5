//! The search profiles' field mappings (`GET /mapping/protocol`) and the filter allowlist derived
//! from them, built from HOMER 7's default `mapping_schema` rows kept in `mapping.json` (a copy of
//! HOMER's defaults) plus the SIP fields the store keeps beyond them ([`STORE_SIP_FIELDS`]).

use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::store::index::Profile;

/// HOMER's default mapping rows (profile, hepid, hep_alias, fields_mapping, correlation_mapping).
const MAPPING_JSON: &str = include_str!("mapping.json");

fn rows() -> &'static [Value] {
    static ROWS: OnceLock<Vec<Value>> = OnceLock::new();
    ROWS.get_or_init(|| {
        serde_json::from_str::<Value>(MAPPING_JSON)
            .ok()
            .and_then(|doc| doc.get("rows").and_then(Value::as_array).cloned())
            .unwrap_or_default()
    })
}

/// The mapping row of a `<hepid>_<profile>` key, if HOMER has one.
fn row_for(hepid: i64, profile: &str) -> Option<&'static Value> {
    rows().iter().find(|row| {
        row.get("hepid").and_then(Value::as_i64) == Some(hepid)
            && row.get("profile").and_then(Value::as_str) == Some(profile)
    })
}

/// SIP fields the store keeps and searches beyond HOMER 7's default mapping, as an admin adds
/// them to HOMER's: the domains of the Request-URI, From and To. Listed in every SIP profile's
/// `fields_mapping` so clients that check the mapping (the app's query compiler) may send them.
const STORE_SIP_FIELDS: [(&str, &str); 3] = [
    ("data_header.ruri_domain", "SIP RURI domain"),
    ("data_header.from_domain", "SIP From domain"),
    ("data_header.to_domain", "SIP To domain"),
];

/// The `fields_mapping` entries of [`STORE_SIP_FIELDS`], after HOMER's own (`after` entries).
fn store_sip_entries(after: usize) -> impl Iterator<Item = Value> {
    STORE_SIP_FIELDS
        .iter()
        .enumerate()
        .map(move |(i, (id, name))| {
            json!({
                "id": id, "name": name, "type": "string", "index": "none", "form_type": "input",
                "position": after + i + 1, "skip": false, "hide": true,
            })
        })
}

fn field_ids(row: &Value) -> impl Iterator<Item = &str> {
    row.get("fields_mapping")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|field| field.get("id").and_then(Value::as_str))
}

/// Whether a filter may name `id` on `profile`: the ids of the profile's `fields_mapping`
/// (`docs/homer7-api.md` §3.2). RTCP and report tables, which HOMER does not map, allow the
/// `protocol_header.*` ids.
pub fn allows(profile: Profile, id: &str) -> bool {
    let (hepid, name) = match profile {
        Profile::Call => (1, "call"),
        Profile::Registration => (1, "registration"),
        Profile::SipDefault => (1, "default"),
        Profile::Log => (100, "default"),
        Profile::Rtcp | Profile::Report => return id.starts_with("protocol_header."),
    };
    let store_field = hepid == 1 && STORE_SIP_FIELDS.iter().any(|(f, _)| *f == id);
    row_for(hepid, name).is_some_and(|row| store_field || field_ids(row).any(|f| f == id))
}

/// The answer of `GET /mapping/protocol`: `{"count", "data": [mapping_schema rows]}`.
pub fn protocol_list() -> Value {
    let data: Vec<Value> = rows()
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let hepid = row.get("hepid").and_then(Value::as_i64).unwrap_or(0);
            let mut fields: Vec<Value> = row
                .get("fields_mapping")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if hepid == 1 {
                let after = fields.len();
                fields.extend(store_sip_entries(after));
            }
            json!({
                "guid": format!("{hepid:08x}-0000-4000-8000-{index:012x}"),
                "profile": row.get("profile").cloned().unwrap_or(Value::Null),
                "hepid": hepid,
                "hep_alias": row.get("hep_alias").cloned().unwrap_or(Value::Null),
                "partid": 10,
                "version": 1,
                "retention": 7,
                "partition_step": 1,
                "create_index": {},
                "create_table": "",
                "correlation_mapping": row.get("correlation_mapping").cloned().unwrap_or(json!([])),
                "fields_mapping": fields,
                "fields_settings": {},
                "schema_mapping": {},
                "schema_settings": {},
            })
        })
        .collect();
    json!({ "count": data.len(), "data": data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_mapping_has_the_sip_and_log_profiles() {
        assert!(allows(Profile::Call, "data_header.ruri_user"));
        assert!(!allows(Profile::SipDefault, "data_header.ruri_user"));
        assert!(allows(Profile::Registration, "data_header.from_user"));
        assert!(allows(Profile::Log, "protocol_header.srcIp"));
        assert!(allows(Profile::Rtcp, "protocol_header.srcIp"));
        assert!(!allows(Profile::Call, "data_header.pid_user"));
        let list = protocol_list();
        assert_eq!(list["count"], 5);
        assert_eq!(list["data"][1]["profile"], "call");
        assert_eq!(list["data"][1]["partid"], 10);
    }

    #[test]
    fn sip_profiles_also_map_the_domains_the_store_keeps() {
        for profile in [Profile::Call, Profile::Registration, Profile::SipDefault] {
            for (id, _) in STORE_SIP_FIELDS {
                assert!(allows(profile, id), "{profile:?} {id}");
            }
        }
        assert!(!allows(Profile::Log, "data_header.ruri_domain"));
        assert!(!allows(Profile::Rtcp, "data_header.from_domain"));
        let list = protocol_list();
        for row in list["data"].as_array().unwrap() {
            let ids: Vec<&str> = row["fields_mapping"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|f| f["id"].as_str())
                .collect();
            let sip = row["hepid"] == 1;
            assert_eq!(ids.contains(&"data_header.to_domain"), sip, "{ids:?}");
        }
    }
}
