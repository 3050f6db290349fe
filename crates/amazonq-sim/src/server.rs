//! The listener, per-connection I/O wrapper and router; [`Simulator::start`] / [`SimHandle`].
//!
//! One listener serves every virtual host (OIDC, Kiro auth, Q chat and account APIs, control API)
//! and routes by path and `X-Amz-Target` (amazon-q-protocol.md §8). The socket is bound through
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
}

impl axum::serve::Listener for SimListener {
    type Io = SimIo;
    type Addr = (SocketAddr, Arc<ConnCtl>);

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
                        (addr, ctl),
                    );
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok((self.inner.local_addr()?, Arc::new(ConnCtl::default())))
    }
}

/// Per-request view of the connection (peer address, connection control).
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub remote: SocketAddr,
    pub ctl: Arc<ConnCtl>,
}

impl Connected<IncomingStream<'_, SimListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        let (remote, ctl) = stream.remote_addr().clone();
        Self { remote, ctl }
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
    /// Binds `config.listen` (default `127.0.0.1:0`) and serves in the background.
    #[allow(
        clippy::unused_async,
        reason = "spawns onto the caller's runtime; async keeps that requirement visible"
    )]
    pub async fn start(config: SimConfig) -> Result<SimHandle, StartError> {
        let addr_s = config
            .listen
            .clone()
            .unwrap_or_else(|| "127.0.0.1:0".to_owned());
        let addr: SocketAddr = addr_s
            .parse()
            .map_err(|_| StartError::Addr(addr_s.clone()))?;
        let bind = |addr: SocketAddr| -> io::Result<TcpListener> {
            let sock = if addr.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            sock.set_reuseaddr(true)?;
            sock.bind(addr)?;
            sock.listen(4096)
        };
        let listener = bind(addr).map_err(|source| StartError::Bind {
            addr: addr_s,
            source,
        })?;
        let local = listener.local_addr().map_err(|source| StartError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let shared = Shared::new(config);
        let accepted = Arc::new(AtomicU64::new(0));
        let router: Router = crate::routes::router(shared.clone());
        let (tx, mut rx) = watch::channel(false);
        let listener = SimListener {
            inner: listener,
            accepted: accepted.clone(),
        };
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.wait_for(|v| *v).await;
            };
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<ConnInfo>(),
            )
            .with_graceful_shutdown(shutdown)
            .await;
        });
        Ok(SimHandle {
            addr: local,
            shared,
            shutdown: tx,
            task: Some(task),
            accepted,
            stopped: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// A running simulator. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    accepted: Arc<AtomicU64>,
    stopped: Arc<AtomicBool>,
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` — the same base serves OIDC, Kiro auth, chat and account APIs.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Graceful shutdown: stop accepting, let in-flight responses finish.
    pub async fn shutdown(mut self) {
        self.stopped.store(true, Ordering::Relaxed);
        let _ = self.shutdown.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
