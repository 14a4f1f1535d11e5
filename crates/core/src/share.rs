//! Share links ("Share outside"): the bodies of `/api/shares` and `/api/shared/{token}`, a share's
//! status at a given time, why a link is refused, and the checks on a new share's request.
//!
//! Pure: the caller passes `now`; no I/O, no clock.

use serde::{Deserialize, Serialize};

/// Most Call-IDs one share may name.
pub const MAX_SHARE_CALL_IDS: usize = 50;
/// Longest Call-ID accepted in a share.
pub const MAX_CALL_ID_LEN: usize = 512;
/// Widest time window a share may carry, ms (a little over dex's 10-day default).
pub const MAX_SHARE_WINDOW_MS: i64 = 11 * 24 * 3600 * 1000;

/// `POST /api/shares` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareRequest {
    /// The Call-IDs the link shows.
    pub call_ids: Vec<String>,
    /// Backend name; empty for the default.
    #[serde(default)]
    pub backend: String,
    /// The lookup window, epoch ms.
    pub from: i64,
    pub to: i64,
    /// Lifetime such as `"72h"` or `"3s"`; the server's `[share] ttl` when absent, at most `max_ttl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

/// Why a share request is refused before anything is stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShareRequestError {
    #[error("a share needs at least one Call-ID")]
    NoCallIds,
    #[error("a share may name at most {MAX_SHARE_CALL_IDS} Call-IDs, not {0}")]
    TooManyCallIds(usize),
    #[error("Call-ID {0:?} is empty or longer than {MAX_CALL_ID_LEN} bytes")]
    BadCallId(String),
    #[error("the time window must end after it starts (from {from}, to {to})")]
    EmptyWindow { from: i64, to: i64 },
    #[error("the time window may span at most 11 days")]
    WindowTooWide,
}

impl ShareRequest {
    /// Checks the Call-IDs and the window.
    ///
    /// # Errors
    /// No or too many Call-IDs, an empty or overlong Call-ID, an empty or too wide window.
    pub fn validate(&self) -> Result<(), ShareRequestError> {
        if self.call_ids.is_empty() {
            return Err(ShareRequestError::NoCallIds);
        }
        if self.call_ids.len() > MAX_SHARE_CALL_IDS {
            return Err(ShareRequestError::TooManyCallIds(self.call_ids.len()));
        }
        if let Some(bad) = self
            .call_ids
            .iter()
            .find(|id| id.trim().is_empty() || id.len() > MAX_CALL_ID_LEN)
        {
            return Err(ShareRequestError::BadCallId(bad.chars().take(40).collect()));
        }
        if self.to <= self.from {
            return Err(ShareRequestError::EmptyWindow {
                from: self.from,
                to: self.to,
            });
        }
        if self.to.saturating_sub(self.from) > MAX_SHARE_WINDOW_MS {
            return Err(ShareRequestError::WindowTooWide);
        }
        Ok(())
    }
}

/// `POST /api/shares` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareCreated {
    pub id: String,
    /// The link's path on this server, `/s/{token}`.
    pub url: String,
    /// Seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Whether a share's link still opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ShareStatus {
    Active,
    Expired,
    Revoked,
}

impl ShareStatus {
    /// The status of a share expiring at `expires_at` (seconds), at `now` (seconds).
    pub fn at(revoked: bool, expires_at: i64, now: i64) -> ShareStatus {
        if revoked {
            ShareStatus::Revoked
        } else if now >= expires_at {
            ShareStatus::Expired
        } else {
            ShareStatus::Active
        }
    }

    /// Lowercase name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareStatus::Active => "active",
            ShareStatus::Expired => "expired",
            ShareStatus::Revoked => "revoked",
        }
    }
}

/// What a share link names: the call, where and when to look it up, who made it and until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Share {
    /// 32 hex digits, random.
    pub id: String,
    pub call_ids: Vec<String>,
    /// The backend's name (resolved when the share was made).
    pub backend: String,
    /// The lookup window, epoch ms.
    pub from: i64,
    pub to: i64,
    pub created_by: String,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    /// Seconds since the Unix epoch.
    pub expires_at: i64,
}

/// One share as `GET /api/shares` and `GET /api/shared/{token}` describe it: the share's fields
/// and its status, in one flat JSON object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareInfo {
    #[serde(flatten)]
    pub share: Share,
    pub status: ShareStatus,
}

/// Why a share link is refused: the `error` of a 410 or 403 from `/api/shared/{token}/…`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShareRefusal {
    /// Past its expiry (410).
    Expired,
    /// Revoked by its creator or an admin (410).
    Revoked,
    /// Not a link this server signed, tampered with, or unknown (403).
    Invalid,
}

