//! claude-api gateway library. [`serve`] is the one seam used by `claude-server`, the tests and
//! the desktop app: it takes a bound listener, the bootstrap [`Config`] and a shutdown future.
//!
//! Start-up: open the store (generating the credential key on first start) → check that the
//! stored credentials decrypt (`credentials_check`: all fail = refuse, some = mark) → load settings, keys
//! and blocklist snapshots → seed/announce the admin password state → start the request-log writer
//! and the supervised background tasks, warm the tokenizer up off the async threads → serve.
//! Shutdown (issue 7 §Operations; ARCHITECTURE.md §Boundaries): stop accepting → drain open
//! requests and streams, bounded by `server.shutdown_grace_secs` → stop background tasks →
//! flush the request-log writer → close the database pool.

pub mod api;
pub mod auth;
pub mod change;
pub mod config;
pub mod console;
pub mod credentials_check;
pub mod demo;
pub mod dialect_error;
pub mod error;
pub mod fleet;
pub mod guard;
#[cfg(test)]
mod layering;
pub mod limits;
pub mod listen;
pub mod log_level;
pub mod metrics;
pub mod pool;
pub mod signal;
pub mod state;
pub mod tasks;

use std::future::{Future, IntoFuture as _};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use arc_swap::ArcSwap;
use axum::Router;
pub use config::Config;
pub use error::Error;
pub use state::AppState;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::change::Change;
use crate::pool::AccountOps;

/// The version string embedded at build time (`CLAUDE_API_VERSION` overrides the crate version).
pub const VERSION: &str = match option_env!("CLAUDE_API_VERSION") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};

/// Optional additions to the served application (for embedders and tests).
#[derive(Default)]
pub struct Extensions {
    /// Routes mounted behind the `/v1` guard stack *instead of* the built-in client routes
    /// (tests mount stand-ins; axum cannot merge two handlers for one path).
    pub v1_routes: Option<Router<AppState>>,
    /// Upstream account operations; `None` = the account pool.
    pub account_ops: Option<Arc<dyn AccountOps>>,
}

/// Serves the gateway on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    serve_with(listener, config, shutdown, Extensions::default()).await
}

/// Everything a request reads, built once: the fleet seams (in-memory, or Redis when `redis.url`
/// is set), the account pool, the `/v1` guards and the chat state.
async fn build_state(
    config: &Arc<Config>,
    store: &store::Store,
    log_sender: store::LogSender,
    supervisor: &tasks::Supervisor,
    account_ops: Option<Arc<dyn AccountOps>>,
) -> anyhow::Result<AppState> {
    let security = &config.security;
    // One limiter for everything: the pool's account leases and the admin API's `inflight`
    // read the same counters (key `account:<id>`). `redis.url` set → fleet mode (issue 8).
    let seams = fleet::Seams::from_config(config, store.clone(), supervisor)?;
    let (concurrency, notifier) = (seams.concurrency, seams.notifier);
    let pool = pool::Pool::start(seams.pool, config.pool.clone(), config.upstream.clone())
        .await
        .context("starting the account pool")?;
    let settings = Arc::new(ArcSwap::from_pointee(store::Settings::default()));
    let guards = Arc::new(guard::Guards {
        trusted_proxies: security.trusted_proxies.clone(),
        max_body_bytes: security.max_body_bytes,
        settings: Arc::clone(&settings),
        keyring: ArcSwap::from_pointee(guard::KeyRing::default()),
        blocklist: ArcSwap::from_pointee(guard::Blocklist::default()),
        rate_limiter: seams.rate_limiter,
        concurrency: Arc::clone(&concurrency),
        log_sender: log_sender.clone(),
    });
    let chat = Arc::new(state::ChatState {
        pool: pool.clone(),
        store: store.clone(),
        settings: Arc::clone(&settings),
        log_sender: log_sender.clone(),
        models: api::chat::build_model_table(&config.models),
        refusals: pool::ModelRefusals::default(),
        images: config.images.clone(),
        keepalive: Duration::from_millis(config.stream.keepalive_ms.max(1)),
        keep_responses: config.responses.store_max_count > 0,
    });
    Ok(AppState::new(state::Inner {
        config: Arc::clone(config),
        store: store.clone(),
        settings,
        guards,
        chat,
        concurrency,
        notifier,
        account_ops: account_ops.unwrap_or_else(|| Arc::new(pool.clone())),
        pool,
        lockout: Arc::new(auth::LoginLockout::new(
            security.login_max_failures,
            Duration::from_secs(security.login_lockout_secs),
        )),
        log_sender,
        supervisor: supervisor.clone(),
        reload_lock: tokio::sync::Mutex::new(()),
    }))
}

