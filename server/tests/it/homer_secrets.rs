//! The Homer password and tokens appear in no response body, header or captured log line.

use crate::common;

use std::time::Duration;

use crate::common::fake_homer::{FakeHomer, Mode, PASSWORD};
use crate::common::{client, client_with, http, proxy, search_body, LogCapture};

const OTHER_PASSWORD: &str = "other-backend-pw-9f3k";

/// Runs one request and returns its status line, headers and body as text.
async fn exchange(request: reqwest::RequestBuilder) -> String {
    let response = request.send().await.unwrap();
    let mut text = format!("{}\n", response.status());
    for (name, value) in response.headers() {
        text.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    let body = response.bytes().await.unwrap_or_default();
    text.push_str(&String::from_utf8_lossy(&body));
    text
}

// current_thread (the default) keeps every spawned server on this thread, so the thread-local
// subscriber sees all of their log lines.
#[tokio::test]
async fn password_and_tokens_appear_in_no_response_or_log_line() {
    let logs = LogCapture::default();
    let _guard = logs.install();

    let fake = FakeHomer::start().await;
    let refused = common::refused_addr().await;
    let main = client("main", &fake.url(), Duration::from_millis(500));
    let wrong = client_with("wrong", &fake.url(), OTHER_PASSWORD, Duration::from_secs(5));
    let gone = client("gone", &format!("http://{refused}"), Duration::from_secs(5));
    let debug_text = format!("{main:?} {wrong:?} {gone:?}");
    let (api, _) = proxy(vec![main, wrong, gone]).await;
    let http = http();

    let mut seen_by_browser = Vec::new();
    let search = || {
        http.post(format!("{api}/v3/search/call/data"))
            .json(&search_body())
    };
    seen_by_browser.push(exchange(search()).await);
    fake.state.revoke_tokens();
    seen_by_browser.push(exchange(search()).await);
    fake.state
        .force_missing_jwt
        .store(1, std::sync::atomic::Ordering::SeqCst);
    seen_by_browser.push(exchange(search()).await);
    fake.state.set_mode(Mode::Delay(Duration::from_secs(2)));
    seen_by_browser.push(exchange(search()).await);
    fake.state.set_mode(Mode::Status500);
    seen_by_browser.push(exchange(search()).await);
    fake.state.set_mode(Mode::Normal);
    for path in ["users", "auth", "token/auth"] {
        seen_by_browser.push(exchange(http.post(format!("{api}/v3/{path}"))).await);
    }
    seen_by_browser.push(exchange(http.post(format!("{api}/b/wrong/v3/search/call/data"))).await);
    seen_by_browser.push(exchange(http.post(format!("{api}/b/gone/v3/search/call/data"))).await);
    for name in ["main", "wrong", "gone"] {
        seen_by_browser.push(exchange(http.get(format!("{api}/backends/{name}/check"))).await);
    }
    seen_by_browser.push(exchange(http.get(format!("{api}/backends"))).await);

    let tokens = fake.state.issued_tokens();
    assert!(tokens.len() >= 3, "the scenario should renew the token");
    let log_text = logs.text();
    assert!(
        log_text.contains("logged in to Homer"),
        "capture works: {log_text}"
    );
    let outputs = [
        ("responses", seen_by_browser.join("\n")),
        ("logs", log_text),
        ("debug output", debug_text),
    ];
    for (what, text) in &outputs {
        for secret in [PASSWORD, OTHER_PASSWORD] {
            assert!(!text.contains(secret), "the password leaked into {what}");
        }
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "a token leaked into {what}");
            // The payload alone identifies the session, so it must not show up either.
            let payload = token.split('.').nth(1).unwrap();
            assert!(
                !text.contains(payload),
                "a token payload leaked into {what}"
            );
        }
    }
}
