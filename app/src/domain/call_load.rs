//! Loading one or several Call-IDs for the ladder (the call view, `hepscope show` and `export`):
//! the lookup window, following a long call further, the alias table and the notices. Shared so
//! the browser and the command line load the same messages for the same link.

use crate::domain::calls::has_end;
use crate::domain::fetch::V3Fetch;
use crate::domain::homer::{HomerRow, ProfileKey, TimeWindow, TransactionRequest};
use crate::domain::ladder::AliasTable;

/// Ten days, dex's default window when the call's time is not known.
pub const DEFAULT_WINDOW_MS: i64 = 10 * 24 * 3600 * 1000;
/// Before a known start time.
pub const BEFORE_MS: i64 = 5 * 60 * 1000;
/// After a known start time.
pub const AFTER_MS: i64 = 3600 * 1000;
/// How far a call with no end is followed.
pub const WIDEST_AFTER_MS: i64 = 24 * 3600 * 1000;

/// Where to look for the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallWindow {
    /// Around the call's start (epoch ms), as a link from the results carries it; a call without an
    /// end is followed up to [`WIDEST_AFTER_MS`].
    Around(i64),
    /// An explicit range (dex's `--from` / `--to`).
    Range(TimeWindow),
}

impl CallWindow {
    /// `Around(t)` with a time, else the last [`DEFAULT_WINDOW_MS`] before `now_ms`.
    pub fn from_link(t: Option<i64>, now_ms: i64) -> Self {
        match t {
            Some(t) => CallWindow::Around(t),
            None => CallWindow::Range(TimeWindow::new(now_ms - DEFAULT_WINDOW_MS, now_ms)),
        }
    }

    fn first(self) -> TimeWindow {
        match self {
            CallWindow::Around(t) => TimeWindow::new(t - BEFORE_MS, t + AFTER_MS),
            CallWindow::Range(w) => w,
        }
    }
}

/// What was loaded for the ladder.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadedCall {
    /// Every message of the Call-IDs (SIP, RTCP, logs), as the backend sent them.
    pub rows: Vec<HomerRow>,
    /// Host names.
    pub aliases: AliasTable,
    /// The request that found them (exports send it again).
    pub request: TransactionRequest,
    /// Something the user should know (a call without an end, a Call-ID not found, …).
    pub notices: Vec<String>,
}

/// Loads `ids` in `window`.
///
/// # Errors
/// A failed transaction request, or no message at all for any Call-ID.
pub async fn load_call<F: V3Fetch>(
    fetch: &F,
    ids: &[String],
    window: CallWindow,
) -> Result<LoadedCall, String> {
    let profile = ProfileKey::call();
    let mut request = TransactionRequest::new(&profile, window.first(), ids.to_vec());
    let mut answer = fetch
        .transaction(&request)
        .await
        .map_err(|e| e.to_string())?;
    let mut notices = Vec::new();
    if let CallWindow::Around(t) = window {
        if !has_end(&answer.data.messages) {
            // A long call: follow it further before saying its end is missing.
            request = TransactionRequest::new(
                &profile,
                TimeWindow::new(t - BEFORE_MS, t + WIDEST_AFTER_MS),
                ids.to_vec(),
            );
            answer = fetch
                .transaction(&request)
                .await
                .map_err(|e| e.to_string())?;
            if !has_end(&answer.data.messages) {
                notices.push(
                    "No BYE or final failure was found within 24 hours of the call's start: the call may still be up, or its end was not captured."
                        .to_string(),
                );
            }
        }
    }
    let aliases = match fetch.aliases().await {
        Ok(list) => AliasTable::from_list(&list),
        Err(e) => {
            notices.push(format!("Host aliases are unavailable: {e}"));
            AliasTable::from_transaction(&answer.data.alias)
        }
    };
    let rows = answer.data.messages;
    if rows.is_empty() {
        return Err(format!(
            "no messages for {} in the searched window",
            ids.join(", ")
        ));
    }
    let found: Vec<&str> = rows.iter().map(|r| r.sid.as_str()).collect();
    for id in ids {
        if !found.contains(&id.as_str()) {
            notices.push(format!("No messages were found for Call-ID {id}."));
        }
    }
    Ok(LoadedCall {
        rows,
        aliases,
        request,
        notices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_from_link_is_ten_days_without_a_time() {
        assert_eq!(
            CallWindow::from_link(None, DEFAULT_WINDOW_MS + 5).first(),
            TimeWindow::new(5, DEFAULT_WINDOW_MS + 5)
        );
        assert_eq!(
            CallWindow::from_link(Some(1_000_000), 0).first(),
            TimeWindow::new(1_000_000 - BEFORE_MS, 1_000_000 + AFTER_MS)
        );
    }
}