/// [`serve`] with [`Extensions`].
pub async fn serve_with(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send,
    extensions: Extensions,
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    // Install the Prometheus recorder before anything records a metric.
    let _ = metrics::handle();
    let store = open_store(&config).await?;
    credentials_check::run(&store)
        .await
        .context("checking the stored account credentials")?;
    let writer_cancel = CancellationToken::new();
    let (log_sender, writer) =
        store::LogWriter::spawn(store.clone(), 10_000, writer_cancel.clone());
    let supervisor = tasks::Supervisor::new();
    let state = build_state(
        &config,
        &store,
        log_sender,
        &supervisor,
        extensions.account_ops,
    )
    .await?;
    state
        .reload_all()
        .await
        .context("loading settings, keys and blocklist")?;
    announce(&state, &listener);
    spawn_tasks(&state);
    if let Some(addr) = config.metrics.listen {
        spawn_metrics_listener(&supervisor, addr).await?;
    }

    let app = api::router(&state, extensions.v1_routes);
    let stop_accepting = CancellationToken::new();
    let server = axum::serve(
        listen::client_listener(listener),
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop_accepting.clone().cancelled_owned())
    .into_future();
    let mut server = std::pin::pin!(server);
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    tokio::select! {
        result = &mut server => result.context("HTTP server failed")?,
        () = shutdown => {
            // Phase 1+2: stop accepting and let open requests/streams finish, bounded.
            tracing::info!("shutting down: draining open requests");
            stop_accepting.cancel();
            if let Ok(result) = tokio::time::timeout(grace, &mut server).await {
                result.context("HTTP server failed while draining")?;
            } else {
                tracing::warn!(?grace, "drain bound reached; closing open connections");
            }
        }
    }
    // Phase 3: background tasks.
    supervisor.shutdown(Duration::from_secs(10)).await;
    // Phase 4: flush the request log (the writer drains its queue after cancellation).
    drop(state);
    writer_cancel.cancel();
    match tokio::time::timeout(Duration::from_secs(30), writer).await {
        Ok(Ok(report)) => tracing::info!(?report, "request log flushed"),
        Ok(Err(e)) => tracing::error!(error = %e, "request-log writer failed"),
        Err(_) => tracing::error!("request-log writer did not finish flushing in time"),
    }
    // Phase 5: database pool.
    store.close().await.context("closing the database")?;
    tracing::info!("shutdown complete");
    Ok(())
}

/// Opens the store, creating the data folder and the encryption key as needed.
pub async fn open_store(config: &Config) -> anyhow::Result<store::Store> {
    let data_dir = config.data_dir();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating data folder {}", data_dir.display()))?;
    let cipher = load_cipher(config)?;
    let url = config.database_url();
    let store = store::Store::connect(store::StoreConfig::new(url.expose(), cipher))
        .await
        .with_context(|| format!("opening the {} database", config.database_type().as_str()))?;
    Ok(store)
}

fn load_cipher(config: &Config) -> anyhow::Result<store::Cipher> {
    if let Some(key) = &config.security.encryption_key {
        return store::Cipher::from_base64(key.expose()).context("security.encryption_key");
    }
    let path = config
        .security
        .encryption_key_file
        .clone()
        .unwrap_or_else(|| config.data_dir().join("encryption.key"));
    let (cipher, generated) = store::Cipher::load_or_generate(&path)
        .with_context(|| format!("security.encryption_key_file {}", path.display()))?;
    if generated {
        tracing::warn!(
            path = %path.display(),
            "generated a new credential encryption key; BACK IT UP: without it the stored \
             account tokens cannot be decrypted"
        );
    }
    Ok(cipher)
}

