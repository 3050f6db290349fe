//! Runs the gateway library in-process (issue 9): binds `127.0.0.1:<port>`, calls
//! `gateway::serve(listener, config, shutdown)` unchanged, and keeps a [`Status`] the UI shows.
//!
//! - A bind failure (busy port, no permission) becomes [`Status::Failed`], never a crash.
//! - Stop = cancel the shutdown future and wait for `serve` to finish its graceful shutdown
//!   (drain, background tasks, request-log flush, database close), bounded by [`STOP_BOUND`].
//! - While running, a monitor probes `/healthz` and the admin-password state every
//!   [`PROBE_EVERY`] and republishes the status when either changes.
//!
//! Tauri-free on purpose: the tests drive it with real HTTP on 127.0.0.1.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use gateway::Config;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::health;
use crate::status::Status;

/// How often the monitor probes a running gateway.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);
/// Upper bound for a stop: the gateway's drain grace plus its flush bound, with slack.
pub const STOP_BOUND: Duration = Duration::from_mins(1);

/// Called on every status change (the UI updates the tray, the title and the window).
pub type OnChange = Arc<dyn Fn(&Status) + Send + Sync>;

struct Running {
    cancel: CancellationToken,
    serve: JoinHandle<()>,
    monitor: JoinHandle<()>,
}

/// The in-process gateway.
pub struct Controller {
    base: Config,
    port: Mutex<u16>,
    status: Mutex<Status>,
    running: tokio::sync::Mutex<Option<Running>>,
    on_change: OnChange,
}

impl Controller {
    /// A stopped gateway that will serve `base` (its `server.port` is the initial port).
    pub fn new(base: Config, on_change: OnChange) -> Arc<Self> {
        let port = base.server.port;
        Arc::new(Self {
            base,
            port: Mutex::new(port),
            status: Mutex::new(Status::Stopped { port }),
            running: tokio::sync::Mutex::new(None),
            on_change,
        })
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, status: Status) {
        self.update(|_| Some(status));
    }

    /// Replaces the status with what `next` returns for the current one (`None` = keep), under
    /// one lock so a probe result cannot overwrite a concurrent Failed/Stopped; then notifies.
    fn update(&self, next: impl FnOnce(&Status) -> Option<Status>) {
        let changed = {
            let mut current = self.status.lock().unwrap_or_else(PoisonError::into_inner);
            match next(&current) {
                Some(status) if status != *current => {
                    current.clone_from(&status);
                    Some(status)
                }
                _ => None,
            }
        };
        if let Some(status) = changed {
            tracing::info!(status = %status.summary(), "gateway status");
            (self.on_change)(&status);
        }
    }

