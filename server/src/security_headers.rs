//! Security headers on every response of the app and the API, set by one layer ([`layer`]).
//!
//! - `Content-Security-Policy`: only this origin may supply scripts, styles, images and connections;
//!   `'wasm-unsafe-eval'` lets the app compile its WebAssembly; `frame-ancestors 'none'` forbids framing.
//!   Style *attributes* are allowed (`style-src-attr 'unsafe-inline'`): Leptos sets `style="height:…"` on
//!   table spacers and ladder lanes, and an attribute cannot run script. `blob:` images are the ladder's
//!   PNG export (an SVG blob drawn on a canvas).
//! - Trunk writes an inline `<script type="module">` bootstrap into `index.html` (and the page has a small
//!   inline theme script). `script-src 'self'` would block them, so `index.html` is served with
//!   [`page_csp`]: the same policy plus the `'sha256-…'` hash of each inline script of the file as read.
//!   Any other inline script (an injected one) stays blocked. The layer keeps that header
//!   (`if_not_present`); every other response gets the base policy.
//! - `X-Content-Type-Options: nosniff`, and `Referrer-Policy: no-referrer` so a share link in the address
//!   bar never leaks to another site through `Referer`.

use axum::http::{header, HeaderValue};
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

/// `Referrer-Policy`: never send the page address (share links hold a token) to anyone.
pub const REFERRER_POLICY: &str = "no-referrer";

/// The policy with `extra_script_sources` (hash sources such as `'sha256-…'`) added to `script-src`.
pub fn content_security_policy(extra_script_sources: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for source in extra_script_sources {
        script_src.push(' ');
        script_src.push_str(source);
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The policy for an HTML page: the base policy plus the hash of each of its inline scripts.
pub fn page_csp(html: &[u8]) -> HeaderValue {
    let hashes: Vec<String> = inline_scripts(html)
        .into_iter()
        .map(|body| {
            let digest = Sha256::digest(body);
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    csp_value(&hashes)
}

fn csp_value(extra: &[String]) -> HeaderValue {
    // Built from ASCII constants and base64: always a valid header value.
    HeaderValue::from_str(&content_security_policy(extra))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// Adds the security headers to every response of `router`.
pub fn layer(router: Router) -> Router {
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            csp_value(&[]),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static(REFERRER_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

/// The bodies of the `<script>` elements of `html` that have no `src`, byte for byte as the browser
/// hashes them (everything between the opening tag's `>` and `</script>`).
fn inline_scripts(html: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = find_ci(rest, b"<script") {
        let after_name = start + b"<script".len();
        let Some(tag_end) = rest
            .get(after_name..)
            .and_then(|r| r.iter().position(|&b| b == b'>'))
            .map(|p| after_name + p)
        else {
            break;
        };
        let attributes = rest.get(after_name..tag_end).unwrap_or_default();
        let body_start = tag_end + 1;
        let Some(body_len) = rest.get(body_start..).and_then(|r| find_ci(r, b"</script")) else {
            break;
        };
        let body = rest
            .get(body_start..body_start + body_len)
            .unwrap_or_default();
        if find_ci(attributes, b"src=").is_none() {
            found.push(body);
        }
        rest = rest.get(body_start + body_len..).unwrap_or_default();
    }
    found
}

/// The first position of `needle` in `haystack`, ASCII case-insensitively.
fn find_ci(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_external_ones_skipped() {
        let html = b"<head><script>one()</script><SCRIPT type=\"module\">\nimport x from '/a.js';\n</SCRIPT>\
                     <script src=\"/b.js\"></script></head>";
        let scripts = inline_scripts(html);
        assert_eq!(
            scripts,
            vec![&b"one()"[..], &b"\nimport x from '/a.js';\n"[..]]
        );
    }

    #[test]
    fn page_policy_carries_the_hash_of_each_inline_script() {
        // sha256("alert(1)") in base64, as browsers print it in CSP errors.
        let value = page_csp(b"<script>alert(1)</script>");
        let text = value.to_str().unwrap();
        assert!(
            text.contains("'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            "{text}"
        );
        assert!(text.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"));
        assert!(text.contains("frame-ancestors 'none'"));
        assert!(!page_csp(b"<p>no script</p>")
            .to_str()
            .unwrap()
            .contains("sha256"));
    }
}
