//! Request log (amazon-q-protocol.md §8.1): method, path, query, all headers, raw body, parsed
//! JSON, timestamp — plus what the simulator decided (operation, account, status, rule, faults).

use serde::Serialize;
use serde_json::Value;

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
    pub operation: String,
    pub account: Option<String>,
    pub status: u16,
    /// `x-sim-rule` of the response, if any.
    pub rule: Option<String>,
    pub faults: Vec<String>,
}

/// Set by handlers on their responses so the logging layer can fill in the decision.
#[derive(Debug, Clone, Default)]
pub struct LogMeta {
    pub operation: &'static str,
    pub account: Option<String>,
    pub faults: Vec<String>,
}

/// Query filter for `GET /__sim/requests`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LogFilter {
    pub operation: Option<String>,
    pub account: Option<String>,
    pub since: Option<u64>,
}

impl LogFilter {
    pub fn matches(&self, e: &LogEntry) -> bool {
        self.operation.as_ref().is_none_or(|o| *o == e.operation)
            && self
                .account
                .as_ref()
                .is_none_or(|a| Some(a) == e.account.as_ref())
            && self.since.is_none_or(|s| e.seq >= s)
    }
}
