//! Wiring: turns a validated [`Config`] into a running hepscope, and stops it.
//!
//! [`App::start`] builds the [`AppState`] (users, session key, store, HOMER backends, shares), binds every
//! listener (HTTP or HTTPS, HEP over UDP, TCP and TLS, the live stream's node endpoint), spawns their
//! tasks, and hands back a [`RunningApp`] with the bound [`Addresses`] and a graceful
//! [`RunningApp::stop`]. `main` (serve and demo) and the integration tests start servers the same way,
//! so a test exercises the wiring the binary runs. HTTP routing itself is [`crate::router`]; this
//! module only connects the parts.

pub mod backends;
mod state;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{Config, ProcessEnv};
use crate::homer::RegisteredBackend;
use crate::ingest::{Fanout, HepReceiver, Intake};
use crate::live::LiveRuntime;
use crate::users::Bootstrap;
use crate::{shutdown, telemetry, tls, AppState};

/// Where the HOMER 7 backends come from.
#[derive(Default)]
pub enum HomerSource {
    /// `[homer]`, the dex config and the process environment, as `hepscope serve` reads them.
    #[default]
    Configured,
    /// Exactly these (tests: none, or a fake HOMER on a free port).
    Given(Vec<RegisteredBackend>),
}

/// How [`App::prepare`] builds the app beyond the config.
#[derive(Default)]
pub struct StartOptions {
    /// `hepscope demo`: live streaming on, the demo aliases when none are configured, and generated
    /// traffic sent to the HEP receiver until the app stops.
    pub demo: bool,
    /// Where the HOMER 7 backends come from.
    pub homer: HomerSource,
}

/// A prepared app: state built (data dir touched, store open), nothing bound yet.
pub struct App {
    state: AppState,
    bootstrap: Bootstrap,
    demo: bool,
}

impl App {
    /// Prepares and binds `config` with the HOMER backends it and the environment describe: what
    /// `hepscope serve` runs.
    ///
    /// # Errors
    /// See [`App::prepare`] and [`App::bind`].
    pub async fn start(config: Config) -> anyhow::Result<RunningApp> {
        App::prepare(config, StartOptions::default())
            .await?
            .bind()
            .await
    }

    /// Builds the state: the data dir's users, session key, generations and shares, the embedded
    /// store, and the backend registry.
    ///
    /// # Errors
    /// A bad HOMER setup, or the data dir or store cannot be opened.
    pub async fn prepare(mut config: Config, options: StartOptions) -> anyhow::Result<App> {
        if options.demo {
            config.live.ingest.enable = true;
            config.live.coordinator.enable = true;
            if config.aliases.is_empty() {
                config.aliases = crate::demo::demo_aliases();
            }
        }
        let entries = match options.homer {
            HomerSource::Configured => {
                let entries = backends::homer_registry_entries(&config, &ProcessEnv).await?;
                if entries.is_empty() {
                    tracing::info!("no HOMER 7 backend configured");
                }
                entries
            }
            HomerSource::Given(entries) => entries,
        };
        let (state, bootstrap) = AppState::from_config(config, entries)?;
        Ok(App {
            state,
            bootstrap,
            demo: options.demo,
        })
    }

    /// An app over a state built elsewhere (tests that fill the store before serving it).
    pub fn from_state(state: AppState) -> App {
        App {
            state,
            bootstrap: Bootstrap::default(),
            demo: false,
        }
    }

