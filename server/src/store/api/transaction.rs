//! `POST /call/transaction` (a call flow with its correlated legs, RTCP and logs),
//! `POST /call/report/qos` and `POST /call/report/log` (`docs/homer7-api.md` §5, §6).
//!
//! Correlation (§5.2, improved): starting from the requested Call-IDs, the store follows its
//! correlation links both ways — a row carrying an id as X-CID (or another configured header, or
//! the HEP correlation chunk) pulls in its own Call-ID, and a Call-ID pulls in the values its rows
//! carry — plus the `_b2b-1` suffix, until nothing new turns up. Correlated rows are looked up in
//! the window widened by 300 s before and 200 s after, like homer-app's default mapping.

use app::domain::homer::TransactionRequest;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rusqlite::Connection;
use serde_json::{json, Value};

use super::rows::{row_json, table_answer, transaction_data, Shape};
use super::search::profile_of_key;
use super::{body, node_selected, part, window, ApiError};
use crate::store::index::Profile;
use crate::store::read::{self, StoredRow, Window};
use crate::store::{Store, StoreError};

/// Correlated rows may be this much older than the window, µs.
const LOOKUP_BEFORE_US: i64 = 300_000_000;
/// Correlated rows may be this much newer than the window, µs.
const LOOKUP_AFTER_US: i64 = 200_000_000;
/// Link-following rounds at most (legs of legs of legs).
const MAX_ROUNDS: usize = 4;
/// Session keys followed at most, so a chatty correlation value cannot pull in everything.
const MAX_KEYS: usize = 200;
/// homer-app's B2BUA suffix (`CorrelationMapping1call`).
const B2B_SUFFIX: &str = "_b2b-1";

/// A validated transaction-shaped request.
pub(super) struct Selection {
    pub profiles: Vec<Profile>,
    pub call_ids: Vec<String>,
    pub window: Window,
    pub whitelist: Vec<String>,
    pub node_selected: bool,
}

/// Reads and checks a transaction, QoS, log or export request.
pub(super) fn selection(
    request: Result<Json<Value>, JsonRejection>,
    check_keys: bool,
) -> Result<Selection, ApiError> {
    let request = body(request)?;
    let window = window(&request)?;
    let parsed: TransactionRequest = part(&request, "body")?;
    if parsed.param.search.is_empty() {
        return Err(ApiError::BadRequest(
            "param.search must hold a profile key with a callid list".into(),
        ));
    }
    let mut profiles = Vec::new();
    for (key, selector) in &parsed.param.search {
        if check_keys {
            let profile = profile_of_key(key)?;
            if !profiles.contains(&profile) {
                profiles.push(profile);
            }
        }
        if selector.callid.is_empty() {
            return Err(ApiError::BadRequest(format!(
                "param.search.{key}.callid must list at least one Call-ID"
            )));
        }
    }
    Ok(Selection {
        profiles,
        call_ids: parsed.call_ids().into_iter().map(str::to_owned).collect(),
        window,
        whitelist: parsed.param.whitelist.clone(),
        node_selected: node_selected(&request),
    })
}

/// Every session key linked to `call_ids` (the ids themselves first).
fn linked_keys(
    conn: &Connection,
    window: Window,
    call_ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut keys: Vec<String> = call_ids.to_vec();
    let mut frontier = keys.clone();
    for _ in 0..MAX_ROUNDS {
        let mut found = read::linked_keys(conn, window, &frontier)?;
        for key in &frontier {
            match key.strip_suffix(B2B_SUFFIX) {
                Some(a_leg) => found.push(a_leg.to_owned()),
                None => found.push(format!("{key}{B2B_SUFFIX}")),
            }
        }
        frontier = Vec::new();
        for key in found {
            if !keys.contains(&key) && keys.len() < MAX_KEYS {
                keys.push(key.clone());
                frontier.push(key);
            }
        }
        if frontier.is_empty() {
            break;
        }
    }
    Ok(keys)
}

