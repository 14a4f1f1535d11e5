//! TLS with rustls for the web listener (`[http] tls_cert` / `tls_key`) and the optional HEP-over-TLS
//! listener (`[hep] tls_listen`, same certificate).
//!
//! The certificate and key are PEM files; [`Certificate`] holds the current rustls config and swaps
//! it on [`Certificate::reload`] (SIGHUP, see [`reload_on_sighup`]), so a renewed certificate is used
//! by new connections without a restart. A reload that fails keeps the old certificate and logs why.
//!
//! [`TlsListener`] is an `axum::serve` listener: a background task accepts TCP and runs each
//! handshake in its own task (bounded by [`HANDSHAKE_TIMEOUT`]), so a slow client cannot hold up the
//! others.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A TLS handshake taking longer is abandoned.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshaken connections waiting for the server to take them.
const ACCEPTED_QUEUE: usize = 64;

/// Why the certificate could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading the TLS certificate {path}: {message}")]
    Certificate { path: PathBuf, message: String },
    #[error("reading the TLS key {path}: {message}")]
    Key { path: PathBuf, message: String },
    #[error(
        "the TLS certificate {cert} and key {key} do not make a valid rustls config: {source}"
    )]
    Config {
        cert: PathBuf,
        key: PathBuf,
        #[source]
        source: rustls::Error,
    },
}

/// The PEM files of a certificate chain and its private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What the application protocol over TLS is, for ALPN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.1 (axum's server speaks HTTP/1; WebSockets upgrade from it).
    Http,
    /// HEP over TCP: no ALPN.
    Hep,
}

/// The current certificate, reloadable.
#[derive(Debug)]
pub struct Certificate {
    files: TlsFiles,
    protocol: Protocol,
    current: RwLock<Arc<ServerConfig>>,
}

impl Certificate {
    /// Loads `files` for `protocol`.
    ///
    /// # Errors
    /// A file is unreadable, holds no certificate or key, or they do not match.
    pub fn load(files: TlsFiles, protocol: Protocol) -> Result<Arc<Certificate>, TlsError> {
        let config = server_config(&files, protocol)?;
        Ok(Arc::new(Certificate {
            files,
            protocol,
            current: RwLock::new(config),
        }))
    }

    /// The config new connections use.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the files again; on success new connections use the new certificate.
    ///
    /// # Errors
    /// As [`Certificate::load`]; the old certificate stays in use.
    pub fn reload(&self) -> Result<(), TlsError> {
        let config = server_config(&self.files, self.protocol)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = config;
        Ok(())
    }

    /// The files it was loaded from.
    pub fn files(&self) -> &TlsFiles {
        &self.files
    }
}

fn server_config(files: &TlsFiles, protocol: Protocol) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = read_certs(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::Key {
        path: files.key.clone(),
        message: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config_err = |source| TlsError::Config {
        cert: files.cert.clone(),
        key: files.key.clone(),
        source,
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(config_err)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(config_err)?;
    if protocol == Protocol::Http {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
    }
    Ok(Arc::new(config))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let err = |message: String| TlsError::Certificate {
        path: path.to_path_buf(),
        message,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

/// Reloads every certificate in `certs` on each SIGHUP, for as long as the runtime runs. Installed
/// even without certificates, so that SIGHUP (`systemctl reload`) never terminates the process.
pub fn reload_on_sighup(certs: Vec<Arc<Certificate>>) {
    // The handler is installed here, before the caller goes on to announce that it listens, so a
    // SIGHUP sent right after start-up can never take the default action (terminating the process).
    #[cfg(unix)]
    let mut hup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP: the TLS certificate will not reload");
            return;
        }
    };
    #[cfg(unix)]
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            if certs.is_empty() {
                tracing::info!("SIGHUP: no TLS certificate configured, nothing to reload");
            }
            for cert in &certs {
                match cert.reload() {
                    Ok(()) => {
                        tracing::info!(cert = %cert.files().cert.display(), "TLS certificate reloaded")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "TLS certificate not reloaded; the old one stays in use")
                    }
                }
            }
        }
    });
    #[cfg(not(unix))]
    drop(certs);
}

/// Accepts TCP on `listener` and hands out handshaken TLS streams with their peer address (HEP over
/// TLS; the web listener does its handshakes in [`crate::http_listener`]).
pub struct TlsListener {
    accepted: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // The accept loop ends with the listener: no new connections once the server stops.
        self.task.abort();
    }
}

impl TlsListener {
    /// Starts accepting on `listener` with `cert`.
    ///
    /// # Errors
    /// The listener's address cannot be read.
    pub fn new(listener: TcpListener, cert: Arc<Certificate>) -> io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (tx, accepted) = mpsc::channel(ACCEPTED_QUEUE);
        let task = tokio::spawn(accept_loop(listener, cert, tx));
        Ok(TlsListener {
            accepted,
            local,
            task,
        })
    }

    /// The next handshaken connection; `None` once the accept loop has ended.
    pub async fn next(&mut self) -> Option<(TlsStream<TcpStream>, SocketAddr)> {
        self.accepted.recv().await
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

async fn accept_loop(
    listener: TcpListener,
    cert: Arc<Certificate>,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // E.g. too many open files: wait for the pressure to ease.
                tracing::warn!(error = %e, "TLS listener accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = TlsAcceptor::from(cert.current());
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}