    /// The state the app will serve (its store can be filled before [`App::bind`]).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Binds every listener the config enables and spawns their tasks.
    ///
    /// # Errors
    /// A listener cannot bind, or a TLS certificate cannot be loaded; what was started is stopped.
    pub async fn bind(self) -> anyhow::Result<RunningApp> {
        let App {
            mut state,
            bootstrap,
            demo,
        } = self;
        telemetry::metrics_handle();
        let config = Arc::clone(&state.config);
        let web_cert = match &config.tls {
            Some(files) => Some(
                tls::Certificate::load(files.clone(), tls::Protocol::Http)
                    .context("loading [http] tls_cert and tls_key")?,
            ),
            None => None,
        };
        // Every certificate is re-read on SIGHUP (`systemctl reload`), which never stops the process.
        let mut certs: Vec<_> = web_cert.iter().cloned().collect();
        let live = LiveRuntime::start(&config.live).await?;
        state.live = live.state();
        let (receiver, hep_tls) = match start_hep(&config, &state, &live, &mut certs).await {
            Ok(started) => started,
            Err(e) => {
                live.stop().await;
                return Err(e);
            }
        };
        tls::reload_on_sighup(certs);
        let listen = config.listen;
        let listener = match tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding the web listener on {listen}"))
            .and_then(|l| {
                let addr = l.local_addr().context("reading the bound address")?;
                Ok((l, addr))
            }) {
            Ok(bound) => bound,
            Err(e) => {
                if let Some(receiver) = receiver {
                    receiver.stop().await;
                }
                live.stop().await;
                return Err(e);
            }
        };
        let (listener, http) = listener;
        let addresses = Addresses {
            http,
            https: web_cert.is_some(),
            hep_udp: receiver.as_ref().map(HepReceiver::udp_addr),
            hep_tcp: receiver.as_ref().map(HepReceiver::tcp_addr),
            hep_tls,
            stream: live.node_addr(),
        };
        let (stop, stopped) = watch::channel(false);
        let demo_task = if demo {
            spawn_demo(addresses.hep_udp, stopped.clone())
        } else {
            None
        };
        let limits = config.http.limits;
        let app = crate::router(state.clone());
        let mut until = stopped;
        let shutdown = async move {
            // A dropped sender also stops the server.
            let _ = until.wait_for(|s| *s).await;
        };
        let http_task = tokio::spawn(async move {
            match web_cert {
                Some(cert) => crate::serve_tls(listener, app, shutdown, limits, cert).await,
                None => crate::serve_with(listener, app, shutdown, limits).await,
            }
        });
        Ok(RunningApp {
            addresses,
            generated_admin_password: bootstrap.generated_admin_password,
            state,
            stop,
            http_task: Some(http_task),
            receiver,
            live: Some(live),
            demo_task,
        })
    }
}

/// Starts the HEP receiver (UDP, TCP and, with `[hep] tls_listen`, TLS) feeding the store and the live
/// broker; `None` with `[hep] enable = false`.
async fn start_hep(
    config: &Config,
    state: &AppState,
    live: &LiveRuntime,
    certs: &mut Vec<Arc<tls::Certificate>>,
) -> anyhow::Result<(Option<HepReceiver>, Option<SocketAddr>)> {
    let hep = &config.hep;
    if !hep.enable {
        return Ok((None, None));
    }
    if hep.open_to_the_network() {
        tracing::warn!(listen = %hep.listen, "the HEP receiver listens beyond this host and no [hep] capture_password is set: anyone who can reach the port can store packets; set one, or listen on a private address");
    }
    let mut sinks = Fanout::new();
    if let Some(store) = &state.store {
        sinks = sinks.with(Arc::new(store.clone()));
    }
    if let Some(sink) = live.sink(Some(crate::live::summarize::sip_summary)) {
        sinks = sinks.with(sink);
    }
    let intake = Arc::new(Intake::new(Arc::new(sinks), hep.capture_password.clone()));
    let mut receiver = HepReceiver::start_with(hep.listen, Arc::clone(&intake), hep.tcp).await?;
    let tls_addr = match (hep.tls_listen, &config.tls) {
        (Some(tls_listen), Some(files)) => {
            let started = async {
                let cert = tls::Certificate::load(files.clone(), tls::Protocol::Hep)
                    .context("loading [http] tls_cert and tls_key for HEP over TLS")?;
                certs.push(Arc::clone(&cert));
                let addr = receiver
                    .start_tls(tls_listen, cert, intake, hep.tcp)
                    .await?;
                anyhow::Ok(addr)
            }
            .await;
            match started {
                Ok(addr) => Some(addr),
                Err(e) => {
                    receiver.stop().await;
                    return Err(e);
                }
            }
        }
        _ => None,
    };
    Ok((Some(receiver), tls_addr))
}