/// The rows of a transaction: the requested Call-IDs in `profiles` within the window, the
/// correlated legs, RTCP and log rows within the widened window; oldest first, whitelisted IPs
/// left out; at most `limit` rows ([`StoreError::RowLimit`] beyond).
pub(super) fn transaction_rows(
    conn: &Connection,
    selection: &Selection,
    limit: usize,
) -> Result<Vec<StoredRow>, StoreError> {
    let wide = selection.window.widened(LOOKUP_BEFORE_US, LOOKUP_AFTER_US);
    let keys = linked_keys(conn, wide, &selection.call_ids)?;
    let mut rows = read::rows_by_sid(
        conn,
        &selection.profiles,
        selection.window,
        &selection.call_ids,
        limit,
    )?;
    let correlated: Vec<String> = keys
        .iter()
        .filter(|k| !selection.call_ids.contains(k))
        .cloned()
        .collect();
    if !correlated.is_empty() {
        rows.extend(read::rows_by_sid(
            conn,
            &selection.profiles,
            wide,
            &correlated,
            limit,
        )?);
    }
    rows.extend(read::rows_by_sid(
        conn,
        &[Profile::Rtcp, Profile::Log],
        wide,
        &keys,
        limit,
    )?);
    rows.retain(|r| {
        !selection
            .whitelist
            .iter()
            .any(|ip| *ip == r.row.src_ip || *ip == r.row.dst_ip)
    });
    rows.sort_by_key(|r| (r.row.time_us, r.id));
    rows.dedup_by_key(|r| r.id);
    if rows.len() > limit {
        return Err(StoreError::RowLimit(limit));
    }
    Ok(rows)
}

/// Reads a transaction's rows within the store's search time budget and row cap.
pub(super) async fn read_transaction(
    store: &Store,
    selection: Selection,
) -> Result<Vec<StoredRow>, StoreError> {
    let config = store.config();
    let limit = config.transaction_max_rows;
    store
        .read_within(config.search_timeout, move |conn| {
            transaction_rows(conn, &selection, limit)
        })
        .await
}

pub(super) async fn call_transaction(
    State(store): State<Store>,
    request: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let selection = selection(request, true)?;
    if !selection.node_selected {
        return Ok((StatusCode::CREATED, Json(empty_transaction())));
    }
    let rows = read_transaction(&store, selection).await?;
    if rows.is_empty() {
        return Ok((StatusCode::CREATED, Json(empty_transaction())));
    }
    let data = transaction_data(&rows, store.aliases());
    let mut keys: Vec<String> = data["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "total": rows.len(), "keys": keys, "data": data })),
    ))
}

fn empty_transaction() -> Value {
    json!({"total": 0, "keys": [], "data": {"messages": [], "hosts": {}, "calldata": [], "alias": {}}})
}

/// Rows of `profiles` with the requested `sid`s in the exact window.
async fn report_rows(
    store: &Store,
    selection: Selection,
    profiles: &'static [Profile],
) -> Result<Vec<StoredRow>, ApiError> {
    if !selection.node_selected {
        return Ok(Vec::new());
    }
    let config = store.config();
    let limit = config.transaction_max_rows;
    Ok(store
        .read_within(config.search_timeout, move |conn| {
            read::rows_by_sid(conn, profiles, selection.window, &selection.call_ids, limit)
        })
        .await?)
}

pub(super) async fn report_qos(
    State(store): State<Store>,
    request: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let selection = selection(request, false)?;
    let rows = report_rows(&store, selection, &[Profile::Rtcp, Profile::Report]).await?;
    let section = |profile: Profile| {
        let data: Vec<Value> = rows
            .iter()
            .filter(|r| r.row.profile == Some(profile))
            .map(|r| row_json(r, Shape::Report, store.aliases()))
            .collect();
        json!({ "total": data.len(), "data": data })
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({ "rtcp": section(Profile::Rtcp), "rtp": section(Profile::Report) })),
    ))
}

pub(super) async fn report_log(
    State(store): State<Store>,
    request: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let selection = selection(request, false)?;
    let rows = report_rows(&store, selection, &[Profile::Log]).await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|r| row_json(r, Shape::Report, store.aliases()))
        .collect();
    let mut answer = table_answer(data);
    if let Some(object) = answer.as_object_mut() {
        object.remove("keys");
    }
    Ok((StatusCode::CREATED, Json(answer)))
}
