//! Loading state of the call view.

use std::sync::Arc;

pub use crate::domain::call_view::{CallQuery, CallTab};

use super::call::Loaded;

/// Where loading the call is.
#[derive(Clone)]
pub enum LoadState {
    Loading,
    Failed(String),
    Loaded(Arc<Loaded>),
}
