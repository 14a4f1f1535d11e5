//! `POST /search/call/data` (the message grid) and `POST /search/call/message` (one message with
//! its text), `docs/homer7-api.md` §3 and §4.
//!
//! The search picks the newest rows matching the filters, in a fixed order (time, then id, newest
//! first) **before** the limit applies — homer-app has no ORDER BY and returns an arbitrary subset
//! — and answers them oldest first, one row per message, as homer-app does.

use app::domain::homer::{FilterElement, MessageRequest, ProfileKey};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;

use super::rows::{row_json, table_answer, Shape};
use super::{body, filter, node_selected, part, window, ApiError};
use crate::store::index::Profile;
use crate::store::read;
use crate::store::Store;

/// Reads a `param.search` key: homer's key rule, then one of the store's profiles.
pub(super) fn profile_of_key(key: &str) -> Result<Profile, ApiError> {
    ProfileKey::parse(key)
        .and_then(|k| Profile::from_key(k.as_str()))
        .ok_or_else(|| ApiError::BadRequest(format!("invalid search profile key: {key:?}")))
}

pub(super) async fn call_data(
    State(store): State<Store>,
    request: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request = body(request)?;
    let window = window(&request)?;
    let search = request
        .pointer("/param/search")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::BadRequest("param.search must be an object".into()))?;
    // homer-ui sometimes adds a `range` key; homer-app skips keys that fail the key rule.
    let mut keys = search
        .iter()
        .filter(|(k, _)| ProfileKey::parse(k).is_some());
    let (key, elements) = match (keys.next(), keys.next()) {
        (Some(entry), None) => entry,
        _ => {
            return Err(ApiError::BadRequest(
                "param.search must hold exactly one profile key such as \"1_call\"".into(),
            ))
        }
    };
    let profile = profile_of_key(key)?;
    if !elements.is_array() {
        return Err(ApiError::BadRequest(format!(
            "param.search.{key} must be an array of filter elements"
        )));
    }
    let elements: Vec<FilterElement> = part(elements, &format!("param.search.{key}"))?;
    let orlogic = request
        .pointer("/param/orlogic")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let compiled = filter::compile(profile, &elements, orlogic)?;
    if !node_selected(&request) {
        return Ok((StatusCode::CREATED, Json(table_answer(Vec::new()))));
    }
    let budget = store.config().search_timeout;
    let mut found = store
        .read_within(budget, move |conn| {
            read::search(conn, profile, window, &compiled.condition, compiled.limit)
        })
        .await?;
    found.reverse();
    let aliases = store.aliases();
    let data = found
        .iter()
        .map(|row| row_json(row, Shape::Search, aliases))
        .collect();
    Ok((StatusCode::CREATED, Json(table_answer(data))))
}

pub(super) async fn call_message(
    State(store): State<Store>,
    request: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request = body(request)?;
    let window = window(&request)?;
    let parsed: MessageRequest = part(&request, "body")?;
    let mut entries = parsed.param.search.iter();
    let (key, selector) = match (entries.next(), entries.next()) {
        (Some(entry), None) => entry,
        _ => {
            return Err(ApiError::BadRequest(
                "param.search must hold exactly one profile key such as \"1_call\"".into(),
            ))
        }
    };
    let profile = profile_of_key(key)?;
    let mut ids = selector.uuid.clone();
    ids.extend(selector.id);
    if ids.is_empty() {
        return Err(ApiError::BadRequest(
            "no ID or UUID has been provided".into(),
        ));
    }
    let limit = usize::try_from(parsed.param.limit.max(0)).unwrap_or(0);
    let found = store
        .read(move |conn| read::rows_by_id(conn, profile, window, &ids, limit))
        .await?;
    let data = found
        .iter()
        .map(|row| row_json(row, Shape::Message, store.aliases()))
        .collect();
    Ok((StatusCode::CREATED, Json(table_answer(data))))
}