    /// Starts the gateway (on `port` when given, which becomes the port for later starts too).
    /// Already running: nothing happens. Returns the resulting status.
    #[expect(
        clippy::disallowed_methods,
        reason = "the controller owns the serve and monitor tasks (`Running`): `stop` cancels and joins them"
    )]
    pub async fn start(self: &Arc<Self>, port: Option<u16>) -> Status {
        let mut running = self.running.lock().await;
        if let Some(r) = running.as_ref() {
            if !r.serve.is_finished() {
                return self.status();
            }
            // It ended on its own (status Failed): clear it so this start is a real retry.
            if let Some(r) = running.take() {
                r.cancel.cancel();
                let _ = r.serve.await;
                let _ = r.monitor.await;
            }
        }
        let port = {
            let mut p = self.port.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(new) = port {
                *p = new;
            }
            *p
        };
        self.set(Status::Starting { port });
        let listener = match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => l,
            Err(e) => {
                self.set(bind_failure(port, &e));
                return self.status();
            }
        };
        // Port 0 (tests) binds an ephemeral port: report the real one.
        let port = listener.local_addr().map_or(port, |a| a.port());
        let mut config = self.base.clone();
        config.server.host = "127.0.0.1".to_string();
        config.server.port = port;
        // Published before `serve` is spawned: a start-up failure's Failed must come after it.
        self.set(Status::Running {
            port,
            healthy: None,
            default_password: false,
        });
        let cancel = CancellationToken::new();
        let serve = {
            let this = Arc::clone(self);
            let shutdown = cancel.clone().cancelled_owned();
            let cancel = cancel.clone();
            let config_for_serve = config.clone();
            tokio::spawn(async move {
                let result = gateway::serve(listener, config_for_serve, shutdown).await;
                if cancel.is_cancelled() {
                    if let Err(e) = result {
                        tracing::error!(error = %format!("{e:#}"), "gateway shutdown failed");
                    }
                    return;
                }
                // Ended on its own: the monitor must stop too, and the UI must say why.
                cancel.cancel();
                let message = match result {
                    Ok(()) => "the gateway stopped unexpectedly".to_string(),
                    Err(e) => format!("{e:#}"),
                };
                tracing::error!(%message, "gateway ended");
                this.set(Status::Failed {
                    port,
                    message,
                    port_busy: false,
                });
            })
        };
        let monitor = tokio::spawn(monitor(Arc::clone(self), config, cancel.clone()));
        *running = Some(Running {
            cancel,
            serve,
            monitor,
        });
        self.status()
    }

    /// Stops the gateway gracefully and waits for it. Not running: nothing happens.
    pub async fn stop(&self) -> Status {
        let mut running = self.running.lock().await;
        let Some(r) = running.take() else {
            return self.status();
        };
        r.cancel.cancel();
        let port = self.status().port();
        if tokio::time::timeout(STOP_BOUND, r.serve).await.is_err() {
            tracing::error!(?STOP_BOUND, "the gateway did not stop in time");
        }
        let _ = r.monitor.await;
        // A gateway that failed on its own keeps its Failed status (the message matters).
        if !matches!(self.status(), Status::Failed { .. }) {
            self.set(Status::Stopped { port });
        }
        self.status()
    }

    /// Applies a probe result if the gateway is still the running one on `port`.
    fn probed(&self, port: u16, healthy: bool, default_password: bool) {
        self.update(|current| {
            matches!(current, Status::Running { port: p, .. } if *p == port).then_some(
                Status::Running {
                    port,
                    healthy: Some(healthy),
                    default_password,
                },
            )
        });
    }
}

fn bind_failure(port: u16, e: &std::io::Error) -> Status {
    let port_busy = e.kind() == std::io::ErrorKind::AddrInUse;
    let message = if port_busy {
        format!(
            "port {port} is already in use by another program (another claude-server or a \
             second copy of this app?); choose another port"
        )
    } else if e.kind() == std::io::ErrorKind::PermissionDenied {
        format!("not allowed to listen on port {port}; choose a port above 1024")
    } else {
        format!("cannot listen on 127.0.0.1:{port}: {e}")
    };
    Status::Failed {
        port,
        message,
        port_busy,
    }
}

/// Probes health and the admin-password state until `cancel`.
async fn monitor(ctl: Arc<Controller>, config: Config, cancel: CancellationToken) {
    let port = config.server.port;
    // Opened only after the first healthy probe: by then the gateway has run the migrations and
    // created the encryption key, so this second handle never races it for either.
    let mut store: Option<store::Store> = None;
    let mut default_password = false;
    let mut delay = Duration::from_millis(200);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(delay) => {}
        }
        delay = PROBE_EVERY;
        let healthy = health::healthz(port, Duration::from_secs(2)).await;
        if healthy && store.is_none() {
            match gateway::open_store(&config).await {
                Ok(s) => store = Some(s),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "cannot read the admin password state");
                }
            }
        }
        if let Some(s) = &store {
            match health::default_password(s).await {
                Ok(v) => default_password = v,
                Err(e) => tracing::warn!(error = %e, "cannot read the admin password state"),
            }
        }
        if cancel.is_cancelled() {
            break;
        }
        ctl.probed(port, healthy, default_password);
    }
    if let Some(s) = store
        && let Err(e) = s.close().await
    {
        tracing::warn!(error = %e, "closing the status store handle");
    }
}

#[cfg(test)]
mod tests;