fn announce(state: &AppState, listener: &TcpListener) {
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(
        version = VERSION,
        %addr,
        database = state.config.database_type().as_str(),
        data_dir = %state.config.data_dir().display(),
        "claude-server listening"
    );
    if state.must_change_password() {
        tracing::warn!(
            "the admin password is still the default `admin`: log in to the console and change it"
        );
    }
    if state.guards.keyring.load().is_empty() {
        let exposed = listener.local_addr().is_ok_and(|a| !a.ip().is_loopback());
        if exposed {
            tracing::warn!(
                %addr,
                "listening on a non-loopback address with no API key: /v1 serves only callers on \
                 this machine (not requests relayed by a proxy); create an API key (console → \
                 Keys) before exposing this port"
            );
        } else {
            tracing::warn!("no API key configured: /v1 accepts requests from this machine only");
        }
    }
}

fn spawn_tasks(state: &AppState) {
    let sup = &state.supervisor;
    // Load the tokenizer vocabulary now, on a blocking thread (~0.4 s in a debug build), so the
    // first chat request does not pay for it and no async worker stalls meanwhile.
    drop(tokio::task::spawn_blocking(translate::tokens::warm_up));
    let s = state.clone();
    // Safety net for changes made elsewhere (another instance, a hand edit of the database).
    sup.spawn_interval("snapshot-reload", Duration::from_secs(30), move || {
        let s = s.clone();
        async move { s.reload_all().await.map_err(|e| e.to_string()) }
    });
    let s = state.clone();
    sup.spawn("change-listener", Duration::from_secs(1), move |cancel| {
        let s = s.clone();
        async move {
            let mut rx = s.notifier.subscribe();
            loop {
                let change = tokio::select! {
                    () = cancel.cancelled() => return Ok(()),
                    c = rx.recv() => c,
                };
                match change {
                    Ok(c) => s.reload(c).await.map_err(|e| e.to_string())?,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        s.reload_all().await.map_err(|e| e.to_string())?;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
                }
            }
        }
    });
    let s = state.clone();
    sup.spawn_interval("metrics-sampler", Duration::from_secs(5), move || {
        let log = s.log_sender.clone();
        async move {
            ::metrics::gauge!("gateway_request_log_queue_depth").set(log.queue_depth() as f64);
            ::metrics::counter!("gateway_request_log_dropped_total").absolute(log.dropped());
            ::metrics::counter!("gateway_request_log_written_total").absolute(log.written());
            ::metrics::counter!("gateway_request_log_failed_total").absolute(log.failed());
            Ok(())
        }
    });
    let s = state.clone();
    sup.spawn_interval("retention", Duration::from_hours(1), move || {
        let s = s.clone();
        async move { housekeeping(&s).await.map_err(|e| e.to_string()) }
    });
}

/// Log retention (`logRetentionDays`, 0 = keep forever), expired sessions and blocks, stored
/// Responses API answers (`responses.*`).
pub async fn housekeeping(state: &AppState) -> Result<(), Error> {
    let now = chrono::Utc::now();
    let days = state.settings.load().log_retention_days;
    if days > 0 {
        let deleted = state
            .store
            .cleanup_logs(now - chrono::Duration::days(i64::from(days)))
            .await?;
        if deleted > 0 {
            tracing::info!(deleted, days, "request-log retention");
        }
    }
    state.store.purge_sessions(now).await?;
    let keep = &state.config.responses;
    let max_age = chrono::Duration::hours(
        i64::try_from(keep.store_max_age_hours).unwrap_or(i64::MAX / 3_600_000),
    );
    let deleted = state
        .store
        .purge_responses(now - max_age, keep.store_max_count)
        .await?;
    if deleted > 0 {
        tracing::info!(deleted, "stored-responses retention");
    }
    if state.store.purge_expired_blocks(now).await? > 0 {
        state.changed(Change::Blocklist).await?;
    }
    Ok(())
}

async fn spawn_metrics_listener(sup: &tasks::Supervisor, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding metrics.listen {addr}"))?;
    let listener = Arc::new(tokio::sync::Mutex::new(Some(listener)));
    sup.spawn("metrics-listener", Duration::from_secs(1), move |cancel| {
        let listener = Arc::clone(&listener);
        async move {
            let Some(l) = listener.lock().await.take() else {
                return Err("metrics listener already consumed".to_string());
            };
            let app = Router::new().route("/metrics", axum::routing::get(metrics::render_metrics));
            axum::serve(l, app)
                .with_graceful_shutdown(cancel.cancelled_owned())
                .await
                .map_err(|e| e.to_string())
        }
    });
    Ok(())
}
