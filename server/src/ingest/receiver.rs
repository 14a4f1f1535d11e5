//! [`HepReceiver`]: binds HEP over UDP and TCP on one address, runs both loops as tasks, and stops them on
//! request.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::tcp::{TcpCounters, TcpLimits, TcpStats};
use super::{tcp, udp, Intake};

/// Why the receiver could not start. The address is in the message.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The UDP socket could not be bound (address in use, not local, no permission).
    #[error("binding HEP UDP on {addr}: {source}")]
    BindUdp {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// The TCP listener could not be bound on the UDP socket's address.
    #[error("binding HEP TCP on {addr}: {source}")]
    BindTcp {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
}

/// The running UDP and TCP receive loops.
pub struct HepReceiver {
    udp_addr: SocketAddr,
    tcp_addr: SocketAddr,
    tcp: Arc<TcpCounters>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl HepReceiver {
    /// [`HepReceiver::start_with`] with the default [`TcpLimits`].
    ///
    /// # Errors
    /// Either bind fails.
    pub async fn start(
        listen: SocketAddr,
        intake: Arc<Intake>,
    ) -> Result<HepReceiver, IngestError> {
        HepReceiver::start_with(listen, intake, TcpLimits::default()).await
    }

    /// Binds UDP on `listen`, then TCP on the same address and port (the port UDP got, when `listen` asks
    /// for port 0), and starts both loops; TCP connections are bounded by `limits`.
    ///
    /// # Errors
    /// Either bind fails.
    pub async fn start_with(
        listen: SocketAddr,
        intake: Arc<Intake>,
        limits: TcpLimits,
    ) -> Result<HepReceiver, IngestError> {
        let (socket, listener, udp_addr, tcp_addr) = bind_both(listen).await?;
        let (stop, stopped) = watch::channel(false);
        let counters = Arc::new(TcpCounters::default());
        let tasks = vec![
            tokio::spawn(udp::run(socket, Arc::clone(&intake), stopped.clone())),
            tokio::spawn(tcp::run(
                listener,
                intake,
                limits,
                tcp::MAX_BACKPRESSURE_PAUSE,
                Arc::clone(&counters),
                stopped,
            )),
        ];
        tracing::info!(%udp_addr, "HEP receiver listening on UDP and TCP");
        Ok(HepReceiver {
            udp_addr,
            tcp_addr,
            tcp: counters,
            stop,
            tasks,
        })
    }

    /// The bound UDP address.
    pub fn udp_addr(&self) -> SocketAddr {
        self.udp_addr
    }

    /// The bound TCP address.
    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp_addr
    }

    /// Open, rejected and idle-closed TCP connections and backpressure pauses so far.
    pub fn tcp_stats(&self) -> TcpStats {
        self.tcp.snapshot()
    }

    /// Also receives HEP over TLS on `listen` (TCP, `cert`'s certificate), with the TCP loop's
    /// limits, until [`HepReceiver::stop`]; returns the bound address.
    ///
    /// # Errors
    /// The bind fails.
    pub async fn start_tls(
        &mut self,
        listen: SocketAddr,
        cert: Arc<crate::tls::Certificate>,
        intake: Arc<Intake>,
        limits: TcpLimits,
    ) -> Result<SocketAddr, IngestError> {
        let bind_err = |source| IngestError::BindTcp {
            addr: listen,
            source,
        };
        let listener = TcpListener::bind(listen).await.map_err(bind_err)?;
        let listener = crate::tls::TlsListener::new(listener, cert).map_err(bind_err)?;
        let addr = listener.local_addr();
        self.tasks.push(tokio::spawn(tcp::run(
            listener,
            intake,
            limits,
            tcp::MAX_BACKPRESSURE_PAUSE,
            Arc::new(TcpCounters::default()),
            self.stop.subscribe(),
        )));
        tracing::info!(%addr, "HEP receiver listening on TLS");
        Ok(addr)
    }

    /// Stops both loops and every TCP connection, and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "a HEP receive loop ended abnormally");
            }
        }
    }
}

/// Receive buffer asked for the HEP UDP socket. A burst of HEP outruns the kernel's default
/// (about 208 KiB) before the loop reads it; the kernel caps the request at `net.core.rmem_max`.
const UDP_RECEIVE_BUFFER: usize = 8 * 1024 * 1024;

/// A non-blocking UDP socket bound on `listen` with a large receive buffer.
fn bind_udp(listen: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(
        Domain::for_address(listen),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    if let Err(e) = socket.set_recv_buffer_size(UDP_RECEIVE_BUFFER) {
        tracing::warn!(error = %e, "cannot enlarge the HEP UDP receive buffer; bursts may be lost");
    }
    socket.set_nonblocking(true)?;
    socket.bind(&listen.into())?;
    tracing::debug!(
        bytes = socket.recv_buffer_size().unwrap_or(0),
        "HEP UDP receive buffer"
    );
    Ok(socket.into())
}

/// Binds UDP and TCP on the same address. With port 0, the UDP socket picks the port; if TCP
/// cannot have that port (another socket holds it, e.g. a client's ephemeral port), both are
/// tried again on a new port, a few times, rather than failing at random.
async fn bind_both(
    listen: SocketAddr,
) -> Result<(UdpSocket, TcpListener, SocketAddr, SocketAddr), IngestError> {
    const ATTEMPTS: usize = 8;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let socket = bind_udp(listen)
            .and_then(UdpSocket::from_std)
            .map_err(|source| IngestError::BindUdp {
                addr: listen,
                source,
            })?;
        let udp_addr = socket.local_addr().map_err(|source| IngestError::BindUdp {
            addr: listen,
            source,
        })?;
        let tcp_error = |source| IngestError::BindTcp {
            addr: udp_addr,
            source,
        };
        match TcpListener::bind(udp_addr).await {
            Ok(listener) => {
                let tcp_addr = listener.local_addr().map_err(tcp_error)?;
                return Ok((socket, listener, udp_addr, tcp_addr));
            }
            Err(e)
                if listen.port() == 0
                    && e.kind() == std::io::ErrorKind::AddrInUse
                    && attempt < ATTEMPTS => {}
            Err(e) => return Err(tcp_error(e)),
        }
    }
}
