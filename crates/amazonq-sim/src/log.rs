//! Request log (amazon-q-protocol.md §8.1): method, path, query, all headers, raw body, parsed
//! JSON, timestamp — plus what the simulator decided (host role, operation, account, status, rule,
//! faults, and for web searches the JSON-RPC method and the query)
//! and, for streamed chat answers, whether the client went away before the end ([`track_cancel`]).

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use futures_util::StreamExt as _;
use serde::Serialize;
use serde_json::Value;

use crate::state::Shared;

/// One recorded request.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub seq: u64,
    pub at_ms: i64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Raw body as UTF-8 (lossy); None when body logging is off.
    pub body: Option<String>,
    pub json: Option<Value>,
    /// The host role that served it: `runtime`, `management`, `legacy_q` or `auth`.
    pub host: String,
    /// What the handler decided (operation `other` when it set nothing).
    #[serde(flatten)]
    pub decision: LogMeta,
    pub status: u16,
    /// `x-sim-rule` of the response, if any.
    pub rule: Option<String>,
    /// The client closed the connection before the response body ended (a streamed answer cut
    /// short by the caller, not by an injected fault).
    pub cancelled: bool,
}

/// Set by handlers on their responses; the logging layer records it as the entry's decision.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LogMeta {
    pub operation: &'static str,
    pub account: Option<String>,
    pub faults: Vec<String>,
    /// `POST /mcp`: the JSON-RPC method (`initialize`, `tools/list`, `tools/call`, …).
    pub mcp_method: Option<String>,
    /// `POST /mcp` `tools/call` `web_search`: the query searched for.
    pub search_query: Option<String>,
}

impl LogMeta {
    /// The decision of `operation`, nothing else known yet.
    pub fn new(operation: &'static str) -> Self {
        Self {
            operation,
            ..Self::default()
        }
    }

    /// `r` carrying this decision for the logging layer.
    pub fn attach(self, mut r: Response) -> Response {
        r.extensions_mut().insert(self);
        r
    }
}

/// Which log entries to list (absent fields match all), also the query of `GET /__sim/requests`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LogFilter {
    pub operation: Option<String>,
    pub account: Option<String>,
    pub since: Option<u64>,
    /// The host role that served it (see [`LogEntry::host`]).
    pub host: Option<String>,
}

impl LogFilter {
    pub fn matches(&self, e: &LogEntry) -> bool {
        self.operation
            .as_ref()
            .is_none_or(|o| o == e.decision.operation)
            && self
                .account
                .as_ref()
                .is_none_or(|a| Some(a) == e.decision.account.as_ref())
            && self.since.is_none_or(|s| e.seq >= s)
            && self.host.as_ref().is_none_or(|h| *h == e.host)
    }
}

/// Marks entry `seq` cancelled when dropped before the body ended.
struct CancelMark {
    shared: Arc<Shared>,
    seq: u64,
    ended: bool,
}

impl Drop for CancelMark {
    fn drop(&mut self) {
        if !self.ended
            && let Some(e) = self.shared.reg().log.iter_mut().find(|e| e.seq == self.seq)
        {
            e.cancelled = true;
        }
    }
}

/// Wraps `resp`'s body so that log entry `seq` records a client that went away mid-body. The
/// body ends normally at its last chunk or at an error (an injected connection drop is the
/// simulator's doing, not the client's); hyper drops it unfinished when the client disconnects.
pub fn track_cancel(shared: Arc<Shared>, seq: u64, resp: Response) -> Response {
    let (parts, body) = resp.into_parts();
    let mark = CancelMark {
        shared,
        seq,
        ended: false,
    };
    let stream =
        futures_util::stream::unfold(Some((body.into_data_stream(), mark)), |state| async move {
            let (mut inner, mut mark) = state?;
            match inner.next().await {
                Some(Ok(bytes)) => Some((Ok(bytes), Some((inner, mark)))),
                Some(Err(e)) => {
                    mark.ended = true;
                    Some((Err(e), None))
                }
                None => {
                    mark.ended = true;
                    None
                }
            }
        });
    Response::from_parts(parts, Body::from_stream(stream))
}
