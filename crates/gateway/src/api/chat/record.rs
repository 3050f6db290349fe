//! One request-log row and the chat metrics per client request (issue 10 "each rule that fires is
//! counted and listed in the request log entry"; issue 7 "Request log").
//!
//! A [`Record`] is created when a chat request enters its handler and travels with it — into the
//! SSE body for streams — until [`Record::finish`]. If it is dropped unfinished (the client went
//! away, the body was dropped) the row is still written, with status 499 `client_closed`, so no
//! request goes unlogged. The row goes through the store's never-blocking [`store::LogSender`].
//! The settings are read when the record is created (issue 16 §4): `enableRequestLog: false`
//! writes no row (the metrics go on); `debugLog: true` keeps the redacted bodies (`debug_body`).
//!
//! Metrics: `gateway_chat_requests_total{dialect,model,status}`, `gateway_chat_duration_seconds`
//! and `gateway_chat_ttfb_seconds{dialect}`, `gateway_chat_inflight{dialect}` and
//! `gateway_normalizer_rules_total{rule}`. `model` is the upstream id (a closed set), never the
//! client's free-form name.

use std::sync::OnceLock;
use std::time::Instant;

use translate::ir::Usage;
use translate::normalize::Fired;

use super::debug_body::DebugBodies;
use super::error::CLIENT_CLOSED;
use crate::api::dialect_error::Dialect;

/// The per-dialect series, registered once (a request updates them without building a key and
/// looking it up in the recorder).
struct DialectSeries {
    inflight: metrics::Gauge,
    ttfb: metrics::Histogram,
    duration: metrics::Histogram,
}

const DIALECTS: [Dialect; 3] = [Dialect::OpenAi, Dialect::Anthropic, Dialect::Responses];

static SERIES: OnceLock<[DialectSeries; 3]> = OnceLock::new();

fn series(dialect: Dialect) -> &'static DialectSeries {
    let all = SERIES.get_or_init(|| {
        DIALECTS.map(|d| DialectSeries {
            inflight: metrics::gauge!("gateway_chat_inflight", "dialect" => d.as_str()),
            ttfb: metrics::histogram!("gateway_chat_ttfb_seconds", "dialect" => d.as_str()),
            duration: metrics::histogram!("gateway_chat_duration_seconds", "dialect" => d.as_str()),
        })
    });
    let i = DIALECTS.iter().position(|d| *d == dialect).unwrap_or(0);
    &all[i]
}

/// Who asked (filled from the guard's request extensions).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub ip: String,
    pub key_id: Option<String>,
}

/// The in-flight log row of one chat request.
#[derive(Debug)]
pub struct Record {
    sender: store::LogSender,
    at: chrono::DateTime<chrono::Utc>,
    started: Instant,
    dialect: Dialect,
    caller: Caller,
    pub stream: bool,
    pub model_requested: String,
    pub model_used: Option<String>,
    pub account_id: Option<String>,
    pub usage: Usage,
    rules: Vec<String>,
    ttfb_ms: Option<u64>,
    done: bool,
    /// `enableRequestLog` when the request arrived.
    log: bool,
    /// The bodies, while `debugLog` is on.
    debug: Option<Box<DebugBodies>>,
}

impl Record {
    /// A record for a request whose body is `body`; `settings` decide whether a row is written
    /// and whether it keeps the bodies.
    pub fn new(
        sender: store::LogSender,
        dialect: Dialect,
        caller: Caller,
        settings: &store::Settings,
        body: &[u8],
    ) -> Self {
        series(dialect).inflight.increment(1.0);
        Self {
            sender,
            at: chrono::Utc::now(),
            started: Instant::now(),
            dialect,
            caller,
            stream: false,
            model_requested: String::new(),
            model_used: None,
            account_id: None,
            usage: Usage::default(),
            rules: Vec::new(),
            ttfb_ms: None,
            done: false,
            log: settings.enable_request_log,
            debug: (settings.enable_request_log && settings.debug_log)
                .then(|| Box::new(DebugBodies::new(body))),
        }
    }

    /// Notes bytes sent to the client (kept only while `debugLog` is on).
    pub fn sent(&mut self, bytes: &[u8]) {
        if let Some(d) = &mut self.debug {
            d.push_response(bytes);
        }
    }

    /// Notes the normalizer rules that fired, and counts them.
    pub fn rules(&mut self, fired: &Fired) {
        for rule in fired.as_slice() {
            metrics::counter!("gateway_normalizer_rules_total", "rule" => rule.name()).increment(1);
        }
        self.rules = fired.names().into_iter().map(str::to_owned).collect();
    }

    /// Adds one entry to the row's rules list (web search notes each search there).
    pub fn note(&mut self, entry: &str) {
        self.rules.push(entry.to_owned());
    }

    /// The first byte of the answer is about to leave.
    pub fn first_byte(&mut self) {
        if self.ttfb_ms.is_none() {
            let elapsed = self.started.elapsed();
            self.ttfb_ms = Some(elapsed.as_millis() as u64);
            series(self.dialect).ttfb.record(elapsed.as_secs_f64());
        }
    }

    /// Writes the row once: `status` as the client saw it, `error_class` for failures (also for
    /// in-band errors after a 200).
    pub fn finish(&mut self, status: u16, error_class: Option<&str>) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let elapsed = self.started.elapsed();
        let dialect = self.dialect.as_str();
        let series = series(self.dialect);
        series.inflight.decrement(1.0);
        let model = self
            .model_used
            .clone()
            .unwrap_or_else(|| "unknown".to_owned());
        metrics::counter!("gateway_chat_requests_total", "dialect" => dialect,
            "model" => model, "status" => crate::metrics::status_label(status))
        .increment(1);
        series.duration.record(elapsed.as_secs_f64());
        if !self.log {
            return;
        }
        let (request_body, response_body) = match self.debug.take() {
            Some(mut d) => (d.request.take(), d.response()),
            None => (None, None),
        };
        let row = store::NewRequestLog {
            at: self.at,
            client_ip: std::mem::take(&mut self.caller.ip),
            key_id: self.caller.key_id.take(),
            account_id: self.account_id.take(),
            model_requested: std::mem::take(&mut self.model_requested),
            model_used: self.model_used.take(),
            dialect: dialect.to_owned(),
            stream: self.stream,
            status,
            error_class: error_class.map(str::to_owned),
            tokens: store::TokenUsage {
                input_tokens: u64::from(self.usage.input_tokens),
                output_tokens: u64::from(self.usage.output_tokens),
            },
            ttfb_ms: self.ttfb_ms,
            duration_ms: elapsed.as_millis() as u64,
            rules_fired: std::mem::take(&mut self.rules),
            request_body,
            response_body,
        };
        if !self.sender.try_send(row) {
            tracing::debug!("request-log queue full; row dropped");
        }
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        if !self.done {
            self.finish(CLIENT_CLOSED, Some("client_closed"));
        }
    }
}
