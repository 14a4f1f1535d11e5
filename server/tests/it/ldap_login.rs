//! LDAP sign-in against a real OpenLDAP slapd (tests/common/slapd.rs): groups mapped to roles, wrong
//! passwords, unknown and disabled users, filter injection, and a directory that is down or silent.

use std::time::{Duration, Instant};

use crate::common::app::{
    audit_sign_ins, get_with, login, session_cookie, temp_dir, TestServer, ADMIN_PASSWORD,
};
use crate::common::slapd::{Slapd, ADMIN_DN, ADMIN_PASSWORD as DIRECTORY_PASSWORD};
use serde_json::Value;

/// hepscope's config for `url`: search account, group search, and two mapped groups.
fn config(url: &str, extra_auth: &str, ldap_extra: &str) -> String {
    let password_file = temp_dir("ldap-bind").join("bind-password");
    std::fs::write(&password_file, format!("{DIRECTORY_PASSWORD}\n")).unwrap();
    format!(
        r#"
[auth]
{extra_auth}

[auth.ldap]
url = "{url}"
bind_dn = "{ADMIN_DN}"
bind_password_file = "{password_file}"
user_base = "ou=people,dc=example,dc=org"
timeout = "1s"
{ldap_extra}

[[auth.role_map]]
group = "voip-support"
role = "admin"

[[auth.role_map]]
group = "noc"
role = "viewer"
rights = ["export"]
"#,
        password_file = password_file.display()
    )
}

const GROUP_SEARCH: &str = "group_base = \"ou=groups,dc=example,dc=org\"";

async fn start(slapd: &Slapd, extra_auth: &str) -> TestServer {
    TestServer::start(&config(&slapd.url(), extra_auth, GROUP_SEARCH)).await
}

