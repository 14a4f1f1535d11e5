//! `hepscope login`, API tokens from the config file, `discover`, and the SIPp scenario of `show
//! --sipp` replayed by Debian's SIPp (issue 20).

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::common::cli::Backends;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// What the token double saw.
#[derive(Default)]
struct Seen {
    token_request: Option<Value>,
    bearer_on_token_route: Option<String>,
    bearer_on_v3: Option<String>,
}

/// hepscope's login and token routes as the `rights` work specifies them: `POST /api/auth/login`
/// sets the session cookie, `POST /api/auth/tokens` (with the session) answers `{"token":"hst_…"}`.
fn token_double(seen: Arc<Mutex<Seen>>) -> Router {
    let s1 = seen.clone();
    let s2 = seen.clone();
    Router::new()
        .route(
            "/api/auth/login",
            post(|Json(body): Json<Value>| async move {
                if body["username"] == "alice" && body["password"] == "pw with spaces" {
                    (
                        StatusCode::OK,
                        [("set-cookie", "hepscope_session=sess-123; Path=/; HttpOnly")],
                        Json(json!({"username": "alice", "role": "viewer", "expires_at": 1})),
                    )
                        .into_response()
                } else {
                    (
                        StatusCode::UNAUTHORIZED,
                        Json(json!({"error": "wrong user name or password"})),
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/api/auth/tokens",
            post(
                move |headers: HeaderMap, Json(body): Json<Value>| async move {
                    let mut seen = s1.lock().unwrap();
                    seen.bearer_on_token_route = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    seen.token_request = Some(body);
                    (
                        StatusCode::CREATED,
                        Json(json!({"token": "hst_created_by_double", "id": 7})),
                    )
                },
            ),
        )
        .route(
            "/api/v3/mapping/protocol",
            get(move |headers: HeaderMap| async move {
                s2.lock().unwrap().bearer_on_v3 = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({"error": "test double"})),
                )
            }),
        )
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
}

/// Runs the binary with `stdin` fed in.
fn run_with_stdin(args: &[&str], home: &std::path::Path, stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hepscope"))
        .args(args)
        .current_dir(home)
        .env_clear()
        .env("HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_creates_an_api_token_and_stores_it_0600_for_the_other_commands() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let addr = common::serve(token_double(seen.clone())).await;
    let url = format!("http://{addr}");
    let home = common::app::temp_dir("cli-login");
    let (url2, home2) = (url.clone(), home.clone());
    let out = tokio::task::spawn_blocking(move || {
        run_with_stdin(&["login", &url2], &home2, "alice\npw with spaces\n")
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("pw with spaces"),
        "the password is not echoed: {stderr}"
    );
    {
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen.bearer_on_token_route.as_deref(),
            Some("Bearer sess-123")
        );
        let request = seen.token_request.clone().unwrap();
        assert!(request["name"]
            .as_str()
            .unwrap()
            .starts_with("hepscope-cli@"));
        assert_eq!(request["expires_in"], "90d");
        assert_eq!(request["rights"], json!(["search", "raw", "export"]));
    }
    let path = home.join(".config/hepscope/config.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&format!("[servers.\"{url}\"]")), "{text}");
    assert!(text.contains("token = \"hst_created_by_double\""), "{text}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The other commands send the stored token as a Bearer (probed as hepscope by /healthz).
    let run = common::cli::run(&["--url".into(), url.clone(), "search".into()], &home, &[]).await;
    assert_eq!(run.code, 3, "the double refuses: {}", run.stderr);
    assert_eq!(
        seen.lock().unwrap().bearer_on_v3.as_deref(),
        Some("Bearer hst_created_by_double")
    );

    // A wrong password: exit 3, nothing stored.
    let home = common::app::temp_dir("cli-login-wrong");
    let home2 = home.clone();
    let out = tokio::task::spawn_blocking(move || {
        run_with_stdin(&["login", &url, "--user", "alice"], &home2, "nope\n")
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(!home.join(".config/hepscope/config.toml").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_the_config_file_works_against_a_real_server() {
    let b = Backends::start("cli-token-file").await;
    let config = b.home.join(".config/hepscope");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[servers.\"{}/\"]\ntoken = \"{}\"\n",
            b.server_url(),
            b.token
        ),
    )
    .unwrap();
    let run = common::cli::run(
        &[
            "--url".into(),
            b.server_url(),
            "search".into(),
            "-l".into(),
            "2".into(),
        ],
        &b.home,
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    // --backend NAME reaches /api/b/{name}/v3.
    let run = common::cli::run(
        &[
            "--url".into(),
            b.server_url(),
            "--backend".into(),
            "embedded".into(),
            "-d".into(),
            "aliases".into(),
        ],
        &b.home,
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("/api/b/embedded/v3/alias"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_checks_connectivity_and_login_and_reads_the_kubeconfig_namespace() {
    let b = Backends::start("cli-discover").await;
    let run = b.homer(&["discover"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("connectivity ok") && run.stdout.contains("HOMER 7"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("auth         ok"), "{}", run.stdout);
    let run = b.hepscope(&["discover"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("(hepscope)"), "{}", run.stdout);

    // Without a URL: the namespace of the kubeconfig's current context, then the service's DNS name.
    let kubeconfig = b.home.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\ncontexts:\n- context:\n    cluster: lab\n    namespace: voip-lab\n    user: me\n  name: lab\ncurrent-context: lab\nkind: Config\n",
    )
    .unwrap();
    let run = common::cli::run(
        &["discover".into()],
        &b.home,
        &[("KUBECONFIG", kubeconfig.to_str().unwrap())],
    )
    .await;
    assert!(
        run.stdout.contains("namespace    voip-lab"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("homer-webapp.voip-lab.svc.cluster.local"),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 3, "no cluster here: {}", run.stderr);
    // -n wins over the kubeconfig.
    let run = common::cli::run(
        &["discover".into(), "-n".into(), "other".into()],
        &b.home,
        &[("KUBECONFIG", kubeconfig.to_str().unwrap())],
    )
    .await;
    assert!(run.stdout.contains("namespace    other"), "{}", run.stdout);
    // Wrong credentials: auth fails, exit 3.
    let run = common::cli::run(
        &["--url".into(), b.homer.url(), "discover".into()],
        &b.home,
        &[("HOMER_PASSWORD", "wrong")],
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stdout.contains("connectivity ok"), "{}", run.stdout);
}

/// A free UDP port on loopback.
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_replays_the_uac_and_uas_scenarios_of_show_sipp() {
    assert!(
        Command::new("sipp").arg("-v").output().is_ok(),
        "Debian's sipp is missing: run scripts/setup.sh --test (package sip-tester)"
    );
    let b = Backends::start("cli-sipp").await;
    // The busy call: INVITE, 100, 486, ACK between carrier and SBC, no long pause.
    let calls = b.both(&["calls", "-l", "500", "-o", "json"]).await;
    let calls: Vec<Value> = serde_json::from_str(&calls.stdout).unwrap();
    let busy = calls.iter().find(|c| c["status"] == "busy").unwrap()["call_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uac = b.both(&["show", &busy, "--sipp"]).await;
    let uas = b
        .both(&["show", &busy, "--sipp", "--sipp-role", "uas"])
        .await;
    assert!(
        uac.stdout.contains("<send>") && uac.stdout.contains("<recv response=\"486\"/>"),
        "{}",
        uac.stdout
    );
    let dir = common::app::temp_dir("cli-sipp-run");
    std::fs::write(dir.join("uac.xml"), &uac.stdout).unwrap();
    std::fs::write(dir.join("uas.xml"), &uas.stdout).unwrap();
    let (uas_port, uac_port) = (free_udp_port(), free_udp_port());
    let dir2 = dir.clone();
    let result = tokio::task::spawn_blocking(move || {
        let server = Command::new("sipp")
            .current_dir(&dir2)
            .args([
                "-sf",
                "uas.xml",
                "-i",
                "127.0.0.1",
                "-p",
                &uas_port.to_string(),
            ])
            .args(["-m", "1", "-nostdin", "-timeout", "20s", "-trace_err"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let client = Command::new("sipp")
            .current_dir(&dir2)
            .args([
                "-sf",
                "uac.xml",
                "-i",
                "127.0.0.1",
                "-p",
                &uac_port.to_string(),
            ])
            .arg(format!("127.0.0.1:{uas_port}"))
            .args(["-m", "1", "-nostdin", "-timeout", "20s", "-trace_err"])
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let server = server.wait_with_output().unwrap();
        (client, server)
    })
    .await
    .unwrap();
    let (client, server) = result;
    let errors: String = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with("_errors.log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert_eq!(
        client.status.code(),
        Some(0),
        "the UAC call succeeded: {}\n{errors}",
        String::from_utf8_lossy(&client.stderr)
    );
    assert_eq!(
        server.status.code(),
        Some(0),
        "the UAS call succeeded: {}\n{errors}",
        String::from_utf8_lossy(&server.stderr)
    );
}

/// `hepscope login` against a real server: the password login, then a real API token (`hst_…`) created
/// through `/api/auth/tokens`, which the other commands then use; revoking it in the server ends that.
#[tokio::test]
async fn login_against_a_real_server_stores_a_working_api_token() {
    let server = common::app::TestServer::start("").await;
    let url = format!("http://{}", server.addr);
    let home = common::app::temp_dir("cli-login-real");
    let (url2, home2) = (url.clone(), home.clone());
    let stdin = format!("admin\n{}\n", common::app::ADMIN_PASSWORD);
    let out =
        tokio::task::spawn_blocking(move || run_with_stdin(&["login", &url2], &home2, &stdin))
            .await
            .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(home.join(".config/hepscope/config.toml")).unwrap();
    let token = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("token = \""))
        .and_then(|t| t.strip_suffix('"'))
        .unwrap()
        .to_owned();
    assert!(token.starts_with("hst_"), "{text}");

    // The stored token works: an empty store answers "no results" (exit 1), not an auth failure (3).
    let args = ["--url".to_string(), url.clone(), "search".into()];
    let run = common::cli::run(&args, &home, &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);

    // The server lists it as the admin's token; revoked, the command is refused (exit 3).
    let client = common::app::client();
    let login = common::app::login(&server, "admin", common::app::ADMIN_PASSWORD).await;
    let cookie = common::app::session_cookie(&login);
    let list: Value = client
        .get(server.url("/api/auth/tokens"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tokens = list
        .as_array()
        .or_else(|| list["tokens"].as_array())
        .unwrap();
    let id = tokens
        .iter()
        .find(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("hepscope-cli@"))
        })
        .and_then(|t| t["id"].as_str())
        .unwrap()
        .to_owned();
    let revoked = client
        .delete(server.url(&format!("/api/auth/tokens/{id}")))
        .header("cookie", &cookie)
        .header("origin", server.url(""))
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());
    let run = common::cli::run(&args, &home, &[]).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
}
