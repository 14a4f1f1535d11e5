//! The live runtime as `main` starts it: broker, node listener, receiver wiring, counters in `/metrics`, and
//! a clean stop.

use crate::live_support;

use std::sync::Arc;
use std::time::Duration;

use crate::live_support::{connect, next_json, sip_hep};
use server::config::RawConfig;
use server::ingest::{Fanout, HepReceiver, Intake};
use server::live::{LiveConfig, LiveRuntime};
use tokio::net::UdpSocket;

fn live_config(text: &str) -> LiveConfig {
    let raw: RawConfig = toml::from_str(text).unwrap();
    LiveConfig::from_raw(raw.ingest, raw.coordinator, None).unwrap()
}

#[tokio::test]
async fn stream_is_off_unless_configured() {
    let runtime = LiveRuntime::start(&live_config("")).await.unwrap();
    assert!(runtime.node_addr().is_none());
    assert!(runtime.sink(None).is_none());
    assert!(runtime.state().broker().is_none());
    runtime.stop().await;
}

#[tokio::test]
async fn enabled_runtime_streams_received_hep_and_exports_counters() {
    let handle = server::telemetry::metrics_handle().expect("recorder installed");
    // The receiver's counters are process-wide and other tests in this binary receive HEP too: count
    // from here on.
    let before = handle.render();
    let config = live_config(
        "[ingest.hep_stream]\nenable = true\nlisten = \"127.0.0.1:0\"\nrate_per_sub_pps = 1\n",
    );
    let runtime = LiveRuntime::start(&config).await.unwrap();
    let node = runtime.node_addr().expect("node endpoint runs");
    let sinks = Fanout::new().with(runtime.sink(None).expect("ingest sink"));
    let receiver = HepReceiver::start(
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(Intake::new(Arc::new(sinks), None)),
    )
    .await
    .unwrap();
    let mut ws = connect(&format!("ws://{node}/stream"), &[]).await.unwrap();
    let broker = Arc::clone(runtime.state().broker().unwrap());
    assert!(
        live_support::eventually(Duration::from_secs(5), || async {
            broker.stats().subscribers == 1
        })
        .await
    );
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for n in 0..3 {
        udp.send_to(
            &sip_hep("INVITE sip:b@x SIP/2.0", &format!("r{n}"), None),
            receiver.udp_addr(),
        )
        .await
        .unwrap();
    }
    udp.send_to(b"junk", receiver.udp_addr()).await.unwrap();
    let frame = next_json(&mut ws).await.unwrap();
    assert_eq!(frame["proto"], 1);
    assert!(frame.get("sip").is_none(), "no summarizer configured");
    assert!(
        live_support::eventually(Duration::from_secs(5), || async {
            broker.stats().dropped_rate == 2
        })
        .await
    );
    // The broker's figures are absolute values, one set per process: export them to a recorder of this
    // test's own so another test's broker cannot overwrite them.
    let local = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let local_handle = local.handle();
    metrics::with_local_recorder(&local, || broker.export_metrics());
    let text = local_handle.render();
    for needle in [
        "hepscope_live_dropped_total{cause=\"rate\"} 2",
        "hepscope_live_subscriber_dropped{slot=\"0\",cause=\"rate\"} 2",
        "hepscope_live_published_total 3",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let after = handle.render();
    for (name, at_least) in [
        ("hepscope_hep_received_total{transport=\"udp\"}", 4.0),
        ("hepscope_hep_malformed_total{reason=\"bad_magic\"}", 1.0),
    ] {
        let grown = metric(&after, name) - metric(&before, name);
        assert!(
            grown >= at_least,
            "{name} grew by {grown}, not {at_least}:\n{after}"
        );
    }
    receiver.stop().await;
    tokio::time::timeout(Duration::from_secs(5), runtime.stop())
        .await
        .expect("stops promptly");
}

/// The value of the metric line `name` (with its labels) in a Prometheus text, 0 when absent.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0.0)
}
