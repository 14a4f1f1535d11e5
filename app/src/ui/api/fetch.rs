//! The browser's [`V3Fetch`]: the domain's shared loads (`query::run`, `call_load`, `qos::load`,
//! `legs::run`) read HOMER through this module's functions, so their requests take the one request
//! path (recorded for the debug panel from context, aborted with the load that sent them).

use crate::domain::fetch::{SearchAnswer, V3Fetch};
use crate::domain::homer::{AliasList, SearchRequest, TransactionRequest, TransactionResponse};

use super::{ApiError, ApiRoot};

/// `/api/v3` reads under one [`ApiRoot`]; searches run in parallel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UiFetch {
    pub root: ApiRoot,
}

impl UiFetch {
    pub fn new(root: ApiRoot) -> Self {
        Self { root }
    }
}

impl V3Fetch for UiFetch {
    type Error = ApiError;

    async fn search_all(&self, requests: &[SearchRequest]) -> Vec<SearchAnswer<ApiError>> {
        futures::future::join_all(requests.iter().map(|request| async move {
            (
                request.row_limit(),
                super::search_call_data(&self.root, request).await,
            )
        }))
        .await
    }

    async fn transaction(
        &self,
        request: &TransactionRequest,
    ) -> Result<TransactionResponse, ApiError> {
        super::transaction(&self.root, request).await
    }

    async fn transactions(
        &self,
        requests: &[TransactionRequest],
    ) -> Vec<Result<TransactionResponse, ApiError>> {
        futures::future::join_all(
            requests
                .iter()
                .map(|request| super::transaction(&self.root, request)),
        )
        .await
    }

    async fn qos_text(&self, request: &TransactionRequest) -> Result<String, ApiError> {
        super::qos_reports(&self.root, request).await
    }

    async fn aliases(&self) -> Result<AliasList, ApiError> {
        super::aliases(&self.root).await
    }
}
