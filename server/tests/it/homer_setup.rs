//! From config to backends: `[[homer]]` entries in TOML, dex config and env resolution order
//! (checked by the login Homer actually receives), `HOMER_URL`, and discovery with a fake resolver.

use crate::common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::fake_homer::{FakeHomer, PASSWORD};
use crate::common::{http, search_body};
use futures_util::future::BoxFuture;
use server::homer::dex::{load_dex_config, DexConfig};
use server::homer::discovery::{discover, ServiceResolver};
use server::homer::{
    homer_backends, BackendRegistry, HomerBackendConfig, HomerSources, RegisteredBackend,
};

/// How the lead embeds the entries in the top-level config.
#[derive(serde::Deserialize)]
struct TopLevel {
    homer: Vec<HomerBackendConfig>,
}

/// A resolver that knows some hosts and accepts TCP on some ports.
#[derive(Default)]
struct FakeResolver {
    hosts: HashMap<String, std::net::IpAddr>,
    open_ports: Vec<u16>,
    asked: Mutex<Vec<String>>,
}

impl ServiceResolver for FakeResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<SocketAddr>>> {
        self.asked.lock().unwrap().push(format!("{host}:{port}"));
        let found = self
            .hosts
            .get(host)
            .map(|ip| vec![SocketAddr::new(*ip, port)]);
        Box::pin(async move {
            found.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "NXDOMAIN"))
        })
    }

    fn connect(&self, addr: SocketAddr, _: Duration) -> BoxFuture<'_, std::io::Result<()>> {
        let open = self.open_ports.contains(&addr.port());
        Box::pin(async move {
            if open {
                Ok(())
            } else {
                Err(std::io::ErrorKind::ConnectionRefused.into())
            }
        })
    }
}

fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k: &str| vars.get(k).cloned()
}

fn dex_file(json: &str) -> DexConfig {
    let path = std::env::temp_dir().join(format!(
        "hepscope-dex-{}-{:?}.json",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, json).unwrap();
    let dex = load_dex_config(&path).unwrap().unwrap();
    std::fs::remove_file(&path).unwrap();
    dex
}

/// Builds backends, proxies one search to the default, and returns the username Homer saw.
async fn login_username(
    fake: &FakeHomer,
    entries: &[HomerBackendConfig],
    dex: Option<&DexConfig>,
    env: &dyn Fn(&str) -> Option<String>,
) -> String {
    let resolver = FakeResolver::default();
    let backends = homer_backends(HomerSources {
        backends: entries,
        dex,
        env,
        namespace: None,
        service_account_namespace: None,
        resolver: &resolver,
    })
    .await
    .unwrap();
    let registered = backends
        .into_iter()
        .map(|b| RegisteredBackend {
            default: b.is_default(),
            backend: Arc::new(b),
        })
        .collect();
    let registry = Arc::new(BackendRegistry::new(registered).unwrap());
    let addr = common::serve(common::with_session(
        server::homer::router(registry),
        "admin",
        ::app::domain::api::Role::Admin,
    ))
    .await;
    http()
        .post(format!("http://{addr}/v3/search/call/data"))
        .json(&search_body())
        .send()
        .await
        .unwrap();
    let seen = fake.state.seen();
    let login = seen
        .iter()
        .rev()
        .find(|s| s.path == "/api/v3/auth")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&login.body).unwrap();
    body["username"].as_str().unwrap().to_owned()
}

fn entries(url: &str) -> Vec<HomerBackendConfig> {
    let text =
        format!("[[homer]]\nname = 'lab'\nurl = '{url}'\ndefault = true\nrequest_timeout = '3s'\n");
    toml::from_str::<TopLevel>(&text).unwrap().homer
}

fn dex_json(url: &str) -> String {
    format!(
        r#"{{"homer":{{"username":"global-user","password":"x",
            "endpoints":{{"{url}/":{{"username":"endpoint-user","password":"x"}}}}}}}}"#
    )
}

#[tokio::test]
async fn dex_endpoint_credentials_win_over_env_and_global() {
    let fake = FakeHomer::start().await;
    let dex = dex_file(&dex_json(&fake.url()));
    let env = env_of(&[("HOMER_USERNAME", "env-user"), ("HOMER_PASSWORD", "x")]);
    let user = login_username(&fake, &entries(&fake.url()), Some(&dex), &env).await;
    assert_eq!(user, "endpoint-user");
}

