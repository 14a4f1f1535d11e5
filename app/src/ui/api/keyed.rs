//! Loading keyed on the URL: a value loaded for the current value of a key (what the URL gives:
//! Call-IDs, backend, query, a run number), where a new key supersedes the running load at once.
//!
//! Why not a bare `LocalResource`: Leptos 0.8's async derived runs its loads one after another, so
//! a new key waits for the running load to finish (seen in the call view: B's request went out
//! only after A's slow answer), and nothing aborts the old requests. Here each load runs as a task
//! owned by the effect that watches the key: a new key (or leaving the page) cleans that owner up,
//! which drops the task and aborts its requests ([`super::http`]); the value carries the key it
//! was loaded for, and [`KeyedResource::get`] shows only the current key's.

use std::future::Future;

use leptos::prelude::*;

/// A value loaded for the current value of its key.
pub struct KeyedResource<K: Send + Sync + 'static, T: 'static> {
    key: Memo<K>,
    value: RwSignal<Option<(K, T)>, LocalStorage>,
    run: RwSignal<u64>,
}

impl<K: Send + Sync, T> Clone for KeyedResource<K, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: Send + Sync, T> Copy for KeyedResource<K, T> {}

impl<K, T> KeyedResource<K, T>
where
    K: Clone + PartialEq + Send + Sync + 'static,
    T: Clone + 'static,
{
    /// Loads `load(key)` whenever `key` changes.
    pub fn new<Fut>(key: Memo<K>, load: impl Fn(K) -> Fut + 'static) -> Self
    where
        Fut: Future<Output = T> + 'static,
    {
        let value = RwSignal::new_local(None::<(K, T)>);
        let run = RwSignal::new(0_u64);
        Effect::new(move |_| {
            run.track();
            let loading_for = key.get();
            let pending = untrack(|| load(loading_for.clone()));
            // Runs under this effect's owner: the next run (or the page's end) cancels it.
            leptos::task::spawn_local_scoped_with_cancellation(async move {
                let loaded = pending.await;
                value.try_set(Some((loading_for, loaded)));
            });
        });
        Self { key, value, run }
    }

    /// The value loaded for the current key; `None` while it loads.
    pub fn get(&self) -> Option<T> {
        self.value.with(|v| match v {
            Some((loaded_for, value)) if self.key.with(|k| k == loaded_for) => Some(value.clone()),
            _ => None,
        })
    }

    /// Loads the current key again.
    pub fn refetch(&self) {
        self.run.update(|n| *n += 1);
    }
}
