//! Stored rows written in homer-app's answer shapes: the flattened `protocol_header` +
//! `data_header` object of search, message, transaction and QoS/log answers, and the transaction's
//! `calldata`, `hosts` and `alias` (`docs/homer7-api.md` §3.5, §4, §5.3, §6.2).
//!
//! homer-app's bugs are not copied (§14.2): `aliasSrc`/`aliasDst` are each resolved from their own
//! address, `to_domain` is the To host, `calldata[].ruri_user` is the R-URI user.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::reference::{host_key, resolve, NODE};
use crate::store::index::{Profile, Row};
use crate::store::read::StoredRow;
use hepscope_store::config::AliasConfig;

/// Which answer a row is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `/search/call/data`: `create_date` in ms, `table`, aliases; `raw` only for logs.
    Search,
    /// `/search/call/message`: `raw`, `create_ts`, `micro_ts`, no node.
    Message,
    /// `/call/transaction`: `raw`, `profile`, `create_date`/`create_ts` ms, `micro_ts` µs.
    Transaction,
    /// `/call/report/qos` and `/log`: `raw`, `create_date` as RFC 3339 text.
    Report,
}

fn profile_of(row: &Row) -> Profile {
    row.profile.unwrap_or(Profile::SipDefault)
}

/// The `proto` word of a non-SIP row's data header.
fn proto_word(payload_type: u8) -> String {
    match payload_type {
        5 => "rtcp".into(),
        100 => "log".into(),
        34 => "rtpagent".into(),
        35 => "rtcpxr".into(),
        53 => "dns".into(),
        other => other.to_string(),
    }
}

/// The row as one flattened JSON object in `shape`.
pub fn row_json(stored: &StoredRow, shape: Shape, aliases: &[AliasConfig]) -> Value {
    let row = &stored.row;
    let mut m = Map::new();
    let secs = row.time_us.div_euclid(1_000_000);
    let micros = row.time_us.rem_euclid(1_000_000);
    let ms = row.time_us.div_euclid(1000);
    m.insert("protocolFamily".into(), json!(row.family));
    m.insert("protocol".into(), json!(row.transport));
    m.insert("srcIp".into(), json!(row.src_ip));
    m.insert("dstIp".into(), json!(row.dst_ip));
    m.insert("srcPort".into(), json!(row.src_port));
    m.insert("dstPort".into(), json!(row.dst_port));
    m.insert("timeSeconds".into(), json!(secs));
    m.insert("timeUseconds".into(), json!(micros));
    m.insert("payloadType".into(), json!(row.payload_type));
    m.insert("captureId".into(), json!(row.node));
    m.insert("correlation_id".into(), json!(row.correlation_id_or_sid()));
    let profile = profile_of(row);
    if profile.is_sip() {
        for (key, value) in [
            ("ruri_user", &row.ruri_user),
            ("ruri_domain", &row.ruri_domain),
            ("from_user", &row.from_user),
            ("from_tag", &row.from_tag),
            ("to_user", &row.to_user),
            ("to_tag", &row.to_tag),
            ("callid", &row.sid),
            ("cseq", &row.cseq),
            ("method", &row.method),
            ("user_agent", &row.user_agent),
        ] {
            m.insert(key.into(), json!(value));
        }
        if shape == Shape::Transaction {
            m.insert("from_domain".into(), json!(row.from_domain));
            m.insert("to_domain".into(), json!(row.to_domain));
        }
    } else {
        m.insert("proto".into(), json!(proto_word(row.payload_type)));
    }
    m.insert("id".into(), json!(stored.id));
    m.insert("sid".into(), json!(row.sid));
    let raw = || json!(String::from_utf8_lossy(&row.raw));
    match shape {
        Shape::Search => {
            m.insert("uuid".into(), json!(stored.id));
            m.insert("create_date".into(), json!(ms));
            m.insert("node".into(), json!(NODE));
            m.insert("dbnode".into(), json!(NODE));
            let src = host_key(&row.src_ip, row.src_port);
            let dst = host_key(&row.dst_ip, row.dst_port);
            let src_alias = resolve(aliases, &row.src_ip, row.src_port).map_or(src, str::to_owned);
            let dst_alias = resolve(aliases, &row.dst_ip, row.dst_port).map_or(dst, str::to_owned);
            m.insert("aliasSrc".into(), json!(src_alias));
            m.insert("aliasDst".into(), json!(dst_alias));
            m.insert(
                "table".into(),
                json!(format!("hep_proto_{}", profile.key())),
            );
            if profile == Profile::Log {
                m.insert("raw".into(), raw());
            }
        }
        Shape::Message => {
            m.insert("uuid".into(), json!(stored.id));
            m.insert("raw".into(), raw());
            m.insert("create_ts".into(), json!(ms));
            m.insert("micro_ts".into(), json!(row.time_us));
        }
        Shape::Transaction => {
            m.insert("raw".into(), raw());
            m.insert("profile".into(), json!(profile.key()));
            m.insert("node".into(), json!(NODE));
            m.insert("dbnode".into(), json!(NODE));
            m.insert("create_date".into(), json!(ms));
            m.insert("create_ts".into(), json!(ms));
            m.insert("micro_ts".into(), json!(row.time_us));
        }
        Shape::Report => {
            m.insert("raw".into(), raw());
            m.insert("node".into(), json!(NODE));
            m.insert("dbnode".into(), json!(NODE));
            m.insert("profile".into(), json!(""));
            m.insert("create_date".into(), json!(rfc3339(row.time_us)));
        }
    }
    Value::Object(m)
}

