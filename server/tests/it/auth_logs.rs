//! What login logs show: the client address as forwarded by a trusted proxy, and never a refused
//! over-long user name whole. One test alone in its binary, so the thread-local log capture sees
//! every line.

use crate::common::app::{client, TestServer, ADMIN_PASSWORD};
use crate::common::LogCapture;

#[tokio::test]
async fn login_logs_name_the_forwarded_client_and_shorten_refused_names() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let server = TestServer::start("[http]\ntrusted_proxies = [\"127.0.0.1\"]\n").await;
    let login = |forwarded_for: &'static str, username: String, password: &'static str| {
        client()
            .post(server.url("/api/login"))
            .header("x-forwarded-for", forwarded_for)
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
    };
    let wrong = login("203.0.113.1", "admin".into(), "guess").await.unwrap();
    assert_eq!(wrong.status(), 401);
    let right = login("203.0.113.2", "admin".into(), ADMIN_PASSWORD)
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    let long_name = format!("admin{}", "n".repeat(300));
    let refused = login("203.0.113.3", long_name.clone(), "x").await.unwrap();
    assert_eq!(refused.status(), 400);

    let text = logs.text();
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} line in {text}"))
            .to_string()
    };
    assert!(line("login failed").contains("203.0.113.1"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains(": login ") && l.contains("client=203.0.113.2")),
        "{text}"
    );
    let too_long = line("user name too long");
    assert!(too_long.contains("203.0.113.3"), "{too_long}");
    assert!(too_long.contains("(305 bytes)"), "{too_long}");
    assert!(
        !text.contains(&long_name),
        "the refused name is never logged whole"
    );
}
