//! The command line's tests: the same generated packets in a running `hepscope` (embedded store)
//! and behind a HOMER 7 double (the fake's login and JWT checks in front of a store holding the same
//! packets), the `hepscope` binary run against either, and the browser's pipeline (the same domain
//! functions, over the store's HOMER 7 router in process) for the expected JSON.

use std::path::PathBuf;
use std::process::Command;

use app::domain::fetch::{search_rows_from_text, transaction_from_text, SearchAnswer, V3Fetch};
use app::domain::fixture::{demo_mix, Packet, PacketKind};
use app::domain::homer::{
    AliasList, MappingList, SearchRequest, TransactionRequest, TransactionResponse,
};
use axum::Router;
use server::store::Store;

use super::fake_homer::{FakeHomer, PASSWORD, USERNAME};
use super::process::{empty_dir, Hepscope};
use super::store::{now_us, open_store, send, store_all};

/// The seed of the generated traffic.
pub const SEED: u64 = 20;
/// Calls generated (the first eleven are every scenario once, the three-leg call among them).
pub const CALLS: usize = 14;

/// One command's outcome.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Both backends holding the same packets.
pub struct Backends {
    pub server: Hepscope,
    /// A session token of the server's admin, usable as `HEPSCOPE_TOKEN`.
    pub token: String,
    pub homer: FakeHomer,
    /// The double's store, also used in process for the browser's expected answers.
    pub store: Store,
    pub packets: Vec<Packet>,
    /// `HOME` of the commands (no dex config, no token file unless a test writes one).
    pub home: PathBuf,
}

/// `[[alias]]` lines for the demo aliases.
fn alias_toml() -> String {
    server::demo::demo_aliases()
        .iter()
        .map(|a| {
            format!(
                "[[alias]]\nip = \"{}/{}\"\nport = {}\nname = \"{}\"\n\n",
                a.ip, a.prefix, a.port, a.name
            )
        })
        .collect()
}

impl Backends {
    /// Generates the traffic (starting two hours ago) and starts both backends.
    pub async fn start(name: &str) -> Backends {
        let packets = demo_mix(SEED, now_us() - 2 * 3600 * 1_000_000, CALLS);
        let dir = empty_dir(name);
        std::fs::write(dir.join("hepscope.toml"), alias_toml()).unwrap();
        {
            let config = server::config::StoreConfig::at(dir.join("data/store/hepscope.sqlite"));
            let store = Store::open(config, server::demo::demo_aliases()).unwrap();
            store_all(&store, &packets);
            store.flush().unwrap();
        }
        let server = Hepscope::start_with_env(
            &dir,
            &["--config", "hepscope.toml", "--no-hep"],
            &[("RUST_LOG", "error")],
        );
        let token = login_token(&server.url(""), super::app::ADMIN_PASSWORD).await;
        let (store, _) = open_store(
            &format!("{name}-homer"),
            server::demo::demo_aliases(),
            |_| {},
        );
        store_all(&store, &packets);
        let homer = FakeHomer::start_backed_by(server::store::api::router(store.clone())).await;
        let home = dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        Backends {
            server,
            token,
            homer,
            store,
            packets,
            home,
        }
    }

    /// The server's base URL.
    pub fn server_url(&self) -> String {
        self.server.url("")
    }

    /// Runs `hepscope args…` against the hepscope server (`--url`, `--tz UTC`, the token).
    pub async fn hepscope(&self, args: &[&str]) -> Run {
        let mut all = vec![
            "--url".to_owned(),
            self.server_url(),
            "--tz".into(),
            "UTC".into(),
        ];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        run(&all, &self.home, &[("HEPSCOPE_TOKEN", self.token.as_str())]).await
    }

    /// Runs `hepscope args…` against the HOMER 7 double (`--url`, `--tz UTC`, `HOMER_*`).
    pub async fn homer(&self, args: &[&str]) -> Run {
        let mut all = vec![
            "--url".to_owned(),
            self.homer.url(),
            "--tz".into(),
            "UTC".into(),
        ];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        run(
            &all,
            &self.home,
            &[("HOMER_USERNAME", USERNAME), ("HOMER_PASSWORD", PASSWORD)],
        )
        .await
    }

    /// Runs against both; asserts the same exit code and stdout, and returns the hepscope run.
    pub async fn both(&self, args: &[&str]) -> Run {
        let a = self.hepscope(args).await;
        let b = self.homer(args).await;
        assert_eq!(
            (a.code, &a.stdout),
            (b.code, &b.stdout),
            "hepscope and HOMER 7 differ for {args:?}\nhepscope stderr: {}\nhomer stderr: {}",
            a.stderr,
            b.stderr
        );
        a
    }

    /// The browser's fetch, over the store's HOMER 7 router in process.
    pub fn browser(&self) -> StoreFetch {
        StoreFetch(server::store::api::router(self.store.clone()))
    }

    /// The Call-IDs of the SIP packets, in first-seen order.
    pub fn call_ids(&self) -> Vec<String> {
        super::store::call_ids(&self.packets)
    }

    /// Call-IDs of calls having RTCP.
    pub fn rtcp_call_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for p in self.packets.iter().filter(|p| p.kind == PacketKind::Rtcp) {
            if !ids.contains(&p.call_id) {
                ids.push(p.call_id.clone());
            }
        }
        ids
    }
}

/// Runs the binary with a clean environment plus `env`, in `home`.
pub async fn run(args: &[String], home: &std::path::Path, env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hepscope"));
    command
        .args(args)
        .current_dir(home)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        command.env(k, v);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Logs in as `admin` and returns the session token from the cookie.
pub async fn login_token(base: &str, password: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "login: {}",
        response.status()
    );
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("hepscope_session="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned()
}

/// What the browser reaches through the server: the store's HOMER 7 router.
pub struct StoreFetch(pub Router);

impl StoreFetch {
    async fn post_text<B: serde::Serialize>(&self, path: &str, body: &B) -> String {
        let value = serde_json::to_value(body).unwrap();
        let (_, _, bytes) = send(&self.0, "POST", &format!("/{path}"), Some(&value)).await;
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The field mapping.
    pub async fn mapping(&self) -> MappingList {
        let (_, _, bytes) = send(&self.0, "GET", "/mapping/protocol", None).await;
        serde_json::from_slice(&bytes).unwrap()
    }
}

impl V3Fetch for StoreFetch {
    type Error = String;

    async fn search_all(&self, requests: &[SearchRequest]) -> Vec<SearchAnswer<String>> {
        let mut out = Vec::new();
        for request in requests {
            let text = self.post_text("search/call/data", request).await;
            out.push((request.row_limit(), search_rows_from_text(&text)));
        }
        out
    }

    async fn transaction(
        &self,
        request: &TransactionRequest,
    ) -> Result<TransactionResponse, String> {
        transaction_from_text(&self.post_text("call/transaction", request).await)
    }

    async fn qos_text(&self, request: &TransactionRequest) -> Result<String, String> {
        Ok(self.post_text("call/report/qos", request).await)
    }

    async fn aliases(&self) -> Result<AliasList, String> {
        let (_, _, bytes) = send(&self.0, "GET", "/alias", None).await;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }
}
