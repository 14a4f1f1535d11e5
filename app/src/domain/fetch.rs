//! `V3Fetch`: the HOMER 7 requests a view needs, as one trait, so the browser (through hepscope's
//! server) and the command line (to a hepscope server or a HOMER 7 directly) run the same request
//! planning and the same post-processing ([`crate::domain::query::run`], [`crate::domain::call_load`],
//! [`crate::domain::qos::load`], [`crate::domain::legs::run`]) and so give the same answers.
//!
//! The domain stays free of I/O: it only awaits what the caller's implementation returns. Whether
//! searches run in parallel is the implementation's choice (both run them concurrently).

use std::fmt::Display;
use std::future::Future;

use crate::domain::homer::{
    AliasList, HomerRow, SearchRequest, TransactionRequest, TransactionResponse,
};

/// One search's answer with its request's row limit, as [`crate::domain::homer::gather`] takes it.
pub type SearchAnswer<E> = (u32, Result<Vec<HomerRow>, E>);

/// The `/api/v3` reads shared by the views and the command line.
pub trait V3Fetch {
    /// Why a request failed, as the user should read it.
    type Error: Display;

    /// Runs every search (`search/call/data`) and answers each with its request's row limit
    /// ([`SearchRequest::row_limit`]), in request order.
    fn search_all(
        &self,
        requests: &[SearchRequest],
    ) -> impl Future<Output = Vec<SearchAnswer<Self::Error>>>;

    /// `call/transaction`: every message of the Call-IDs (an empty body reads as no messages).
    fn transaction(
        &self,
        request: &TransactionRequest,
    ) -> impl Future<Output = Result<TransactionResponse, Self::Error>>;

    /// `call/report/qos`: the body as text (homer-app answers an empty body when a table is missing).
    /// Several `call/transaction` requests, answers in request order. The default sends them one after
    /// another; a fetcher that can overlap requests (the browser) sends them together.
    fn transactions(
        &self,
        requests: &[TransactionRequest],
    ) -> impl Future<Output = Vec<Result<TransactionResponse, Self::Error>>> {
        async move {
            let mut answers = Vec::with_capacity(requests.len());
            for request in requests {
                answers.push(self.transaction(request).await);
            }
            answers
        }
    }

    fn qos_text(
        &self,
        request: &TransactionRequest,
    ) -> impl Future<Output = Result<String, Self::Error>>;

    /// `GET alias`: the host alias list.
    fn aliases(&self) -> impl Future<Output = Result<AliasList, Self::Error>>;
}

/// Reads a `call/transaction` answer's text; blank is no messages.
///
/// # Errors
/// The JSON error, naming the route.
pub fn transaction_from_text(text: &str) -> Result<TransactionResponse, String> {
    if text.trim().is_empty() {
        return Ok(TransactionResponse::default());
    }
    serde_json::from_str(text).map_err(|e| format!("call/transaction: {e}"))
}

/// Reads a `search/call/data` answer's text; a blank body is an error (homer-app sends one on a
/// broken search, and showing "no results" would hide it).
///
/// # Errors
/// Blank text or bad JSON, naming the route.
pub fn search_rows_from_text(text: &str) -> Result<Vec<HomerRow>, String> {
    if text.trim().is_empty() {
        return Err("the backend answered search/call/data with an empty body".into());
    }
    serde_json::from_str::<crate::domain::homer::SearchResponse>(text)
        .map(|r| r.data)
        .map_err(|e| format!("search/call/data: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_transaction_is_empty_but_blank_search_is_an_error() {
        assert!(transaction_from_text(" ").unwrap().data.messages.is_empty());
        assert!(search_rows_from_text("").is_err());
        assert!(search_rows_from_text("{\"data\":[]}").unwrap().is_empty());
        assert!(transaction_from_text("{")
            .unwrap_err()
            .starts_with("call/transaction"));
    }
}
