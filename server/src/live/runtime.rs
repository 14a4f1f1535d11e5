//! [`LiveRuntime`]: starts what the live stream needs from its config (the broker, the node listener, the
//! fan-in relays and the metrics export) and stops it all.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::broker::Broker;
use super::config::LiveConfig;
use super::endpoints::{node_router_with, NodeOptions};
use super::event::Summarizer;
use super::fanin::{spawn_relays, RelayOptions};
use super::{BrokerSink, LiveState};
use crate::ingest::PacketSink;

/// How often broker counters are copied to the metrics recorder.
const METRICS_INTERVAL: Duration = Duration::from_secs(1);

/// The running live stream.
pub struct LiveRuntime {
    state: LiveState,
    /// Local captures are published (`[ingest.hep_stream] enable`).
    ingest: bool,
    node_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl LiveRuntime {
    /// Starts the parts `config` enables: a broker when `[ingest.hep_stream]` is on or upstream nodes are
    /// listed; the node endpoint on `[ingest.hep_stream] listen` when ingest streaming is on; one relay per
    /// node when the coordinator side is on.
    ///
    /// # Errors
    /// The node listener cannot bind (the address is in the message).
    pub async fn start(config: &LiveConfig) -> anyhow::Result<LiveRuntime> {
        let (stop, stopped) = watch::channel(false);
        let relaying = config.coordinator.enable && !config.coordinator.nodes.is_empty();
        // The node endpoint's subscribers get places of their own on top of the users' `max_subscribers`.
        let mut broker_config = config.ingest.broker.clone();
        if config.ingest.enable {
            broker_config.max_subscribers = broker_config
                .max_subscribers
                .saturating_add(config.ingest.node_max_subscribers);
        }
        let broker = (config.ingest.enable || relaying).then(|| Broker::new(broker_config));
        let mut tasks = Vec::new();
        let mut node_addr = None;
        if let Some(broker) = &broker {
            if config.ingest.enable {
                let listen = config.ingest.listen;
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("binding the live stream listener on {listen}"))?;
                let addr = listener
                    .local_addr()
                    .context("reading the stream listener address")?;
                tracing::info!(%addr, "live stream node endpoint: ws://{addr}/stream");
                node_addr = Some(addr);
                let app = node_router_with(
                    Arc::clone(broker),
                    NodeOptions {
                        allow_payload: config.coordinator.allow_payload,
                        token: config.ingest.token.clone(),
                        max_subscribers: config.ingest.node_max_subscribers,
                    },
                );
                let mut until = stopped.clone();
                tasks.push(tokio::spawn(async move {
                    let shutdown = async move {
                        let _ = until.changed().await;
                    };
                    if let Err(e) = crate::serve(listener, app, shutdown).await {
                        tracing::error!(error = format!("{e:#}"), "live stream listener failed");
                    }
                }));
            }
            if relaying {
                let options = RelayOptions {
                    connect_timeout: config.coordinator.fan_out_timeout,
                    ..RelayOptions::default()
                };
                tasks.extend(spawn_relays(
                    &config.coordinator.nodes,
                    broker,
                    options,
                    &stopped,
                ));
            }
            let exported = Arc::clone(broker);
            let mut until = stopped.clone();
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(METRICS_INTERVAL);
                loop {
                    tokio::select! {
                        _ = until.changed() => break,
                        _ = tick.tick() => exported.export_metrics(),
                    }
                }
                exported.export_metrics();
            }));
        }
        Ok(LiveRuntime {
            state: LiveState::new(broker, config.coordinator.clone())
                .with_user_cap(config.ingest.broker.max_subscribers),
            ingest: config.ingest.enable,
            node_addr,
            stop,
            tasks,
        })
    }

    /// What the main router's stream endpoint needs.
    pub fn state(&self) -> LiveState {
        self.state.clone()
    }

    /// The ingest sink for the broker, when ingest streaming is on. `summarize` fills the `sip` block.
    pub fn sink(&self, summarize: Option<Summarizer>) -> Option<Arc<dyn PacketSink>> {
        if !self.ingest {
            return None;
        }
        let broker = self.state.broker()?;
        Some(Arc::new(BrokerSink::new(Arc::clone(broker), summarize)))
    }

    /// The bound address of the node endpoint, if it runs.
    pub fn node_addr(&self) -> Option<SocketAddr> {
        self.node_addr
    }

    /// Closes the broker (clients get close 1001), stops the listener and relays, and waits for them.
    pub async fn stop(self) {
        if let Some(broker) = self.state.broker() {
            broker.close();
        }
        let _ = self.stop.send(true);
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "a live stream task ended abnormally");
            }
        }
    }
}
