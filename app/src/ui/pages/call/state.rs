//! Loading state of the call and QoS views, and the keyed resource that reloads them when their
//! Call-IDs, API root or time change.

use std::future::Future;
use std::sync::Arc;

use leptos::prelude::*;

use crate::ui::api::keyed::KeyedResource;

pub use crate::domain::call_view::{CallQuery, CallTab};

/// Where loading a view's data is.
pub enum LoadState<T> {
    Loading,
    Failed(String),
    Loaded(Arc<T>),
}

impl<T> Clone for LoadState<T> {
    fn clone(&self) -> Self {
        match self {
            LoadState::Loading => LoadState::Loading,
            LoadState::Failed(e) => LoadState::Failed(e.clone()),
            LoadState::Loaded(t) => LoadState::Loaded(Arc::clone(t)),
        }
    }
}

/// Loads `load(key)` through a [`KeyedResource`] on `key` (values the URL gives: Call-IDs, API
/// root, time): a new key supersedes the running load and aborts its requests, and an answer for
/// an older key is never shown (until the new one lands the view says Loading).
pub fn keyed_load<K, T, E, F, Fut>(key: Memo<K>, load: F) -> Signal<LoadState<T>>
where
    K: Clone + PartialEq + Send + Sync + 'static,
    T: Send + Sync + 'static,
    E: std::fmt::Display,
    F: Fn(K) -> Fut + 'static,
    Fut: Future<Output = Result<T, E>> + 'static,
{
    let resource = KeyedResource::new(key, move |key| {
        let pending = load(key);
        async move { pending.await.map(Arc::new).map_err(|e| e.to_string()) }
    });
    Signal::derive(move || match resource.get() {
        None => LoadState::Loading,
        Some(Ok(loaded)) => LoadState::Loaded(loaded),
        Some(Err(e)) => LoadState::Failed(e),
    })
}

/// The error of a link without a Call-ID.
pub fn require_call_ids(ids: &[String]) -> Result<(), String> {
    if ids.is_empty() {
        Err("no Call-ID in the link".into())
    } else {
        Ok(())
    }
}