/// RFC 3339 UTC text with trailing zeros of the fraction trimmed (Go's RFC3339Nano).
pub fn rfc3339(time_us: i64) -> String {
    jiff::Timestamp::from_microsecond(time_us)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// `{"total", "keys", "data"}` with `keys` the sorted union of the rows' keys.
pub fn table_answer(data: Vec<Value>) -> Value {
    let mut keys: Vec<String> = data
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    json!({ "total": data.len(), "keys": keys, "data": data })
}

/// The `method` of a calldata element: the SIP method or status, else a label from the payload
/// type.
fn calldata_method(row: &Row) -> String {
    if profile_of(row).is_sip() {
        return row.method.clone();
    }
    match row.payload_type {
        5 => "RTCP",
        100 => "LOG",
        34 | 35 => "Report RTP",
        54 => "ISUP",
        81 => "CDR",
        200 => "Loki Data",
        _ => "Generic",
    }
    .into()
}

/// The `data` object of a transaction answer for rows sorted oldest first.
pub fn transaction_data(rows: &[StoredRow], aliases: &[AliasConfig]) -> Value {
    let mut hosts: Vec<String> = Vec::new();
    let position = |key: &str, hosts: &mut Vec<String>| match hosts.iter().position(|h| h == key) {
        Some(p) => p,
        None => {
            hosts.push(key.to_owned());
            hosts.len() - 1
        }
    };
    let mut messages = Vec::with_capacity(rows.len());
    let mut calldata = Vec::with_capacity(rows.len());
    for stored in rows {
        let row = &stored.row;
        let src = host_key(&row.src_ip, row.src_port);
        let dst = host_key(&row.dst_ip, row.dst_port);
        position(&src, &mut hosts);
        let destination = position(&dst, &mut hosts);
        let alias_src = resolve(aliases, &row.src_ip, row.src_port).unwrap_or(&src);
        let alias_dst = resolve(aliases, &row.dst_ip, row.dst_port).unwrap_or(&dst);
        let method = calldata_method(row);
        calldata.push(json!({
            "id": stored.id,
            "sid": row.sid,
            "srcHost": row.src_ip,
            "dstHost": row.dst_ip,
            "srcId": src,
            "dstId": dst,
            "srcIp": row.src_ip,
            "dstIp": row.dst_ip,
            "srcPort": row.src_port,
            "dstPort": row.dst_port,
            "aliasSrc": alias_src,
            "aliasDst": alias_dst,
            "method": method,
            "method_text": method,
            "create_date": row.time_us.div_euclid(1000),
            "micro_ts": row.time_us,
            "protocol": row.transport,
            "msg_color": "blue",
            "table": "",
            "ruri_user": row.ruri_user,
            "destination": destination,
        }));
        messages.push(row_json(stored, Shape::Transaction, aliases));
    }
    let mut host_map = BTreeMap::new();
    let mut alias_map = BTreeMap::new();
    for (index, key) in hosts.iter().enumerate() {
        host_map.insert(key.clone(), json!({ "host": [key], "position": index }));
        let name = key
            .rsplit_once(':')
            .and_then(|(ip, port)| {
                let ip = ip.trim_start_matches('[').trim_end_matches(']');
                resolve(aliases, ip, port.parse().ok()?)
            })
            .unwrap_or(key);
        alias_map.insert(key.clone(), json!(name));
    }
    json!({
        "messages": messages,
        "hosts": host_map,
        "calldata": calldata,
        "alias": alias_map,
    })
}
