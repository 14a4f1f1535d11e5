//! Rights, API tokens and the audit log over real HTTP (issue 19): each right refused without it,
//! tokens as bearers with their own rights, and one audit record per action.

use std::time::Duration;

use crate::common::app::{client, get_with, login, post_with, session_cookie, TestServer};
use serde_json::{json, Value};

fn users(extra: &str) -> String {
    let hash = server::users::hash_password("pass").unwrap();
    format!(
        "[[users]]\nusername = \"ada\"\npassword_hash = \"{hash}\"\nrole = \"admin\"\n\
         [[users]]\nusername = \"val\"\npassword_hash = \"{hash}\"\nrole = \"viewer\"\n\
         [[users]]\nusername = \"vera\"\npassword_hash = \"{hash}\"\nrole = \"viewer\"\nrights = []\n\
         {extra}"
    )
}

async fn cookie(server: &TestServer, user: &str) -> String {
    let response = login(server, user, "pass").await;
    assert_eq!(response.status(), 200, "login {user}");
    session_cookie(&response)
}

fn transaction() -> Value {
    json!({
        "timestamp": {"from": 0, "to": 4_000_000_000_000_i64},
        "param": {"search": {"1_call": {"id": 1, "callid": ["c1@x"]}},
                  "location": {"node": ["localnode"]},
                  "transaction": {"call": true, "registration": false, "rest": false}}
    })
}

async fn assert_missing(response: reqwest::Response, right: &str) {
    assert_eq!(response.status(), 403, "{right}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"], format!("missing right: {right}"), "{body}");
}

async fn get_bearer(server: &TestServer, path: &str, token: &str) -> reqwest::Response {
    client()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_user_without_a_right_is_refused_on_its_routes() {
    let server = TestServer::start(&users("")).await;
    let vera = cookie(&server, "vera").await;
    let me: Value = get_with(&server, "/api/me", Some(&vera))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["rights"], json!(["search"]), "{me}");
    let export = post_with(
        &server,
        "/api/v3/export/call/messages/pcap",
        Some(&vera),
        &transaction(),
    )
    .await;
    assert_missing(export, "export").await;
    let sql = client()
        .post(server.url("/api/query"))
        .header("cookie", &vera)
        .json(&json!({"query": "SELECT 1"}))
        .send()
        .await
        .unwrap();
    assert_missing(sql, "sql").await;
    let import = client()
        .post(server.url("/api/import"))
        .header("cookie", &vera)
        .body(vec![0u8; 16])
        .send()
        .await
        .unwrap();
    assert_missing(import, "import").await;
    let share = post_with(&server, "/api/shares", Some(&vera), &json!({})).await;
    assert_missing(share, "share").await;
    assert_missing(get_with(&server, "/api/audit", Some(&vera)).await, "admin").await;
    assert_missing(
        get_with(&server, "/api/backends/embedded/check", Some(&vera)).await,
        "admin",
    )
    .await;

    // Without raw the transaction answers, but withholds bodies and says so.
    let answer: Value = post_with(
        &server,
        "/api/v3/call/transaction",
        Some(&vera),
        &transaction(),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        answer["bodies_withheld"], "bodies withheld: you lack the raw right",
        "{answer}"
    );
    let val = cookie(&server, "val").await;
    let response = post_with(
        &server,
        "/api/v3/call/transaction",
        Some(&val),
        &transaction(),
    )
    .await;
    assert!(response.status().is_success());
    let answer: Value = response.json().await.unwrap();
    assert!(answer.get("bodies_withheld").is_none(), "{answer}");
    // The default viewer keeps today's rights: export passes the rights check.
    let export = post_with(
        &server,
        "/api/v3/export/call/messages/text",
        Some(&val),
        &transaction(),
    )
    .await;
    assert_ne!(export.status(), 403);
}

