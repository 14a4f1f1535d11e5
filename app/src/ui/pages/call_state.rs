//! Loading state of the call and QoS views, and the effect that reloads them when their Call-IDs,
//! backend or time change.

use std::future::Future;
use std::sync::Arc;

use leptos::prelude::*;

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

/// Runs `load(call_ids, backend, t)` whenever `key` changes and keeps the result in the returned
/// signal. No Call-ID is an error; an answer arriving after the view was left is dropped.
pub fn load_on_change<X, T, E, F, Fut>(
    key: Memo<(Vec<String>, String, X)>,
    load: F,
) -> RwSignal<LoadState<T>>
where
    X: Clone + PartialEq + Send + Sync + 'static,
    T: Send + Sync + 'static,
    E: std::fmt::Display,
    F: Fn(Vec<String>, String, X) -> Fut + 'static,
    Fut: Future<Output = Result<T, E>> + 'static,
{
    let state = RwSignal::new(LoadState::Loading);
    Effect::new(move |_| {
        let (ids, backend, t) = key.get();
        if ids.is_empty() {
            state.set(LoadState::Failed("no Call-ID in the link".into()));
            return;
        }
        state.set(LoadState::Loading);
        let pending = load(ids, backend, t);
        leptos::task::spawn_local(async move {
            // The view may have been left while loading.
            state.try_set(match pending.await {
                Ok(loaded) => LoadState::Loaded(Arc::new(loaded)),
                Err(e) => LoadState::Failed(e.to_string()),
            });
        });
    });
    state
}