#[tokio::test]
async fn env_credentials_win_over_dex_global() {
    let fake = FakeHomer::start().await;
    let dex = dex_file(&dex_json("http://some-other-homer"));
    let env = env_of(&[("HOMER_USERNAME", "env-user"), ("HOMER_PASSWORD", "x")]);
    let user = login_username(&fake, &entries(&fake.url()), Some(&dex), &env).await;
    assert_eq!(user, "env-user");
}

#[tokio::test]
async fn dex_global_credentials_apply_without_env() {
    let fake = FakeHomer::start().await;
    let dex = dex_file(&dex_json("http://some-other-homer"));
    let user = login_username(&fake, &entries(&fake.url()), Some(&dex), &env_of(&[])).await;
    assert_eq!(user, "global-user");
}

#[tokio::test]
async fn default_admin_is_used_when_nothing_is_configured() {
    let fake = FakeHomer::start().await;
    let user = login_username(&fake, &entries(&fake.url()), None, &env_of(&[])).await;
    assert_eq!(user, "admin");
}

#[tokio::test]
async fn homer_url_env_creates_a_working_default_backend() {
    let fake = FakeHomer::start().await;
    let url = fake.url();
    let env = env_of(&[
        ("HOMER_URL", url.as_str()),
        ("HOMER_USERNAME", "admin"),
        ("HOMER_PASSWORD", PASSWORD),
    ]);
    let user = login_username(&fake, &[], None, &env).await;
    assert_eq!(user, "admin");
    assert_eq!(
        fake.state.logins.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[tokio::test]
async fn password_env_of_an_entry_is_read_through_the_lookup() {
    let fake = FakeHomer::start().await;
    let text = format!(
        "[[homer]]\nname='lab'\nurl='{}'\nusername='admin'\npassword_env='LAB_PW'\n",
        fake.url()
    );
    let entries = toml::from_str::<TopLevel>(&text).unwrap().homer;
    let env = env_of(&[("LAB_PW", PASSWORD)]);
    login_username(&fake, &entries, None, &env).await;
    assert_eq!(
        fake.state.logins.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[tokio::test]
async fn discovery_tries_port_80_then_9080_in_the_env_namespace() {
    let resolver = FakeResolver {
        hosts: HashMap::from([(
            "homer-webapp.voip.svc.cluster.local".to_owned(),
            "10.1.2.3".parse().unwrap(),
        )]),
        open_ports: vec![9080],
        ..FakeResolver::default()
    };
    let env = env_of(&[("HEPSCOPE_NAMESPACE", "voip")]);
    let backends = homer_backends(HomerSources {
        backends: &[],
        dex: None,
        env: &env,
        namespace: None,
        service_account_namespace: Some("from-file".to_owned()),
        resolver: &resolver,
    })
    .await
    .unwrap();
    assert_eq!(backends.len(), 1);
    let backend = backends.first().unwrap();
    assert!(backend.is_default());
    assert_eq!(
        backend.client().base_url().as_str(),
        "http://homer-webapp.voip.svc.cluster.local:9080"
    );
    assert_eq!(
        *resolver.asked.lock().unwrap(),
        [
            "homer-webapp.voip.svc.cluster.local:80",
            "homer-webapp.voip.svc.cluster.local:9080"
        ]
    );
}

#[tokio::test]
async fn discovery_prefers_port_80_and_uses_the_service_account_namespace() {
    let resolver = FakeResolver {
        hosts: HashMap::from([(
            "homer-webapp.monitoring.svc.cluster.local".to_owned(),
            "10.1.2.3".parse().unwrap(),
        )]),
        open_ports: vec![80, 9080],
        ..FakeResolver::default()
    };
    let found = discover(&resolver, "monitoring", Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(
        found.url,
        "http://homer-webapp.monitoring.svc.cluster.local"
    );

    let backends = homer_backends(HomerSources {
        backends: &[],
        dex: None,
        env: &env_of(&[]),
        namespace: None,
        service_account_namespace: Some("monitoring\n".to_owned()),
        resolver: &resolver,
    })
    .await
    .unwrap();
    assert_eq!(backends.len(), 1);
}

#[tokio::test]
async fn discovery_finding_nothing_yields_no_backends() {
    let resolver = FakeResolver::default();
    let backends = homer_backends(HomerSources {
        backends: &[],
        dex: None,
        env: &env_of(&[]),
        namespace: None,
        service_account_namespace: None,
        resolver: &resolver,
    })
    .await
    .unwrap();
    assert!(backends.is_empty());
    assert_eq!(
        *resolver.asked.lock().unwrap(),
        ["homer-webapp.default.svc.cluster.local:80"]
    );
}
