//! hepscope run as a service: the real binary with its embedded front end, `--version`, Prometheus
//! conventions (checked by `promtool`), `/readyz`, JSON request logs, and a graceful SIGTERM that
//! loses no acknowledged packet.

use crate::common;

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use crate::common::app::{temp_dir, ADMIN_PASSWORD};
use crate::common::process::{empty_dir, sample, Hepscope};
use app::domain::fixture::SipBuilder;
use app::domain::sip::Method;
use server::hep::{encode, HepPacket, ProtoType};
use server::store::index::Profile;
use server::store::schema;
use server::web::embedded::{self, EmbeddedFile};
use tokio::io::AsyncWriteExt;

fn raw_client() -> reqwest::Client {
    common::app::client()
}

/// A SIP request or response as a HEP packet.
fn sip_hep(start: &str, cseq_method: &str, call_id: &str) -> HepPacket {
    let builder = if let Some(code) = start.strip_prefix("SIP/2.0 ") {
        SipBuilder::response(code.parse().unwrap())
    } else {
        SipBuilder::request(&Method::parse(start), "sip:bob@example.com")
    };
    let payload = builder
        .header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1")
        .header("From", "<sip:alice@example.com>;tag=a")
        .header("To", "<sip:bob@example.com>")
        .header("Call-ID", call_id)
        .header("CSeq", format!("1 {cseq_method}"))
        .build();
    HepPacket::new(
        "192.0.2.1:5060".parse().unwrap(),
        "192.0.2.2:5060".parse().unwrap(),
        ProtoType::Sip,
        payload,
    )
}

/// [`sip_hep`] as HEP3 bytes.
fn sip_packet(start: &str, cseq_method: &str, call_id: &str) -> Vec<u8> {
    encode(&sip_hep(start, cseq_method, call_id), false).unwrap()
}

async fn send_tcp(to: SocketAddr, packets: &[Vec<u8>]) {
    let mut stream = tokio::net::TcpStream::connect(to).await.unwrap();
    for p in packets {
        stream.write_all(p).await.unwrap();
    }
    stream.flush().await.unwrap();
    // Keep the connection until the caller is done; the receiver reads what was written.
    std::mem::forget(stream);
}

async fn wait_for_metric(hepscope: &Hepscope, series: &str, target: f64) {
    for _ in 0..500 {
        if hepscope.metric(series).await >= target {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{series} never reached {target}");
}

#[tokio::test]
async fn the_binary_serves_its_embedded_front_end_from_an_empty_directory() {
    let dir = empty_dir("embedded");
    let hepscope = Hepscope::start(&dir, &["--no-hep"]);
    let index = embedded::find(embedded::FILES, "index.html").unwrap();
    let plain = raw_client()
        .get(hepscope.url("/call/abc@10.0.0.1"))
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.headers()["cache-control"], "no-cache");
    assert!(plain.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(plain.bytes().await.unwrap(), index.body);

    let br = raw_client()
        .get(hepscope.url("/"))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.headers()["vary"], "accept-encoding");
    assert_eq!(br.bytes().await.unwrap(), index.br.unwrap());

    let gz = raw_client()
        .get(hepscope.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, index.body);

    let missing = raw_client()
        .get(hepscope.url("/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn embedded_hashed_assets_are_immutable_and_negotiated() {
    let body: &'static [u8] = Box::leak(vec![b'w'; 4096].into_boxed_slice());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(body).unwrap();
    let gzip: &'static [u8] = Box::leak(gz.finish().unwrap().into_boxed_slice());
    let files: &'static [EmbeddedFile] = Box::leak(Box::new([
        EmbeddedFile {
            path: "app-0123456789abcdef_bg.wasm",
            body,
            br: Some(b"brotli bytes"),
            gzip: Some(gzip),
        },
        EmbeddedFile {
            path: "favicon.svg",
            body: b"<svg/>",
            br: None,
            gzip: None,
        },
        EmbeddedFile {
            path: "index.html",
            body: b"<!doctype html><title>t</title>",
            br: None,
            gzip: None,
        },
    ]));
    let addr = common::serve(embedded::router(files)).await;
    let url = |p: &str| format!("http://{addr}{p}");
    let wasm = raw_client()
        .get(url("/app-0123456789abcdef_bg.wasm"))
        .header("accept-encoding", "br;q=0.5, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(wasm.status(), 200);
    assert_eq!(
        wasm.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.headers()["content-encoding"], "br");
    assert_eq!(wasm.bytes().await.unwrap(), &b"brotli bytes"[..]);
    let gz = raw_client()
        .get(url("/app-0123456789abcdef_bg.wasm"))
        .header("accept-encoding", "br;q=0, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.bytes().await.unwrap(), gzip);
    let plain = raw_client()
        .get(url("/app-0123456789abcdef_bg.wasm"))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap(), body);
    let svg = raw_client().get(url("/favicon.svg")).send().await.unwrap();
    assert_eq!(svg.headers()["cache-control"], "public, max-age=300");
    assert!(svg.headers().get("vary").is_none());
    let route = raw_client().get(url("/search")).send().await.unwrap();
    assert_eq!(route.headers()["cache-control"], "no-cache");
    assert_eq!(
        route.bytes().await.unwrap(),
        &b"<!doctype html><title>t</title>"[..]
    );
}

#[test]
fn version_names_the_version_and_the_commit() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hepscope"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text.trim(),
        format!(
            "hepscope {} (commit {})",
            env!("CARGO_PKG_VERSION"),
            server::telemetry::COMMIT
        )
    );
}