#[tokio::test]
async fn api_tokens_are_shown_once_work_as_bearers_and_end_when_revoked_or_expired() {
    let server = TestServer::start(&users("")).await;
    let ada = cookie(&server, "ada").await;
    let created = post_with(
        &server,
        "/api/auth/tokens",
        Some(&ada),
        &json!({"name": "ci", "rights": ["search", "export"], "expires_in": "90d"}),
    )
    .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    assert!(
        token.starts_with("hst_") && token.len() == 4 + 64,
        "{token}"
    );
    assert_eq!(created["name"], "ci");
    assert_eq!(created["rights"], json!(["search", "export"]));
    assert!(created["expires_at"].as_i64().unwrap() > created["created_at"].as_i64().unwrap());
    let stored = std::fs::read_to_string(server.data.join("api_tokens.json")).unwrap();
    assert!(!stored.contains(&token[4..]), "only a hash is stored");

    // A bearer with the token's rights, not the admin's.
    let me: Value = get_bearer(&server, "/api/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "ada");
    assert_eq!(me["rights"], json!(["search", "export"]));
    assert_missing(get_bearer(&server, "/api/audit", &token).await, "admin").await;

    let list: Value = get_with(&server, "/api/auth/tokens", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("token").is_none(), "the secret is shown once");
    assert!(list[0]["last_used_at"].as_i64().is_some(), "{list}");

    // Rights beyond the creator's are refused.
    let val = cookie(&server, "val").await;
    let refused = post_with(
        &server,
        "/api/auth/tokens",
        Some(&val),
        &json!({"name": "x", "rights": ["sql"]}),
    )
    .await;
    assert_missing(refused, "sql").await;
    // Others do not see or revoke ada's token.
    let theirs: Value = get_with(&server, "/api/auth/tokens", Some(&val))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, json!([]));
    let id = created["id"].as_str().unwrap();
    let not_theirs = client()
        .delete(server.url(&format!("/api/auth/tokens/{id}")))
        .header("cookie", &val)
        .send()
        .await
        .unwrap();
    assert_eq!(not_theirs.status(), 404);

    let revoked = client()
        .delete(server.url(&format!("/api/auth/tokens/{id}")))
        .header("cookie", &ada)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(get_bearer(&server, "/api/me", &token).await.status(), 401);

    let short: Value = post_with(
        &server,
        "/api/auth/tokens",
        Some(&ada),
        &json!({"name": "short", "rights": ["search"], "expires_in": "1s"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let short = short["token"].as_str().unwrap().to_string();
    assert_eq!(get_bearer(&server, "/api/me", &short).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(get_bearer(&server, "/api/me", &short).await.status(), 401);
    assert_eq!(
        get_bearer(&server, "/api/me", "hst_0000").await.status(),
        401
    );
}

async fn audit(server: &TestServer, cookie: &str, query: &str) -> Vec<Value> {
    let response = get_with(server, &format!("/api/audit?{query}"), Some(cookie)).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn each_action_leaves_one_audit_record_and_only_admins_read_them() {
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let port = udp.local_addr().unwrap().port();
    let server = TestServer::start(&users(&format!(
        "[audit]\nsyslog = \"udp://127.0.0.1:{port}\"\nretention = \"30d\"\n"
    )))
    .await;
    let ada = cookie(&server, "ada").await;
    let mut datagram = [0u8; 4096];
    let n = udp.recv(&mut datagram).unwrap();
    let line = String::from_utf8_lossy(&datagram[..n]).to_string();
    assert!(line.starts_with("<110>1 "), "{line}");
    assert!(
        line.contains("action=\"sign_in\"") && line.contains("user=\"ada\""),
        "{line}"
    );

    assert_eq!(login(&server, "val", "wrong").await.status(), 401);
    let sql = client()
        .post(server.url("/api/query"))
        .header("cookie", &ada)
        .json(&json!({"query": "SELECT 1 AS one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sql.status(), 200);
    post_with(
        &server,
        "/api/v3/call/transaction",
        Some(&ada),
        &transaction(),
    )
    .await;
    post_with(
        &server,
        "/api/v3/export/call/messages/pcap",
        Some(&ada),
        &transaction(),
    )
    .await;
    post_with(
        &server,
        "/api/auth/tokens",
        Some(&ada),
        &json!({"name": "ci", "rights": ["search"]}),
    )
    .await;

    assert_eq!(
        get_bearer(&server, "/api/me", "hst_not-a-token")
            .await
            .status(),
        401
    );
    let refused = audit(&server, &ada, "action=sign_in&limit=1").await;
    assert_eq!(refused[0]["object"], "token");
    assert_eq!(refused[0]["outcome"], "failure");
    let sign_ins = audit(&server, &ada, "action=sign_in").await;
    assert_eq!(sign_ins.len(), 3, "{sign_ins:?}");
    let sign_ins = &sign_ins[1..];
    assert_eq!(sign_ins[0]["user"], "val");
    assert_eq!(sign_ins[0]["outcome"], "failure");
    assert_eq!(sign_ins[0]["object"], "local");
    assert_eq!(sign_ins[1]["user"], "ada");
    assert_eq!(sign_ins[1]["outcome"], "success");
    assert_eq!(sign_ins[1]["client"], "127.0.0.1");
    let sql = audit(&server, &ada, "action=sql").await;
    assert_eq!(sql.len(), 1);
    assert_eq!(sql[0]["object"], "SELECT 1 AS one");
    let views = audit(&server, &ada, "action=call_view").await;
    assert_eq!(views.len(), 1);
    assert!(views[0]["object"]
        .as_str()
        .unwrap()
        .contains("call_ids=c1@x"));
    let exports = audit(&server, &ada, "action=export").await;
    assert_eq!(exports.len(), 1);
    assert!(exports[0]["object"]
        .as_str()
        .unwrap()
        .contains("format=pcap"));
    assert_eq!(audit(&server, &ada, "action=token_create").await.len(), 1);
    assert_eq!(audit(&server, &ada, "user=val").await.len(), 1);
    assert_eq!(audit(&server, &ada, "limit=2").await.len(), 2);
    assert!(audit(&server, &ada, "from=4000000000000").await.is_empty());

    let csv = get_with(&server, "/api/audit.csv?action=sign_in", Some(&ada)).await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "time,user,client,action,object,outcome");
    assert_eq!(lines.len(), 4, "{csv}");
    let val = cookie(&server, "val").await;
    assert_eq!(
        get_with(&server, "/api/audit.csv", Some(&val))
            .await
            .status(),
        403
    );
}

/// The live stream needs `live`: a user without it is refused at the WebSocket handshake with the
/// right named, while a viewer with today's default rights connects.
#[tokio::test]
async fn the_live_stream_needs_the_live_right() {
    let server = TestServer::start(&users(
        "[ingest.hep_stream]\nenable = true\n[coordinator.hep_stream]\nenable = true\n",
    ))
    .await;
    let url = format!("ws://{}/api/v4/stream/hep", server.addr);
    let vera = cookie(&server, "vera").await;
    let refused = crate::live_support::connect(&url, &[("cookie", vera)]).await;
    assert_eq!(crate::live_support::refused_status(refused), 403);
    let val = cookie(&server, "val").await;
    let opened = crate::live_support::connect(&url, &[("cookie", val)]).await;
    assert!(opened.is_ok(), "a default viewer has live");
}
