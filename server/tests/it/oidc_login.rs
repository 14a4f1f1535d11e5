//! OIDC sign-in: the full code flow against panva's `oidc-provider` (a certified OpenID provider,
//! e2e/oidc/provider.mjs) through its login and consent pages, and the ID token checks against a test
//! issuer served here with keys generated here (wrong audience, expiry, unknown `kid`).

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::app::{audit_sign_ins, get_with, TestServer};
use crate::common::oidc::{query_param, Browser, OidcProvider, Stop, CLIENT_ID, CLIENT_SECRET};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};

const CALLBACK: &str = "/api/auth/oidc/callback";
const DEEP_LINK: &str = "/call/abc123@host?since=1h&tab=ladder";

fn config(issuer: &str, base: &str) -> String {
    format!(
        r#"
[auth.oidc]
name = "Example ID"
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
redirect_url = "{base}{CALLBACK}"

[[auth.role_map]]
group = "voip-support"
role = "admin"

[[auth.role_map]]
group = "noc"
role = "viewer"
"#
    )
}

/// hepscope on a port known before its config is written (the redirect URL names it).
async fn bind() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (listener, base)
}

async fn with_provider() -> (OidcProvider, TestServer) {
    let (listener, base) = bind().await;
    let provider = OidcProvider::start(&format!("{base}{CALLBACK}"));
    let server = TestServer::start_on(listener, &config(&provider.issuer, &base)).await;
    (provider, server)
}

fn start_url(server: &TestServer, next: &str) -> String {
    server.url(&format!(
        "/api/auth/oidc/start?next={}",
        common::oidc::urlencode(next)
    ))
}

/// The `sso_error` of a redirect to the login page.
fn sso_error(location: &str) -> String {
    assert!(location.contains("/login?"), "{location}");
    query_param(location, "sso_error").unwrap_or_default()
}

