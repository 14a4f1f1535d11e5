//! The shutdown signal (SIGINT or SIGTERM) and the time limits of a graceful stop.
//!
//! On the signal, `hepscope serve` stops accepting HTTP connections and closes live-stream
//! WebSockets with a close frame, lets running requests finish, stops the HEP receiver, then
//! commits what the store's writer holds and flushes the search postings, and exits 0. Each step is
//! bounded by [`GRACE`], so a stuck client cannot keep the process alive.

use std::future::Future;
use std::time::Duration;

/// Longest each shutdown step may take before it is abandoned.
pub const GRACE: Duration = Duration::from_secs(10);

/// Resolves when the process is asked to stop.
pub async fn signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Runs `step` for at most [`GRACE`]; `None` (logged) when it ran out of time.
pub async fn within<F: Future>(what: &str, step: F) -> Option<F::Output> {
    match tokio::time::timeout(GRACE, step).await {
        Ok(out) => Some(out),
        Err(_) => {
            tracing::warn!(
                step = what,
                seconds = GRACE.as_secs(),
                "shutdown step did not finish in time; going on"
            );
            None
        }
    }
}

/// Commits everything queued in `store` and flushes its postings, within [`GRACE`].
pub async fn flush_store(store: crate::store::Store) {
    let flushed = within(
        "store flush",
        tokio::task::spawn_blocking(move || store.flush().map(|()| store.stats())),
    )
    .await;
    match flushed {
        Some(Ok(Ok(stats))) => {
            tracing::info!(stored = stats.stored, "store flushed");
        }
        Some(Ok(Err(e))) => tracing::error!(error = %e, "store flush failed"),
        Some(Err(e)) => tracing::error!(error = %e, "store flush task failed"),
        None => {}
    }
}
