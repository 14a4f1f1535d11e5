//! The cross-site request guard, one helper for every state-changing request and for the WebSocket
//! routes (which browsers open cross-site without any CORS check).
//!
//! A request is refused when
//! - it carries `Origin: null` (sandboxed frames, some redirects: never our own page);
//! - it carries an `Origin` that is not ours: `[http] public_url` when set, else the request's own
//!   `Host` (so a proxy rewriting `Host` needs `public_url`);
//! - `Sec-Fetch-Site` says `cross-site`, or `same-site` without a matching `Origin` (a sibling
//!   subdomain is another application).
//!
//! Requests with neither header (curl, scripts) pass: they carry no ambient browser credentials worth
//! forging. This sits on top of the session cookie's `SameSite=Lax`.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::json_error;

/// What counts as our origin.
#[derive(Clone, Debug, Default)]
pub struct OriginPolicy {
    /// `scheme://host[:port]` from `[http] public_url`, lower-cased.
    public_origin: Option<String>,
}

impl OriginPolicy {
    /// Compares against `public_origin` when given, else against each request's `Host`.
    pub fn new(public_origin: Option<String>) -> Self {
        Self { public_origin }
    }

    /// `Err(reason)` when the request must be refused as cross-site (see the module doc).
    pub fn check(&self, headers: &HeaderMap, uri: &Uri) -> Result<(), String> {
        const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
        let origin = match headers.get(header::ORIGIN) {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| "unreadable Origin header".to_string())?,
            ),
        };
        if origin.is_some_and(|o| o.trim().eq_ignore_ascii_case("null")) {
            return Err("Origin null refused".into());
        }
        let matches = origin.map(|o| self.is_ours(o, headers, uri));
        if let Some(false) = matches {
            return Err(format!(
                "cross-origin request refused (Origin {}, expected {})",
                origin.unwrap_or_default(),
                self.expected(headers, uri)
            ));
        }
        let site = headers
            .get(SEC_FETCH_SITE)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_ascii_lowercase());
        match site.as_deref() {
            Some("cross-site") => Err("cross-site request refused (Sec-Fetch-Site)".into()),
            Some("same-site") if matches != Some(true) => {
                Err("same-site request from another origin refused (Sec-Fetch-Site)".into())
            }
            _ => Ok(()),
        }
    }

    fn is_ours(&self, origin: &str, headers: &HeaderMap, uri: &Uri) -> bool {
        let origin = origin.trim().trim_end_matches('/');
        match &self.public_origin {
            Some(public) => origin.eq_ignore_ascii_case(public),
            None => {
                let authority = origin.split_once("://").map_or(origin, |(_, a)| a);
                let host = request_host(headers, uri);
                !host.is_empty() && authority.eq_ignore_ascii_case(host)
            }
        }
    }

    fn expected<'a>(&'a self, headers: &'a HeaderMap, uri: &'a Uri) -> &'a str {
        match &self.public_origin {
            Some(public) => public,
            None => request_host(headers, uri),
        }
    }
}

/// The `Host` header, else the URI's authority (HTTP/2), else "".
fn request_host<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> &'a str {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .unwrap_or("")
}

/// Middleware: [`OriginPolicy::check`] on every request that is not GET, HEAD or OPTIONS.
pub async fn same_origin_writes(
    State(policy): State<OriginPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        if let Err(reason) = policy.check(request.headers(), request.uri()) {
            return json_error(StatusCode::FORBIDDEN, reason);
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_static(value));
        }
        h
    }

    fn check(policy: &OriginPolicy, pairs: &[(&'static str, &'static str)]) -> bool {
        policy
            .check(&headers(pairs), &Uri::from_static("/api/login"))
            .is_ok()
    }

    #[test]
    fn without_public_url_the_origin_must_match_the_host() {
        let p = OriginPolicy::default();
        assert!(check(&p, &[("host", "h:1")]), "tools send no Origin");
        assert!(check(&p, &[("host", "h:1"), ("origin", "http://h:1")]));
        assert!(check(&p, &[("host", "h:1"), ("origin", "https://H:1")]));
        assert!(!check(
            &p,
            &[("host", "h:1"), ("origin", "http://evil.example")]
        ));
        assert!(!check(&p, &[("host", "h:1"), ("origin", "http://h:2")]));
        assert!(
            !check(&p, &[("origin", "http://h:1")]),
            "no Host: nothing matches"
        );
    }

    #[test]
    fn origin_null_is_always_refused() {
        assert!(!check(
            &OriginPolicy::default(),
            &[("host", "h"), ("origin", "null")]
        ));
        let p = OriginPolicy::new(Some("https://hepscope.example.net".into()));
        assert!(!check(&p, &[("origin", "null")]));
    }

    #[test]
    fn public_url_wins_over_a_rewritten_host() {
        let p = OriginPolicy::new(Some("https://hepscope.example.net".into()));
        assert!(check(
            &p,
            &[
                ("host", "10.0.0.5:8080"),
                ("origin", "https://hepscope.example.net")
            ]
        ));
        assert!(!check(
            &p,
            &[
                ("host", "10.0.0.5:8080"),
                ("origin", "http://10.0.0.5:8080")
            ]
        ));
        assert!(
            !check(&p, &[("origin", "http://hepscope.example.net")]),
            "scheme counts"
        );
    }

    #[test]
    fn sec_fetch_site_cross_site_is_refused_and_same_site_needs_our_origin() {
        let p = OriginPolicy::default();
        assert!(!check(
            &p,
            &[("host", "h"), ("sec-fetch-site", "cross-site")]
        ));
        assert!(!check(
            &p,
            &[("host", "h"), ("sec-fetch-site", "same-site")]
        ));
        assert!(check(
            &p,
            &[
                ("host", "h"),
                ("origin", "http://h"),
                ("sec-fetch-site", "same-site")
            ]
        ));
        assert!(check(
            &p,
            &[("host", "h"), ("sec-fetch-site", "same-origin")]
        ));
        assert!(check(&p, &[("host", "h"), ("sec-fetch-site", "none")]));
    }
}
