//! The front end compiled into the binary (see `server/build.rs`), so one file is the whole service.
//!
//! Each file may carry brotli and gzip variants made at build time; the best one the request's
//! `Accept-Encoding` allows is sent as is (`Content-Encoding`, `Vary: Accept-Encoding`), so the
//! server never compresses the WASM on the fly. Routing and cache headers are the directory
//! server's ([`super::is_asset_path`], [`super::cache_policy`]).

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// One embedded file.
#[derive(Debug)]
pub struct EmbeddedFile {
    /// Path relative to the front end's root, `/`-separated, no leading slash.
    pub path: &'static str,
    pub body: &'static [u8],
    /// Brotli (quality 11) variant, when it is smaller.
    pub br: Option<&'static [u8]>,
    /// Gzip (level 9) variant, when it is smaller.
    pub gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/embedded_ui.rs"));

/// A content coding the server can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Brotli,
    Gzip,
    Identity,
}

/// The router serving `files` (sorted by path), meant as the app's fallback service.
pub fn router(files: &'static [EmbeddedFile]) -> Router {
    // `index.html` carries its own policy, allowing its inline scripts (Trunk's bootstrap) by hash, as
    // the directory server does ([`super::index_page`]); the embedded file never changes, so it is
    // hashed once here rather than per request.
    let index_csp = find(files, "index.html").map(|i| crate::security_headers::page_csp(i.body));
    Router::new().fallback(move |request: Request| {
        let index_csp = index_csp.clone();
        async move { serve(files, index_csp, &request) }
    })
}

fn serve(
    files: &'static [EmbeddedFile],
    index_csp: Option<HeaderValue>,
    request: &Request,
) -> Response {
    let path = request.uri().path();
    let last_segment = path.rsplit('/').next().unwrap_or("");
    let headers = request.headers();
    if super::is_asset_path(path, last_segment) {
        return match find(files, path.trim_start_matches('/')) {
            Some(file) => {
                super::with_cache(respond(file, headers), super::cache_policy(last_segment))
            }
            None => (StatusCode::NOT_FOUND, "not found").into_response(),
        };
    }
    match find(files, "index.html") {
        Some(index) => {
            let mut response = respond(index, headers);
            if let Some(csp) = index_csp {
                response
                    .headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, csp);
            }
            super::with_cache(response, "no-cache")
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The file at `path` (no leading slash).
pub fn find(files: &'static [EmbeddedFile], path: &str) -> Option<&'static EmbeddedFile> {
    files
        .binary_search_by(|f| f.path.cmp(path))
        .ok()
        .and_then(|i| files.get(i))
}

/// The file in the best coding the request accepts, with its content type.
fn respond(file: &EmbeddedFile, headers: &HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (coding, body) = pick(file, accept);
    let mime = mime_guess::from_path(file.path).first_or_octet_stream();
    let mut response = ([(header::CONTENT_TYPE, mime.as_ref().to_string())], body).into_response();
    let headers = response.headers_mut();
    if file.br.is_some() || file.gzip.is_some() {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    match coding {
        Coding::Brotli => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        }
        Coding::Gzip => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        Coding::Identity => {}
    }
    response
}

/// Brotli, then gzip, then the plain bytes: the first the file has and `accept` allows.
pub fn pick(file: &EmbeddedFile, accept: &str) -> (Coding, &'static [u8]) {
    if let Some(br) = file.br.filter(|_| accepts(accept, "br")) {
        return (Coding::Brotli, br);
    }
    if let Some(gz) = file.gzip.filter(|_| accepts(accept, "gzip")) {
        return (Coding::Gzip, gz);
    }
    (Coding::Identity, file.body)
}

/// True when an `Accept-Encoding` value allows `coding`: listed (or `*` when it is not listed)
/// with a q-value above zero (RFC 9110 §12.5.3).
pub fn accepts(accept: &str, coding: &str) -> bool {
    let mut wildcard = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .or_else(|| p.trim().strip_prefix("Q="))
            })
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            return q > 0.0;
        }
        if name == "*" {
            wildcard = Some(q > 0.0);
        }
    }
    wildcard.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_embedded_page_allows_its_own_inline_script_by_hash() {
        static FILES: [EmbeddedFile; 1] = [EmbeddedFile {
            path: "index.html",
            body: b"<!DOCTYPE html><script type=\"module\">import init from '/app.js'; init();</script>",
            br: None,
            gzip: None,
        }];
        let response = tower::ServiceExt::oneshot(
            router(&FILES),
            Request::builder()
                .uri("/call/abc")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert_eq!(
            csp,
            crate::security_headers::page_csp(FILES[0].body)
                .to_str()
                .unwrap()
        );
        assert!(csp.contains("'sha256-"), "{csp}");
    }

    #[test]
    fn accept_encoding_is_read_with_q_values() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("gzip;q=1.0, br;q=0.5", "br"));
        assert!(!accepts("gzip, br;q=0", "br"));
        assert!(!accepts("gzip", "br"));
        assert!(accepts("*", "br"));
        assert!(!accepts("*, br;q=0", "br"));
        assert!(!accepts("", "gzip"));
        assert!(accepts("GZIP", "gzip"));
    }

    #[test]
    fn best_accepted_variant_is_picked() {
        static FILE: EmbeddedFile = EmbeddedFile {
            path: "app.js",
            body: b"plain",
            br: Some(b"brotli"),
            gzip: Some(b"gzip"),
        };
        assert_eq!(pick(&FILE, "gzip, br"), (Coding::Brotli, &b"brotli"[..]));
        assert_eq!(pick(&FILE, "gzip"), (Coding::Gzip, &b"gzip"[..]));
        assert_eq!(
            pick(&FILE, "br;q=0, gzip;q=0"),
            (Coding::Identity, &b"plain"[..])
        );
        assert_eq!(pick(&FILE, ""), (Coding::Identity, &b"plain"[..]));
    }

    #[test]
    fn embedded_files_are_sorted_and_hold_an_index() {
        assert!(FILES.windows(2).all(|w| w[0].path < w[1].path));
        let index = find(FILES, "index.html").expect("index.html is always embedded");
        assert!(index.body.starts_with(b"<!"));
        if !FROM_DIST {
            // The placeholder is always precompressed, so every build can test the variants.
            assert!(index.br.is_some() && index.gzip.is_some());
        }
    }
}
