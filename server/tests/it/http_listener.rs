//! The web listener's own limits over real sockets: a slow-loris client is closed after the header-read
//! timeout, and connections past the cap wait while the open ones keep working.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use server::http_listener::HttpLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

async fn start(limits: HttpLimits) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let app = Router::new().route("/", get(|| async { "ok" }));
    tokio::spawn(server::serve_with(
        listener,
        app,
        async {
            let _ = stopped.await;
        },
        limits,
    ));
    (addr, stop)
}

/// Reads until the server closes the connection or `within` passes; true when it closed.
async fn closed_within(stream: &mut (impl AsyncReadExt + Unpin), within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// One `GET /` on `stream` (kept alive); the answer's status line.
async fn get_on(stream: &mut TcpStream, within: Duration) -> Option<String> {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .ok()?;
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(within, stream.read(&mut buf))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    text.lines().next().map(str::to_owned)
}

#[tokio::test]
async fn slow_loris_is_closed_after_the_header_read_timeout() {
    let timeout = Duration::from_millis(600);
    let (addr, _stop) = start(HttpLimits {
        header_read_timeout: timeout,
        max_connections: 16,
    })
    .await;

    // Trickles a header line every 100 ms and never ends the headers.
    let loris = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let (mut reader, mut writer) = loris.into_split();
    writer
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        for i in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer
                .write_all(format!("X-Slow-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    });
    let closed = closed_within(&mut reader, Duration::from_secs(5)).await;
    trickle.abort();
    let elapsed = started.elapsed();
    assert!(closed, "the slow client was not closed");
    assert!(elapsed >= timeout, "closed after {elapsed:?}");
    assert!(elapsed < timeout * 4, "closed after {elapsed:?}");
    println!("slow-loris (headers trickled) closed after {elapsed:?}");

    // A client that connects and sends nothing is closed too.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout && elapsed < timeout * 4, "{elapsed:?}");
    println!("silent client closed after {elapsed:?}");

    // A normal client is served.
    let mut ok = TcpStream::connect(addr).await.unwrap();
    let status = get_on(&mut ok, Duration::from_secs(2)).await;
    assert_eq!(status.as_deref(), Some("HTTP/1.1 200 OK"));
}

#[tokio::test]
async fn connections_past_the_cap_wait_while_open_ones_work() {
    let (addr, _stop) = start(HttpLimits {
        header_read_timeout: Duration::from_secs(30),
        max_connections: 2,
    })
    .await;
    let mut first = TcpStream::connect(addr).await.unwrap();
    let mut second = TcpStream::connect(addr).await.unwrap();
    assert_eq!(
        get_on(&mut first, Duration::from_secs(2)).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    assert_eq!(
        get_on(&mut second, Duration::from_secs(2)).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    // The third connects (the kernel's backlog) but is not served while two are open.
    let mut third = TcpStream::connect(addr).await.unwrap();
    assert_eq!(
        get_on(&mut third, Duration::from_millis(700)).await,
        None,
        "a third connection was served past a cap of 2"
    );
    // The open ones keep working.
    assert_eq!(
        get_on(&mut first, Duration::from_secs(2)).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    // Once one closes, the waiting one is served (its request is already sent).
    drop(second);
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(3), third.read(&mut buf))
        .await
        .expect("the waiting connection is served once a place frees")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200 OK"));
}

/// HTTPS on the same loop: a client that opens TCP and never starts the TLS handshake is closed after
/// the header-read timeout, and connections past the cap wait before their handshake.
#[tokio::test]
async fn tls_clients_get_the_same_deadline_and_cap() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = crate::common::app::temp_dir("listener-tls");
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    std::fs::write(dir.join("cert.pem"), generated.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), generated.signing_key.serialize_pem()).unwrap();
    let cert = server::tls::Certificate::load(
        server::tls::TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        },
        server::tls::Protocol::Http,
    )
    .unwrap();
    let timeout = Duration::from_millis(600);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/", get(|| async { "ok" }));
    let limits = HttpLimits {
        header_read_timeout: timeout,
        max_connections: 2,
    };
    tokio::spawn(server::serve_tls(
        listener,
        app,
        std::future::pending(),
        limits,
        cert,
    ));

    // Two silent clients take both places; each is closed after the deadline.
    let started = Instant::now();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut also_silent = TcpStream::connect(addr).await.unwrap();
    // While they hold the places, a real HTTPS request waits.
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(generated.cert.pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let waiting = tokio::spawn(async move {
        let asked = Instant::now();
        let status = client
            .get(format!("https://{addr}/"))
            .send()
            .await
            .map(|r| r.status().as_u16());
        (status, asked.elapsed())
    });
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);
    assert!(closed_within(&mut also_silent, Duration::from_secs(5)).await);
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout && elapsed < timeout * 4, "{elapsed:?}");
    // Then the waiting request gets its place, its handshake and its answer.
    let (status, waited) = waiting.await.unwrap();
    assert_eq!(status.unwrap(), 200);
    assert!(
        waited >= timeout / 2,
        "served after {waited:?}, before a place was free"
    );
    println!("TLS: silent clients closed after {elapsed:?}; the third request waited {waited:?}");
}
