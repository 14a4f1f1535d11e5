//! The front end with SPA fallback and cache headers: embedded in the binary ([`embedded`]), or Trunk's
//! `dist/` from a directory (`--dist`, for development).
//!
//! - A path naming a file in `dist/` serves it; hashed assets (`app-<16 hex>_bg.wasm`) are cached for a year,
//!   everything else is revalidated.
//! - Any other path without a file extension is a client-side route: `index.html` with 200 and
//!   `Cache-Control: no-cache`, so deep links like `/call/abc?…` load the app.
//! - A missing file with an asset extension (`/missing.js`) is a real 404, not `index.html`. Client routes
//!   can hold dots (`/call/abc@10.0.0.1`), so only known asset extensions count, and `/call/`, `/qos/`
//!   and `/s/` (share links, whose tokens hold dots) paths are always client routes.

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;
use tower_http::services::ServeDir;

pub mod embedded;

/// The router serving `dist_dir`, or the embedded front end when `None`; meant as the app's fallback
/// service.
pub fn router(dist_dir: Option<PathBuf>) -> Router {
    match dist_dir {
        Some(dir) => dir_router(dir),
        None => embedded::router(embedded::FILES),
    }
}

fn dir_router(dist_dir: PathBuf) -> Router {
    let index = dist_dir.join("index.html");
    let serve_dir = ServeDir::new(&dist_dir);
    Router::new().fallback(move |request: Request| {
        let serve_dir = serve_dir.clone();
        let index = index.clone();
        async move { serve(serve_dir, index, request).await }
    })
}

async fn serve(serve_dir: ServeDir, index: PathBuf, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let last_segment = path.rsplit('/').next().unwrap_or("");
    // `/index.html` is the page itself: it needs its script hashes like any client route.
    let is_asset = is_asset_path(&path, last_segment) && path != "/index.html";
    if is_asset {
        let response = match serve_dir.oneshot(request).await {
            Ok(r) => r.map(Body::new),
            Err(never) => match never {},
        };
        if response.status() == StatusCode::NOT_FOUND {
            return (StatusCode::NOT_FOUND, "not found").into_response();
        }
        return with_cache(response, cache_policy(last_segment));
    }
    match tokio::fs::read(&index).await {
        Ok(bytes) => index_page(bytes),
        Err(e) => {
            tracing::warn!(path = %index.display(), error = %e, "front end not found");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!(
                    "hepscope's front end is not built: {} is missing ({e}).\n\
                     Build it with `trunk build` or point --dist / HEPSCOPE_DIST_DIR at it.\n",
                    index.display()
                ),
            )
                .into_response()
        }
    }
}

/// `index.html` with its own Content-Security-Policy, which allows the inline scripts of this very file
/// (Trunk's module bootstrap) by hash.
pub fn index_page(bytes: Vec<u8>) -> Response {
    let csp = crate::security_headers::page_csp(&bytes);
    with_cache(
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CONTENT_SECURITY_POLICY, csp),
            ],
            bytes,
        )
            .into_response(),
        "no-cache",
    )
}

/// Extensions of files Trunk builds or copies; anything else is a client route.
const ASSET_EXTENSIONS: &[&str] = &[
    "js", "mjs", "wasm", "css", "map", "html", "svg", "png", "jpg", "jpeg", "gif", "ico", "webp",
    "json", "txt", "woff", "woff2", "ttf",
];

pub(crate) fn is_asset_path(path: &str, last_segment: &str) -> bool {
    if ["/call/", "/qos/", "/s/"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        return false;
    }
    match last_segment.rsplit_once('.') {
        Some((_, ext)) => ASSET_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(ext)),
        None => false,
    }
}

pub(crate) fn with_cache(mut response: Response, policy: &'static str) -> Response {
    if response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// Trunk names built assets `<stem>-<16 hex digits>[_bg].<ext>`: those never change, so cache them long.
pub(crate) fn cache_policy(file_name: &str) -> &'static str {
    if is_hashed(file_name) {
        "public, max-age=31536000, immutable"
    } else if file_name == "index.html" {
        "no-cache"
    } else {
        "public, max-age=300"
    }
}

fn is_hashed(file_name: &str) -> bool {
    let stem = file_name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    match stem.rsplit_once('-') {
        Some((_, hash)) => hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_with_dots_are_client_routes() {
        assert!(!is_asset_path("/call/abc@10.0.0.1", "abc@10.0.0.1"));
        assert!(!is_asset_path(
            "/call/x@host.example.js",
            "x@host.example.js"
        ));
        assert!(!is_asset_path("/analyze", "analyze"));
        assert!(!is_asset_path("/s/eyJ0.eyJz.txt", "eyJ0.eyJz.txt"));
        assert!(is_asset_path(
            "/app-0123456789abcdef.js",
            "app-0123456789abcdef.js"
        ));
        assert!(is_asset_path("/public/favicon.svg", "favicon.svg"));
    }

    #[test]
    fn trunk_hashed_names_are_recognised() {
        assert!(is_hashed("app-3f2a9c1b0d4e5f67_bg.wasm"));
        assert!(is_hashed("app-3f2a9c1b0d4e5f67.js"));
        assert!(is_hashed("main-0123456789abcdef.css"));
        assert!(!is_hashed("favicon.svg"));
        assert!(!is_hashed("app-nothex0123456789.js"));
        assert!(!is_hashed("index.html"));
    }
}
