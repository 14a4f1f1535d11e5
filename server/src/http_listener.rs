//! The HTTP accept loop behind [`crate::serve`], with the limits a shared network needs and
//! `axum::serve` does not offer:
//!
//! - a header-read timeout: a client must send its first bytes, and finish each request's headers, within
//!   `[http] header_read_timeout` (default 10 s), so a slow-loris client that connects and trickles (or
//!   never sends) header bytes is closed instead of holding a connection and a task forever. An idle
//!   keep-alive connection is closed after the same time (hyper starts the timer when it waits for the
//!   next request). HTTP/2 (prior knowledge) has no per-request header timer in hyper; only its
//!   preface is under this deadline;
//! - a connection cap: at most `[http] max_connections` (default 1024) connections are served at once.
//!   Beyond it the loop stops accepting: new connections wait in the kernel's backlog until one closes,
//!   while the open ones carry on.
//!
//! Otherwise it behaves like `axum::serve`: HTTP/1.1 and HTTP/2, WebSocket upgrades, `ConnectInfo` with
//! the peer address, and graceful shutdown that lets in-flight requests finish.
//!
//! With a certificate ([`run_with`], `[http] tls_cert`), the same loop serves HTTPS: the connection's
//! place is taken before the TLS handshake, and the handshake must finish within the header-read
//! timeout, so the cap and the deadline hold for TLS clients too.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::server::graceful::Watcher;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::tls::Certificate;
use tower::ServiceExt;

/// Default of `[http] header_read_timeout`.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default of `[http] max_connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Limits of one HTTP listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time allowed to send a request's headers once they have started.
    pub header_read_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Why the accept loop stopped.
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    #[error("the connection limit was closed")]
    LimitClosed,
}

/// One accepted connection, ready to be served once its transport is.
struct Connection {
    app: Router,
    builder: Builder<TokioExecutor>,
    watcher: Watcher,
    peer: SocketAddr,
}

impl Connection {
    /// Serves HTTP on `io` (plain TCP or TLS) until the client or a graceful shutdown ends it.
    async fn serve<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let peer = self.peer;
        let service = self.app.map_request(move |mut request: Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            request.map(Body::new)
        });
        let connection = self
            .builder
            .serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service));
        if let Err(e) = self.watcher.watch(connection).await {
            tracing::trace!(%peer, error = %e, "connection ended with an error");
        }
    }
}

/// The HTTP/2 client preface; a connection is HTTP/1 as soon as its bytes differ from it.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Waits until the client has sent enough to tell HTTP/1 from HTTP/2 (a byte that differs from the
/// HTTP/2 preface, or the whole preface), or `deadline` passes. False when it passed or the client left.
async fn preface_within(stream: &tokio::net::TcpStream, deadline: tokio::time::Instant) -> bool {
    let mut buf = [0u8; 24];
    loop {
        let peeked = tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await;
        let n = match peeked {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return false,
            Ok(Ok(n)) => n,
        };
        let seen = buf.get(..n).unwrap_or_default();
        if n >= H2_PREFACE.len() || !H2_PREFACE.starts_with(seen) {
            return true;
        }
        // A partial HTTP/2 preface: `peek` would return at once again, so wait a little for more.
        if tokio::time::timeout_at(deadline, tokio::time::sleep(Duration::from_millis(20)))
            .await
            .is_err()
        {
            return false;
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for open connections to finish.
///
/// # Errors
/// Never in practice: accept errors (out of file descriptors, a reset during the handshake) are logged
/// and retried.
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: HttpLimits,
) -> Result<(), ListenerError> {
    run_with(listener, app, shutdown, limits, None).await
}

/// [`run`], serving HTTPS with `tls` when given (its current certificate at each handshake, so a
/// SIGHUP reload applies to new connections).
///
/// # Errors
/// As [`run`].
pub async fn run_with(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: HttpLimits,
    tls: Option<Arc<Certificate>>,
) -> Result<(), ListenerError> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    // CONNECT is how WebSockets run over HTTP/2.
    builder
        .http2()
        .timer(TokioTimer::new())
        .enable_connect_protocol();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => {
                permit.map_err(|_| ListenerError::LimitClosed)?
            }
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    // Out of descriptors: give open connections a moment to close.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let deadline = tokio::time::Instant::now() + limits.header_read_timeout;
        let app = app.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let connection = Connection {
                app,
                builder,
                watcher,
                peer,
            };
            match tls {
                None => {
                    // hyper's HTTP/1 timer only starts once the protocol is known: until then, this
                    // deadline.
                    if preface_within(&stream, deadline).await {
                        connection.serve(stream).await;
                    } else {
                        tracing::debug!(%peer, "closed a connection that sent no request in time");
                    }
                }
                Some(cert) => {
                    let acceptor = TlsAcceptor::from(cert.current());
                    match tokio::time::timeout_at(deadline, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => connection.serve(stream).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake not done in time"),
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