impl ShareRefusal {
    /// The `error` text of the refusal's JSON body.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareRefusal::Expired => "expired",
            ShareRefusal::Revoked => "revoked",
            ShareRefusal::Invalid => "invalid",
        }
    }

    /// Reads a refusal back from an error body's `error` text.
    pub fn parse(text: &str) -> Option<ShareRefusal> {
        match text {
            "expired" => Some(ShareRefusal::Expired),
            "revoked" => Some(ShareRefusal::Revoked),
            "invalid" => Some(ShareRefusal::Invalid),
            _ => None,
        }
    }

    /// HTTP status: 410 Gone for a link that was valid, 403 for one that never was.
    pub fn status(self) -> u16 {
        match self {
            ShareRefusal::Expired | ShareRefusal::Revoked => 410,
            ShareRefusal::Invalid => 403,
        }
    }

    /// The refusal page's heading.
    pub fn heading(self) -> &'static str {
        match self {
            ShareRefusal::Expired => "This link has expired",
            ShareRefusal::Revoked => "This link was revoked",
            ShareRefusal::Invalid => "This link is not valid",
        }
    }

    /// The refusal for a share with this status, if it is not active.
    pub fn from_status(status: ShareStatus) -> Option<ShareRefusal> {
        match status {
            ShareStatus::Active => None,
            ShareStatus::Expired => Some(ShareRefusal::Expired),
            ShareStatus::Revoked => Some(ShareRefusal::Revoked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(call_ids: &[&str], from: i64, to: i64) -> ShareRequest {
        ShareRequest {
            call_ids: call_ids.iter().map(|s| s.to_string()).collect(),
            backend: String::new(),
            from,
            to,
            ttl: None,
        }
    }

    #[test]
    fn share_request_checks_ids_and_window() {
        let cases: &[(ShareRequest, Option<ShareRequestError>)] = &[
            (request(&["a@b"], 0, 1000), None),
            (request(&[], 0, 1000), Some(ShareRequestError::NoCallIds)),
            (
                request(&[" "], 0, 1000),
                Some(ShareRequestError::BadCallId(" ".into())),
            ),
            (
                request(&["a"], 5, 5),
                Some(ShareRequestError::EmptyWindow { from: 5, to: 5 }),
            ),
            (
                request(&["a"], 0, MAX_SHARE_WINDOW_MS + 1),
                Some(ShareRequestError::WindowTooWide),
            ),
        ];
        for (req, want) in cases {
            assert_eq!(req.validate().err(), *want, "{req:?}");
        }
        let many: Vec<String> = (0..=MAX_SHARE_CALL_IDS).map(|i| i.to_string()).collect();
        let mut req = request(&[], 0, 1);
        req.call_ids = many;
        assert_eq!(
            req.validate(),
            Err(ShareRequestError::TooManyCallIds(MAX_SHARE_CALL_IDS + 1))
        );
    }

    #[test]
    fn share_status_revoked_wins_over_expired() {
        assert_eq!(ShareStatus::at(false, 100, 99), ShareStatus::Active);
        assert_eq!(ShareStatus::at(false, 100, 100), ShareStatus::Expired);
        assert_eq!(ShareStatus::at(true, 100, 50), ShareStatus::Revoked);
        assert_eq!(ShareStatus::at(true, 100, 150), ShareStatus::Revoked);
    }

    #[test]
    fn refusal_round_trips_and_maps_to_gone_or_forbidden() {
        for r in [
            ShareRefusal::Expired,
            ShareRefusal::Revoked,
            ShareRefusal::Invalid,
        ] {
            assert_eq!(ShareRefusal::parse(r.as_str()), Some(r));
        }
        assert_eq!(ShareRefusal::parse("not logged in"), None);
        assert_eq!(ShareRefusal::Expired.status(), 410);
        assert_eq!(ShareRefusal::Invalid.status(), 403);
        assert_eq!(
            ShareRefusal::from_status(ShareStatus::Revoked),
            Some(ShareRefusal::Revoked)
        );
        assert_eq!(ShareRefusal::from_status(ShareStatus::Active), None);
    }

    #[test]
    fn share_request_ttl_is_optional_in_json() {
        let req: ShareRequest =
            serde_json::from_str(r#"{"call_ids":["x"],"from":1,"to":2}"#).unwrap();
        assert_eq!(req.ttl, None);
        assert_eq!(req.backend, "");
    }
}