async fn me(server: &TestServer, browser: &Browser) -> Value {
    let cookie = format!(
        "hepscope_session={}",
        browser.cookie("hepscope_session").expect("a session")
    );
    let response = get_with(server, "/api/me", Some(&cookie)).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_code_flow_through_the_provider_lands_on_the_deep_link_with_the_mapped_role() {
    let (_provider, server) = with_provider().await;
    let methods: Value = get_with(&server, "/api/auth/methods", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(methods["oidc"]["name"], "Example ID");

    for (user, role) in [("ada", "admin"), ("grace", "viewer")] {
        let mut browser = Browser::new();
        let stop = browser
            .walk(&start_url(&server, DEEP_LINK), user, &server.url("/call/"))
            .await;
        assert_eq!(stop.status, 303, "{}", stop.body);
        assert_eq!(
            stop.location.as_deref(),
            Some(server.url(DEEP_LINK).as_str())
        );
        assert!(
            browser.cookie("hepscope_oidc").is_none(),
            "the flow cookie is cleared"
        );
        let me = me(&server, &browser).await;
        assert_eq!(me["username"], user);
        assert_eq!(me["role"], role, "{me}");
        let record = ("oidc".to_string(), "success".to_string());
        assert_eq!(audit_sign_ins(&server, user, 1).await, vec![record]);
    }
}

#[tokio::test]
async fn a_wrong_or_foreign_state_signs_nobody_in() {
    let (_provider, server) = with_provider().await;
    let mut browser = Browser::new();
    let stop = browser
        .walk(&start_url(&server, DEEP_LINK), "ada", &server.url(CALLBACK))
        .await;
    let callback = stop.location.unwrap();
    let state = query_param(&callback, "state").unwrap();
    let code = query_param(&callback, "code").unwrap();

    // A state that was never issued.
    let forged = server.url(&format!("{CALLBACK}?code={code}&state=forged"));
    let stop = browser.request("GET", &forged, None).await;
    assert!(sso_error(&stop.location.unwrap()).contains("start it again"));
    assert!(browser.cookie("hepscope_session").is_none());

    // The right state from another browser (no flow cookie).
    let mut other = Browser::new();
    let stop = other.request("GET", &callback, None).await;
    assert!(sso_error(&stop.location.unwrap()).contains("start it again"));
    assert!(other.cookie("hepscope_session").is_none());
    let _ = state;
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let (_provider, server) = with_provider().await;
    let mut browser = Browser::new();
    let first = browser
        .walk(&start_url(&server, "/"), "ada", &server.url(CALLBACK))
        .await;
    let first_callback = first.location.unwrap();
    let done = browser.request("GET", &first_callback, None).await;
    assert_eq!(done.location.as_deref(), Some(server.url("/").as_str()));
    let old_code = query_param(&first_callback, "code").unwrap();

    // A new flow in the same browser, answered with the old code.
    browser.remove_cookie("hepscope_session");
    let second = browser
        .walk(&start_url(&server, "/"), "ada", &server.url(CALLBACK))
        .await;
    let state = query_param(&second.location.unwrap(), "state").unwrap();
    let replay = server.url(&format!("{CALLBACK}?code={old_code}&state={state}"));
    let stop = browser.request("GET", &replay, None).await;
    let error = sso_error(&stop.location.unwrap());
    assert!(error.contains("did not accept the code"), "{error}");
    assert!(browser.cookie("hepscope_session").is_none());
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let (_provider, server) = with_provider().await;
    for next in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let mut browser = Browser::new();
        let stop = browser
            .walk(&start_url(&server, next), "grace", &server.url(CALLBACK))
            .await;
        let done = browser.request("GET", &stop.location.unwrap(), None).await;
        assert_eq!(
            done.location.as_deref(),
            Some(server.url("/").as_str()),
            "{next}"
        );
    }
}

// ---- ID token checks against a test issuer ----

/// What the test issuer's token endpoint signs next.
#[derive(Clone)]
struct Scenario {
    nonce: String,
    audience: String,
    expires_in: i64,
    /// The key that signs (0, 1 or 2); the JWKS lists keys `0..=published`.
    signing_key: usize,
    published: usize,
}

struct Issuer {
    base: String,
    keys: Vec<(rcgen::KeyPair, String)>,
    scenario: Mutex<Scenario>,
    jwks_fetches: Mutex<u32>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn discovery(State(issuer): State<Arc<Issuer>>) -> Json<Value> {
    let base = &issuer.base;
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }))
}