/// Sends generated demo traffic to the local HEP receiver until `stop` turns true.
fn spawn_demo(
    hep_udp: Option<SocketAddr>,
    mut stop: watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    let udp = hep_udp?;
    let target = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), udp.port());
    let seed = jiff::Timestamp::now().as_second().unsigned_abs();
    Some(tokio::spawn(async move {
        let config = crate::demo::DemoConfig::for_local_receiver(target, seed);
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = crate::demo::run(config, stopped).await {
            tracing::error!(error = %e, "demo traffic stopped");
        }
    }))
}

/// The addresses a [`RunningApp`] bound (port 0 in the config becomes the real port here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addresses {
    /// The web UI and API.
    pub http: SocketAddr,
    /// Whether `http` speaks TLS (`[http] tls_cert`).
    pub https: bool,
    /// HEP over UDP, when the receiver runs.
    pub hep_udp: Option<SocketAddr>,
    /// HEP over TCP (the same port as UDP unless the config asked for port 0 on a busy host).
    pub hep_tcp: Option<SocketAddr>,
    /// HEP over TLS, with `[hep] tls_listen`.
    pub hep_tls: Option<SocketAddr>,
    /// The unauthenticated node live stream `GET /stream`, with `[ingest.hep_stream]`.
    pub stream: Option<SocketAddr>,
}

/// A started hepscope. Dropping it stops accepting HTTP connections; [`RunningApp::stop`] also drains
/// the requests, stops the HEP receiver and the live stream, and flushes the store.
pub struct RunningApp {
    addresses: Addresses,
    /// The admin password generated on first start (no `[[users]]`, no `HEPSCOPE_ADMIN_PASSWORD`),
    /// to be shown once.
    pub generated_admin_password: Option<String>,
    state: AppState,
    /// `true` asks the HTTP server and the demo traffic to stop; dropping it does the same.
    stop: watch::Sender<bool>,
    http_task: Option<JoinHandle<anyhow::Result<()>>>,
    receiver: Option<HepReceiver>,
    live: Option<LiveRuntime>,
    demo_task: Option<JoinHandle<()>>,
}

impl RunningApp {
    /// The bound addresses.
    pub fn addresses(&self) -> Addresses {
        self.addresses
    }

    /// The state the handlers share (its store, shares, backends).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Runs until `signal` resolves or the HTTP server fails, then stops gracefully.
    ///
    /// # Errors
    /// The HTTP server failed.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        let ended = match self.http_task.as_mut() {
            Some(task) => tokio::select! {
                () = signal => None,
                ended = task => Some(ended),
            },
            None => None,
        };
        if let Some(ended) = ended {
            self.http_task = None;
            let stopped = self.stop().await;
            return flatten(ended).and(stopped);
        }
        self.stop().await
    }

    /// Stops gracefully, each step within [`shutdown::GRACE`]: live WebSockets get their close frame and
    /// HTTP stops accepting, running requests finish, the HEP receiver and the live stream stop, and
    /// the store commits and flushes what it holds.
    ///
    /// # Errors
    /// The HTTP server failed.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(broker) = self.state.live.broker() {
            broker.close();
        }
        let _ = self.stop.send(true);
        let served = match self.http_task.take() {
            Some(mut task) => match tokio::time::timeout(shutdown::GRACE, &mut task).await {
                Ok(ended) => flatten(ended),
                Err(_) => {
                    tracing::warn!(
                        "HTTP requests still running after the grace period; closing them"
                    );
                    task.abort();
                    Ok(())
                }
            },
            None => Ok(()),
        };
        if let Some(demo) = self.demo_task.take() {
            let _ = shutdown::within("demo traffic", demo).await;
        }
        if let Some(receiver) = self.receiver.take() {
            shutdown::within("HEP receiver", receiver.stop()).await;
        }
        if let Some(live) = self.live.take() {
            shutdown::within("live stream", live.stop()).await;
        }
        if let Some(store) = self.state.store.clone() {
            shutdown::flush_store(store).await;
        }
        served
    }
}

/// The HTTP task's result, a panic counted as a failure.
fn flatten(ended: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    ended.context("the HTTP server task failed")?
}
