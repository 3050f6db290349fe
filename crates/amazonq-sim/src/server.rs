//! The listeners, per-connection I/O wrapper and router; [`Simulator::start`] / [`SimHandle`].
//!
//! Two listeners share one state and one router. The main listener plays runtime + management of
//! the 2026 hosts (or the legacy host in `host_mode: legacy_q`); the second always plays the
//! legacy `q.*` host (kiro-2026-endpoints.md §9). Both also serve OIDC, Kiro auth and the control
//! API, and route by path and `X-Amz-Target` (amazon-q-protocol.md §8). The socket is bound through
//! `TcpSocket` with a 4096 backlog (Addendum: ≥ 1024 for load tests); hyper answers
//! `Connection: close` requests with `Connection: close`. Connections are wrapped so a handler can
//! ask for an abortive close (RST) or kill a connection before any response byte leaves.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::host::Listener;
use crate::plan::ConnCtl;
use crate::state::Shared;

/// A connection as seen by the simulator.
pub struct SimIo {
    inner: TcpStream,
    ctl: Arc<ConnCtl>,
}

impl Drop for SimIo {
    fn drop(&mut self) {
        if self.ctl.rst_on_close.load(Ordering::Relaxed) {
            // SO_LINGER 0: the close below sends RST instead of FIN.
            let _ = self.inner.set_zero_linger();
        }
    }
}

fn killed(ctl: &ConnCtl) -> bool {
    ctl.kill.load(Ordering::Relaxed)
}

impl AsyncRead for SimIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if killed(&self.ctl) {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if killed(&self.ctl) {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if killed(&self.ctl) {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Listener that wraps every accepted stream in [`SimIo`].
pub struct SimListener {
    inner: TcpListener,
    accepted: Arc<AtomicU64>,
    kind: Listener,
}

impl axum::serve::Listener for SimListener {
    type Io = SimIo;
    type Addr = (SocketAddr, Arc<ConnCtl>, Listener);

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    self.accepted.fetch_add(1, Ordering::Relaxed);
                    let ctl = Arc::new(ConnCtl::default());
                    return (
                        SimIo {
                            inner: stream,
                            ctl: ctl.clone(),
                        },
                        (addr, ctl, self.kind),
                    );
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok((
            self.inner.local_addr()?,
            Arc::new(ConnCtl::default()),
            self.kind,
        ))
    }
}

/// Per-request view of the connection (peer address, connection control).
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub remote: SocketAddr,
    pub ctl: Arc<ConnCtl>,
    pub listener: Listener,
}

impl Connected<IncomingStream<'_, SimListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        let (remote, ctl, listener) = stream.remote_addr().clone();
        Self {
            remote,
            ctl,
            listener,
        }
    }
}

/// Errors starting the simulator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid listen address {0}")]
    Addr(String),
    #[error("binding {addr}: {source}")]
    Bind { addr: String, source: io::Error },
}

/// Entry point of the library.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Binds `config.listen` (default `127.0.0.1:0`) and `config.legacy_listen` (default: the same
    /// IP, a free port) and serves both in the background.
    #[expect(
        clippy::unused_async,
        reason = "spawns onto the caller's runtime; async keeps that requirement visible"
    )]
    #[expect(
        clippy::disallowed_methods,
        reason = "the SimHandle owns the two listener tasks: it signals their shutdown and joins them"
    )]
    pub async fn start(config: SimConfig) -> Result<SimHandle, StartError> {
        let addr_s = config
            .listen
            .clone()
            .unwrap_or_else(|| "127.0.0.1:0".to_owned());
        let (listener, local) = bind(&addr_s)?;
        let legacy_s = config
            .legacy_listen
            .clone()
            .unwrap_or_else(|| SocketAddr::new(local.ip(), 0).to_string());
        let (legacy, legacy_local) = bind(&legacy_s)?;
        let shared = Shared::new(config);
        let accepted = Arc::new(AtomicU64::new(0));
        let router: Router = crate::routes::router(shared.clone());
        let (tx, rx) = watch::channel(false);
        let mut tasks = Vec::with_capacity(2);
        for (inner, kind) in [(listener, Listener::Main), (legacy, Listener::Legacy)] {
            let listener = SimListener {
                inner,
                accepted: accepted.clone(),
                kind,
            };
            let (router, mut rx) = (router.clone(), rx.clone());
            tasks.push(tokio::spawn(async move {
                let shutdown = async move {
                    let _ = rx.wait_for(|v| *v).await;
                };
                let _ = axum::serve(
                    listener,
                    router.into_make_service_with_connect_info::<ConnInfo>(),
                )
                .with_graceful_shutdown(shutdown)
                .await;
            }));
        }
        Ok(SimHandle {
            addr: local,
            legacy_addr: legacy_local,
            shared,
            shutdown: tx,
            tasks,
            accepted,
            stopped: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// Binds `addr_s` through `TcpSocket` with a 4096 backlog.
fn bind(addr_s: &str) -> Result<(TcpListener, SocketAddr), StartError> {
    let addr: SocketAddr = addr_s
        .parse()
        .map_err(|_| StartError::Addr(addr_s.to_owned()))?;
    let err = |source| StartError::Bind {
        addr: addr_s.to_owned(),
        source,
    };
    let sock = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(err)?;
    sock.set_reuseaddr(true).map_err(err)?;
    sock.bind(addr).map_err(err)?;
    let listener = sock.listen(4096).map_err(err)?;
    let local = listener.local_addr().map_err(err)?;
    Ok((listener, local))
}

/// A running simulator. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    legacy_addr: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    accepted: Arc<AtomicU64>,
    stopped: Arc<AtomicBool>,
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` — the main listener: runtime + management of the 2026 hosts (or
    /// the legacy host in `host_mode: legacy_q`), plus OIDC, Kiro auth and the control API.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn legacy_addr(&self) -> SocketAddr {
        self.legacy_addr
    }

    /// The second listener: always the legacy `q.*` host, same accounts, tokens, log and counters.
    pub fn legacy_q_url(&self) -> String {
        format!("http://{}", self.legacy_addr)
    }

    /// Connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Graceful shutdown: stop accepting, let in-flight responses finish.
    pub async fn shutdown(mut self) {
        self.stopped.store(true, Ordering::Relaxed);
        let _ = self.shutdown.send(true);
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