async fn jwks(State(issuer): State<Arc<Issuer>>) -> Json<Value> {
    *issuer.jwks_fetches.lock().unwrap() += 1;
    let published = issuer.scenario.lock().unwrap().published;
    let keys: Vec<Value> = issuer.keys[..=published]
        .iter()
        .map(|(key, kid)| {
            let point = key.public_key_raw();
            json!({"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                   "x": b64(&point[1..33]), "y": b64(&point[33..65])})
        })
        .collect();
    Json(json!({ "keys": keys }))
}

async fn token(State(issuer): State<Arc<Issuer>>) -> Json<Value> {
    let scenario = issuer.scenario.lock().unwrap().clone();
    let (key, kid) = &issuer.keys[scenario.signing_key];
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.clone());
    let claims = json!({
        "iss": issuer.base, "aud": scenario.audience, "sub": "u-1",
        "iat": now() - 5, "exp": now() + scenario.expires_in,
        "nonce": scenario.nonce, "preferred_username": "ada", "groups": ["noc"],
    });
    let encoding = jsonwebtoken::EncodingKey::from_ec_der(&key.serialize_der());
    let id_token = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();
    Json(
        json!({"access_token": "at", "token_type": "Bearer", "expires_in": 60, "id_token": id_token}),
    )
}

async fn test_issuer() -> (Arc<Issuer>, TestServer) {
    let (issuer_listener, issuer_base) = bind().await;
    let keys = (0..3)
        .map(|i| (rcgen::KeyPair::generate().unwrap(), format!("key-{i}")))
        .collect();
    let issuer = Arc::new(Issuer {
        base: issuer_base.clone(),
        keys,
        scenario: Mutex::new(Scenario {
            nonce: String::new(),
            audience: CLIENT_ID.into(),
            expires_in: 300,
            signing_key: 0,
            published: 0,
        }),
        jwks_fetches: Mutex::new(0),
    });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(issuer.clone());
    tokio::spawn(async move { axum::serve(issuer_listener, app).await });
    let (listener, base) = bind().await;
    let server = TestServer::start_on(listener, &config(&issuer_base, &base)).await;
    (issuer, server)
}

/// Starts a sign-in and answers its callback with the token `change` describes.
async fn sign_in(
    issuer: &Issuer,
    server: &TestServer,
    change: impl FnOnce(&mut Scenario),
) -> (Browser, Stop) {
    let mut browser = Browser::new();
    let start = browser
        .request("GET", &start_url(server, "/calls"), None)
        .await;
    let authorize = start.location.unwrap();
    assert!(
        authorize.starts_with(&format!("{}/authorize?", issuer.base)),
        "{authorize}"
    );
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    {
        let mut scenario = issuer.scenario.lock().unwrap();
        scenario.nonce = query_param(&authorize, "nonce").unwrap();
        change(&mut scenario);
    }
    let state = query_param(&authorize, "state").unwrap();
    let callback = server.url(&format!("{CALLBACK}?code=c&state={state}"));
    let stop = browser.request("GET", &callback, None).await;
    if browser.cookie("hepscope_session").is_some() {
        assert_eq!(
            stop.location.as_deref(),
            Some(server.url("/calls").as_str())
        );
    }
    (browser, stop)
}

/// Signs in with a bad token: no session, and the login page says `why`.
async fn refused(
    issuer: &Issuer,
    server: &TestServer,
    why: &str,
    change: impl FnOnce(&mut Scenario),
) {
    let (browser, stop) = sign_in(issuer, server, change).await;
    assert!(
        browser.cookie("hepscope_session").is_none(),
        "signed in with a bad ID token"
    );
    let error = sso_error(&stop.location.unwrap());
    assert!(error.contains(why), "{error}");
}

#[tokio::test]
async fn id_tokens_for_another_audience_or_expired_are_refused() {
    let (issuer, server) = test_issuer().await;
    // The control: a good token signs in.
    let (browser, _) = sign_in(&issuer, &server, |_| {}).await;
    assert_eq!(me(&server, &browser).await["role"], "viewer");
    refused(&issuer, &server, "Invalid audiences", |s| {
        s.audience = "another-client".into()
    })
    .await;
    refused(&issuer, &server, "Expired", |s| {
        s.audience = CLIENT_ID.into();
        s.expires_in = -120;
    })
    .await;
    refused(&issuer, &server, "Invalid nonce", |s| {
        s.expires_in = 300;
        s.nonce = "not-the-flow's-nonce".into();
    })
    .await;
}

#[tokio::test]
async fn an_unknown_kid_fetches_the_jwks_again() {
    let (issuer, server) = test_issuer().await;
    let (browser, _) = sign_in(&issuer, &server, |_| {}).await;
    assert!(browser.cookie("hepscope_session").is_some());
    let fetches = *issuer.jwks_fetches.lock().unwrap();
    // The provider rotates to key-1: hepscope's cached JWKS lacks it.
    let (browser, _) = sign_in(&issuer, &server, |s| {
        s.signing_key = 1;
        s.published = 1;
    })
    .await;
    assert!(
        browser.cookie("hepscope_session").is_some(),
        "signed in after the JWKS refresh"
    );
    assert_eq!(*issuer.jwks_fetches.lock().unwrap(), fetches + 1);
    // A kid the provider never published stays refused (after one more fetch).
    refused(&issuer, &server, "Signature verification failed", |s| {
        s.signing_key = 2;
        s.published = 1;
    })
    .await;
}