/// Runs `promtool check metrics` on `text`; its complaints, if any.
fn promtool(text: &str) -> Result<(), String> {
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("promtool (Debian package prometheus, scripts/setup.sh --test): {e}")
        })?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() && said.trim().is_empty() {
        Ok(())
    } else {
        Err(said)
    }
}

#[tokio::test]
async fn metrics_follow_prometheus_conventions() {
    let dir = empty_dir("promtool");
    let hepscope = Hepscope::start(&dir, &[]);
    let hep = hepscope.hep.unwrap();
    send_tcp(
        hep,
        &[
            sip_packet("INVITE", "INVITE", "prom-1"),
            sip_packet("SIP/2.0 180", "INVITE", "prom-1"),
            sip_packet("SIP/2.0 486", "INVITE", "prom-1"),
            sip_packet("FROBNICATE", "FROBNICATE", "prom-2"),
        ],
    )
    .await;
    let login = raw_client()
        .post(hepscope.url("/api/login"))
        .json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    raw_client().get(hepscope.url("/")).send().await.unwrap();
    wait_for_metric(&hepscope, "hepscope_store_rows_total", 4.0).await;
    let text = reqwest::get(hepscope.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let build = format!(
        "hepscope_build_info{{version=\"{}\",commit=\"{}\"}}",
        env!("CARGO_PKG_VERSION"),
        server::telemetry::COMMIT
    );
    assert_eq!(sample(&text, &build), 1.0, "{text}");
    for series in [
        "hepscope_sip_messages_total{method=\"INVITE\",class=\"request\"}",
        "hepscope_sip_messages_total{method=\"INVITE\",class=\"1xx\"}",
        "hepscope_sip_messages_total{method=\"INVITE\",class=\"4xx\"}",
        "hepscope_sip_messages_total{method=\"other\",class=\"request\"}",
    ] {
        assert_eq!(sample(&text, series), 1.0, "{series}\n{text}");
    }
    assert!(
        text.contains(
            "hepscope_http_request_duration_seconds_bucket{route=\"/api/login\",le=\"0.005\"}"
        ),
        "{text}"
    );
    assert!(text.contains("# TYPE hepscope_http_request_duration_seconds histogram"));
    assert_eq!(sample(&text, "hepscope_store_queue_rows"), 0.0);
    assert!(
        text.contains("# TYPE hepscope_store_queue_bytes gauge"),
        "{text}"
    );
    assert_eq!(sample(&text, "hepscope_store_queue_bytes"), 0.0);
    assert!(
        sample(&text, "hepscope_store_disk_bytes{file=\"data\"}") > 0.0,
        "{text}"
    );
    assert_eq!(sample(&text, "hepscope_store_partitions"), 1.0, "{text}");
    assert!(text.contains("hepscope_store_oldest_partition_age_seconds "));
    for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut words = line.split_whitespace().skip(2);
        let (name, kind) = (words.next().unwrap(), words.next().unwrap());
        assert_eq!(name.ends_with("_total"), kind == "counter", "{line}");
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "no HELP for {name}"
        );
    }
    if let Err(complaints) = promtool(&text) {
        panic!("promtool check metrics:\n{complaints}\n--- metrics ---\n{text}");
    }
}