async fn me(server: &TestServer, response: reqwest::Response) -> Value {
    let cookie = session_cookie(&response);
    let me = get_with(server, "/api/me", Some(&cookie)).await;
    assert_eq!(me.status(), 200, "the LDAP session is accepted");
    me.json().await.unwrap()
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn a_directory_user_signs_in_with_the_role_of_their_groups() {
    let slapd = Slapd::start();
    let server = start(&slapd, "").await;
    let alice = login(&server, "alice", "alice-pw").await;
    assert_eq!(alice.status(), 200);
    let me_alice = me(&server, alice).await;
    assert_eq!(me_alice["username"], "alice");
    assert_eq!(
        me_alice["role"], "admin",
        "voip-support maps to admin: {me_alice}"
    );
    let bob = login(&server, "bob", "bob-pw").await;
    assert_eq!(bob.status(), 200);
    let me_bob = me(&server, bob).await;
    assert_eq!(me_bob["role"], "viewer", "noc maps to viewer: {me_bob}");
    assert_eq!(login(&server, "bob", "wrong").await.status(), 401);
    let failure = ("ldap".to_string(), "failure".to_string());
    let success = ("ldap".to_string(), "success".to_string());
    // Newest first: exactly one record per attempt, with the method.
    assert_eq!(
        audit_sign_ins(&server, "bob", 2).await,
        vec![failure, success]
    );
    if let Some(rights) = me_bob.get("rights") {
        let rights: Vec<&str> = rights
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(rights.contains(&"export"), "{me_bob}");
        assert!(!rights.contains(&"admin"), "{me_bob}");
    }
}

#[tokio::test]
async fn groups_can_come_from_member_of() {
    let slapd = Slapd::start();
    let server = TestServer::start(&config(&slapd.url(), "", "member_of = \"memberOf\"")).await;
    let bob = login(&server, "bob", "bob-pw").await;
    assert_eq!(bob.status(), 200);
    assert_eq!(me(&server, bob).await["role"], "viewer");
}

#[tokio::test]
async fn wrong_password_unknown_and_disabled_users_are_refused_alike() {
    let slapd = Slapd::start();
    let server = start(&slapd, "").await;
    for (user, password) in [
        ("alice", "not-her-password"),
        ("nobody", "whatever"),
        // dave's password is right, but ppolicy has locked the account.
        ("dave", "dave-pw"),
        // An empty password would be an unauthenticated bind, which LDAP servers accept.
        ("alice", ""),
    ] {
        let (status, error) = error_of(login(&server, user, password).await).await;
        assert_eq!(status, 401, "{user}");
        assert_eq!(error, "wrong user name or password", "{user}");
    }
}

#[tokio::test]
async fn filter_metacharacters_in_the_user_name_match_nothing() {
    let slapd = Slapd::start();
    let server = start(&slapd, "max_failed_logins = 20").await;
    // Unescaped, `ali*` would find alice alone and her password would sign "ali*" in.
    for name in [
        "*)(uid=*",
        "admin)(|(uid=*",
        "ali*",
        "*",
        "alice)(uid=alice",
        "alice\\",
        "al\0ice",
    ] {
        let (status, error) = error_of(login(&server, name, "alice-pw").await).await;
        assert_eq!(status, 401, "{name:?}: {error}");
    }
    assert_eq!(login(&server, "alice", "alice-pw").await.status(), 200);
}

#[tokio::test]
async fn a_user_in_no_mapped_group_is_refused() {
    let slapd = Slapd::start();
    let server = start(&slapd, "").await;
    let (status, error) = error_of(login(&server, "carol", "carol-pw").await).await;
    assert_eq!(status, 403, "{error}");
    assert!(error.contains("group"), "{error}");
}

#[tokio::test]
async fn a_stopped_directory_answers_503_not_wrong_password() {
    let mut slapd = Slapd::start();
    let server = start(&slapd, "").await;
    slapd.stop();
    let response = login(&server, "alice", "alice-pw").await;
    assert!(response.headers().contains_key("retry-after"));
    let (status, error) = error_of(response).await;
    assert_eq!(status, 503);
    assert!(error.contains("the directory is unreachable"), "{error}");
    // Not counted as failures: more than max_failed_logins (5) tries later, the login still works.
    for _ in 0..6 {
        assert_eq!(login(&server, "alice", "alice-pw").await.status(), 503);
    }
    slapd.restart();
    assert_eq!(login(&server, "alice", "alice-pw").await.status(), 200);
}

#[tokio::test]
async fn a_silent_directory_times_out_with_503() {
    // Accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ldap://{}", silent.local_addr().unwrap());
    let server = TestServer::start(&config(&url, "", GROUP_SEARCH)).await;
    let started = Instant::now();
    let (status, error) = error_of(login(&server, "alice", "alice-pw").await).await;
    assert_eq!(status, 503);
    assert!(error.contains("the directory is unreachable"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(silent);
}

#[tokio::test]
async fn failed_directory_logins_count_in_the_lockout() {
    let slapd = Slapd::start();
    let server = start(&slapd, "max_failed_logins = 3").await;
    for _ in 0..3 {
        assert_eq!(login(&server, "alice", "wrong").await.status(), 401);
    }
    let (status, _) = error_of(login(&server, "alice", "alice-pw").await).await;
    assert_eq!(status, 429, "locked out after max_failed_logins");
}

#[tokio::test]
async fn local_users_first_and_off_with_local_false() {
    let slapd = Slapd::start();
    let server = start(&slapd, "").await;
    assert_eq!(login(&server, "admin", ADMIN_PASSWORD).await.status(), 200);
    let methods: Value = get_with(&server, "/api/auth/methods", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(methods["local"], true);
    assert_eq!(methods["ldap"], true);
    assert!(methods["oidc"].is_null());

    let server = start(&slapd, "local = false").await;
    let (status, _) = error_of(login(&server, "admin", ADMIN_PASSWORD).await).await;
    assert_eq!(status, 401, "the built-in admin is off with local = false");
    assert_eq!(login(&server, "alice", "alice-pw").await.status(), 200);
    let methods: Value = get_with(&server, "/api/auth/methods", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(methods["local"], false);
}

#[tokio::test]
async fn a_changed_membership_applies_within_cache_ttl() {
    let slapd = Slapd::start();
    let server = TestServer::start(&config(
        &slapd.url(),
        "",
        &format!("{GROUP_SEARCH}\ncache_ttl = \"1s\""),
    ))
    .await;
    let bob = login(&server, "bob", "bob-pw").await;
    let cookie = session_cookie(&bob);
    let role = |me: Value| me["role"].as_str().unwrap_or_default().to_string();
    let me_now = || async { get_with(&server, "/api/me", Some(&cookie)).await };
    assert_eq!(role(me_now().await.json().await.unwrap()), "viewer");

    // bob joins voip-support: within cache_ttl his session is an admin's.
    slapd.modify(
        "dn: cn=voip-support,ou=groups,dc=example,dc=org\nchangetype: modify\nadd: member\n\
         member: uid=bob,ou=people,dc=example,dc=org\n",
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(role(me_now().await.json().await.unwrap()), "admin");

    // bob leaves every mapped group: the session ends.
    slapd.modify(
        "dn: cn=voip-support,ou=groups,dc=example,dc=org\nchangetype: modify\ndelete: member\n\
         member: uid=bob,ou=people,dc=example,dc=org\n\n\
         dn: cn=noc,ou=groups,dc=example,dc=org\nchangetype: modify\ndelete: member\n\
         member: uid=bob,ou=people,dc=example,dc=org\n",
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(me_now().await.status(), 401);
}

/// `[auth.ldap]` lines for a TLS connection: the group search, plus `extra` (`starttls`, `ca_file`).
fn tls_lines(extra: &str) -> String {
    format!("{GROUP_SEARCH}\n{extra}")
}

fn ca_file_line(slapd: &Slapd) -> String {
    let ca = &slapd.tls.as_ref().unwrap().ca_file;
    format!("ca_file = \"{}\"", ca.display())
}

#[tokio::test]
async fn starttls_with_the_company_ca_signs_in() {
    let slapd = Slapd::start_tls();
    let ldap = tls_lines(&format!("starttls = true\n{}", ca_file_line(&slapd)));
    let server = TestServer::start(&config(&slapd.url(), "", &ldap)).await;
    let alice = login(&server, "alice", "alice-pw").await;
    assert_eq!(alice.status(), 200);
    assert_eq!(me(&server, alice).await["role"], "admin");
    // The password is still checked over TLS.
    assert_eq!(login(&server, "alice", "wrong").await.status(), 401);
}

#[tokio::test]
async fn ldaps_with_the_company_ca_signs_in() {
    let slapd = Slapd::start_tls();
    let server = TestServer::start(&config(
        &slapd.ldaps_url(),
        "",
        &tls_lines(&ca_file_line(&slapd)),
    ))
    .await;
    let bob = login(&server, "bob", "bob-pw").await;
    assert_eq!(bob.status(), 200);
    assert_eq!(me(&server, bob).await["role"], "viewer");
}

#[tokio::test]
async fn an_untrusted_directory_certificate_answers_503_naming_it() {
    let slapd = Slapd::start_tls();
    // Without ca_file only the system roots are trusted, and the test CA is not among them.
    for (url, ldap) in [
        (slapd.ldaps_url(), tls_lines("")),
        (slapd.url(), tls_lines("starttls = true")),
    ] {
        let server = TestServer::start(&config(&url, "", &ldap)).await;
        let response = login(&server, "alice", "alice-pw").await;
        assert!(response.headers().contains_key("retry-after"), "{url}");
        let (status, error) = error_of(response).await;
        assert_eq!(status, 503, "{url}: {error}");
        assert!(
            error.contains("the directory's TLS certificate is not trusted"),
            "{url}: {error}"
        );
        assert!(error.contains("ca_file"), "{url}: {error}");
        // Not a failed attempt: more than max_failed_logins (5) tries later, no lockout (429).
        for _ in 0..6 {
            assert_eq!(login(&server, "alice", "alice-pw").await.status(), 503);
        }
    }
}

#[tokio::test]
async fn starttls_required_but_not_offered_answers_503_naming_it() {
    // A directory without any TLS set-up refuses the StartTLS request.
    let slapd = Slapd::start();
    let server = TestServer::start(&config(&slapd.url(), "", &tls_lines("starttls = true"))).await;
    let (status, error) = error_of(login(&server, "alice", "alice-pw").await).await;
    assert_eq!(status, 503, "{error}");
    assert!(
        error.contains("the directory does not offer StartTLS"),
        "{error}"
    );
}
