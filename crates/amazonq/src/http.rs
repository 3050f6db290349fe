//! Shared HTTP plumbing for the upstream clients: the rustls provider, reqwest
//! clients per proxy, and reading a bounded response body.
//!
//! Proxies: the default client honours `HTTPS_PROXY` / `HTTP_PROXY` /
//! `NO_PROXY` (reqwest's environment proxy support). An account may also name
//! its own proxy URL; one client per distinct URL is built lazily and cached,
//! so connection pools are per proxy.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;

/// Installs rustls' `ring` crypto provider as the process default. reqwest is
/// built with `rustls-no-provider`, so this must happen before any client is
/// built; every client constructor in this crate calls it. Idempotent.
pub fn install_crypto_provider() {
    // Err means a provider is already installed (by us or by the host
    // program), which is exactly the state we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Failure to reach the upstream at the transport level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("cannot connect to upstream: {0}")]
    Connect(String),
    #[error("upstream timed out: {0}")]
    Timeout(String),
    #[error("upstream transport error: {0}")]
    Other(String),
    #[error("invalid proxy URL {url:?}: {detail}")]
    InvalidProxy { url: String, detail: String },
    #[error("invalid upstream URL {0:?}")]
    InvalidUrl(String),
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

impl From<reqwest::Error> for TransportError {
    fn from(e: reqwest::Error) -> Self {
        // The outer message of reqwest errors is generic ("error sending
        // request"); the cause chain says what actually happened.
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        if e.is_connect() {
            Self::Connect(detail)
        } else if e.is_timeout() {
            Self::Timeout(detail)
        } else {
            Self::Other(detail)
        }
    }
}

/// reqwest clients: one default (environment proxies) plus one per explicit
/// proxy URL.
#[derive(Debug)]
pub(crate) struct HttpClients {
    default: reqwest::Client,
    connect_timeout: Duration,
    per_proxy: Mutex<HashMap<String, reqwest::Client>>,
}

impl HttpClients {
    pub(crate) fn new(connect_timeout: Duration) -> Result<Self, TransportError> {
        install_crypto_provider();
        let default = builder(connect_timeout)
            .build()
            .map_err(|e| TransportError::Build(e.to_string()))?;
        Ok(Self {
            default,
            connect_timeout,
            per_proxy: Mutex::new(HashMap::new()),
        })
    }

    /// The client for this proxy (`None`: environment proxies).
    pub(crate) fn get(&self, proxy: Option<&str>) -> Result<reqwest::Client, TransportError> {
        let Some(url) = proxy.filter(|p| !p.is_empty()) else {
            return Ok(self.default.clone());
        };
        let mut map = self
            .per_proxy
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = map.get(url) {
            return Ok(client.clone());
        }
        let invalid = |e: reqwest::Error| TransportError::InvalidProxy {
            url: url.to_owned(),
            detail: e.to_string(),
        };
        let client = builder(self.connect_timeout)
            .proxy(reqwest::Proxy::all(url).map_err(invalid)?)
            .build()
            .map_err(invalid)?;
        map.insert(url.to_owned(), client.clone());
        Ok(client)
    }
}

fn builder(connect_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        // Streams idle for minutes between tool-call frames (§5.5); keepalive
        // probes stop middleboxes from dropping such connections silently.
        .tcp_keepalive(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_mins(1))
        // Each idle upstream connection keeps its hyper buffers (≈ 20–70 KiB: read buffer grown
        // under load, dispatch channel, write buffer). After a burst of N streams all N would
        // idle for a minute; keep enough for steady reuse and close the rest (issue 11 "M").
        .pool_max_idle_per_host(MAX_IDLE_PER_HOST)
}

/// Idle keep-alive connections kept per upstream host.
const MAX_IDLE_PER_HOST: usize = 64;

/// Reads at most `limit` bytes of a body (error bodies are small; a huge one is
/// cut rather than buffered).
pub(crate) async fn read_body_capped(
    response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, TransportError> {
    let mut out = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// A response header as text.
pub(crate) fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Joins a base URL and a path without doubling or dropping the slash.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}