#[tokio::test]
async fn readyz_is_503_while_the_store_cannot_write() {
    let dir = empty_dir("readyz-store");
    let hepscope = Hepscope::start(&dir, &["--data-dir", "data"]);
    let ready = reqwest::get(hepscope.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    // Another process holds the store's write lock: commits fail after the busy timeout.
    let store_path = dir.join("data/store/hepscope.sqlite");
    let lock = rusqlite::Connection::open(&store_path).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    send_tcp(
        hepscope.hep.unwrap(),
        &[sip_packet("INVITE", "INVITE", "locked")],
    )
    .await;
    let mut body = serde_json::Value::Null;
    for _ in 0..150 {
        let response = reqwest::get(hepscope.url("/readyz")).await.unwrap();
        if response.status() == 503 {
            body = response.json().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(body["status"], "not ready", "{body}");
    assert!(
        body["reason"].as_str().unwrap().starts_with("store: "),
        "{body}"
    );
    // Liveness is unaffected.
    assert_eq!(
        reqwest::get(hepscope.url("/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    send_tcp(
        hepscope.hep.unwrap(),
        &[sip_packet("INVITE", "INVITE", "unlocked")],
    )
    .await;
    let mut status = 0;
    for _ in 0..150 {
        status = reqwest::get(hepscope.url("/readyz"))
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "ready again once a commit succeeds");
}

#[tokio::test]
async fn readyz_is_503_while_the_default_homer_is_unreachable() {
    let refused = common::refused_addr().await;
    let dir = empty_dir("readyz-homer");
    std::fs::write(
        dir.join("hepscope.toml"),
        format!(
            "[[homer]]\nname = \"lab\"\nurl = \"http://{refused}\"\nusername = \"u\"\n\
             password = \"p\"\nconnect_timeout = \"1s\"\n"
        ),
    )
    .unwrap();
    let hepscope = Hepscope::start(&dir, &["--no-hep"]);
    let response = reqwest::get(hepscope.url("/readyz")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.starts_with("default backend lab: "), "{reason}");
    assert_eq!(
        reqwest::get(hepscope.url("/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn json_request_logs_name_method_path_status_duration_and_user() {
    let dir = empty_dir("jsonlog");
    std::fs::write(dir.join("hepscope.toml"), "[log]\nformat = \"json\"\n").unwrap();
    let hepscope = Hepscope::start(&dir, &["--no-hep"]);
    let login = raw_client()
        .post(hepscope.url("/api/login"))
        .json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = common::app::session_cookie(&login);
    let me = raw_client()
        .get(hepscope.url("/api/me?token=very-secret-token"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let anonymous = raw_client()
        .get(hepscope.url("/api/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = hepscope.logs();
    assert!(!logs.contains("very-secret-token"), "{logs}");
    let requests: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"))
        })
        .filter(|v| v["message"] == "request" && v["path"] == "/api/me")
        .collect();
    assert_eq!(requests.len(), 2, "{logs}");
    assert_eq!(requests[0]["method"], "GET");
    assert_eq!(requests[0]["status"], 200);
    assert_eq!(requests[0]["user"], "admin");
    assert!(requests[0]["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(requests[1]["status"], 401);
    assert_eq!(requests[1]["user"], "-");
}

#[tokio::test]
async fn sigterm_stores_every_acknowledged_packet() {
    const PACKETS: usize = 3000;
    let dir = temp_dir("sigterm");
    // One big batch: without the shutdown flush, the last rows would still be in the writer.
    std::fs::write(dir.join("hepscope.toml"), "[store]\nbatch_size = 100000\n").unwrap();
    let mut hepscope = Hepscope::start(&dir, &["--data-dir", "data"]);
    let packets: Vec<Vec<u8>> = (0..PACKETS)
        .map(|n| sip_packet("INVITE", "INVITE", &format!("term-{n}")))
        .collect();
    send_tcp(hepscope.hep.unwrap(), &packets).await;
    let received = "hepscope_hep_received_total{transport=\"tcp\"}";
    wait_for_metric(&hepscope, received, PACKETS as f64).await;
    let status = hepscope
        .terminate(Duration::from_secs(15))
        .expect("hepscope exits within 15 s of SIGTERM");
    assert!(status.success(), "{status:?}\n{}", hepscope.logs());
    assert!(
        hepscope.logs().contains("store flushed"),
        "{}",
        hepscope.logs()
    );
    drop(hepscope);

    // Restarted: the store holds every packet the receiver had counted.
    let store = server::store::Store::open(
        server::config::StoreConfig::at(dir.join("data/store/hepscope.sqlite")),
        Vec::new(),
    )
    .unwrap();
    let stored = store
        .read_blocking(|conn| {
            let mut total = 0;
            for (suffix, _) in schema::list_partitions(conn)? {
                let sql = format!(
                    "SELECT count(*) FROM {}",
                    schema::table_name(Profile::Call, &suffix)
                );
                total += conn.query_row(&sql, [], |r| r.get::<_, i64>(0))?;
            }
            Ok::<_, server::store::StoreError>(total)
        })
        .unwrap();
    assert_eq!(stored, PACKETS as i64);
}

/// A self-signed certificate for 127.0.0.1 written as PEM files in `dir`; returns its PEM.
fn write_cert(dir: &std::path::Path) -> String {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let pem = cert.cert.pem();
    std::fs::write(dir.join("cert.pem"), &pem).unwrap();
    std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
    pem
}

/// An HTTPS client that trusts only `pem`.
fn trusting(pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

const TLS_CONFIG: &str =
    "[http]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n[hep]\ntls_listen = \"127.0.0.1:0\"\n";

#[tokio::test]
async fn https_with_a_secure_cookie_and_the_certificate_reloaded_on_sighup() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = empty_dir("https");
    let first = write_cert(&dir);
    std::fs::write(dir.join("hepscope.toml"), TLS_CONFIG).unwrap();
    let hepscope = Hepscope::start(&dir, &[]);
    assert_eq!(hepscope.scheme, "https");
    let client = trusting(&first);
    let login = client
        .post(hepscope.url("/api/login"))
        .json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
    // Plain HTTP on the TLS port is refused.
    assert!(raw_client()
        .get(format!("http://{}/healthz", hepscope.http))
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true));

    let second = write_cert(&dir);
    hepscope.signal("HUP");
    for _ in 0..100 {
        if hepscope.logs().contains("TLS certificate reloaded") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fresh = trusting(&second)
        .get(hepscope.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fresh.status(),
        200,
        "new connections get the new certificate"
    );
    assert!(
        trusting(&first)
            .get(hepscope.url("/healthz"))
            .send()
            .await
            .is_err(),
        "the old certificate is no longer served"
    );
}

#[tokio::test]
async fn hep_over_tls_is_received_and_stored() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = empty_dir("hep-tls");
    let pem = write_cert(&dir);
    std::fs::write(dir.join("hepscope.toml"), TLS_CONFIG).unwrap();
    let hepscope = Hepscope::start(&dir, &[]);
    let addr = hepscope
        .hep_tls
        .expect("the HEP over TLS address is printed");
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    for n in 0..20 {
        tls.write_all(&sip_packet("INVITE", "INVITE", &format!("tls-{n}")))
            .await
            .unwrap();
    }
    tls.flush().await.unwrap();
    wait_for_metric(&hepscope, "hepscope_store_rows_total", 20.0).await;
    // A client that does not speak TLS gets nothing stored.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(&sip_packet("INVITE", "INVITE", "plain"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hepscope.metric("hepscope_store_rows_total").await, 20.0);
}

/// Stores 50 INVITEs in each of the last three days' partitions of a store with `max_disk`, runs
/// the retention pass, and returns (dropped suffixes, partitions left).
fn guard_store(name: &str, max_disk: &str) -> (Vec<String>, usize) {
    let max = server::store::disk::MaxDisk::parse(max_disk).unwrap();
    let (store, _) = common::store::open_store(name, Vec::new(), |c| c.max_disk = Some(max));
    let now = common::store::now_us();
    let day = 86_400_000_000;
    for ts in [now - 2 * day, now - day, now] {
        let batch = (0..50)
            .map(|n| {
                let mut packet = sip_hep("INVITE", "INVITE", &format!("{name}-{ts}-{n}"));
                packet.ts_us = Some(ts);
                (packet, ts)
            })
            .collect();
        assert_eq!(store.ingest_batch(batch).unwrap(), 50);
    }
    let dropped = store.apply_retention(now).unwrap();
    let left = store
        .read_blocking(|conn| Ok(schema::list_partitions(conn)?.len()))
        .unwrap();
    (dropped, left)
}

#[test]
fn the_disk_guard_drops_the_oldest_partitions_past_max_disk() {
    let (dropped, left) = guard_store("max-disk-small", "1KB");
    assert_eq!(dropped.len(), 2, "{dropped:?}");
    assert!(dropped[0] < dropped[1], "oldest first: {dropped:?}");
    assert_eq!(left, 1, "the newest partition is kept");
    let (dropped, left) = guard_store("max-disk-large", "1TB");
    assert!(dropped.is_empty(), "{dropped:?}");
    assert_eq!(left, 3);
}

#[tokio::test]
async fn sighup_without_tls_keeps_serving() {
    let dir = empty_dir("sighup");
    let mut hepscope = Hepscope::start(&dir, &["--no-hep"]);
    hepscope.signal("HUP");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        hepscope.child.try_wait().unwrap().is_none(),
        "SIGHUP stopped it"
    );
    assert_eq!(
        reqwest::get(hepscope.url("/healthz"))
            .await
            .unwrap()
            .status(),
        200
    );
}
