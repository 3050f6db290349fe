//! Request-log rows for refused requests (issue 16 §5): a blocked address, a bad or missing key,
//! a rate limit, an oversized body or a model outside the key's scope each leave a row with the
//! client address, the key (when one was recognised), the status and the reason, so the Logs page
//! shows abuse. Rows go through the store's never-blocking batch writer ([`store::LogSender`]):
//! a flood of refusals costs one channel send each, and rows the full queue cannot take are
//! dropped and counted (`gateway_request_log_dropped_total` on `/metrics`).

use std::net::IpAddr;

use super::Guards;
use crate::error::Error;

/// Queues the row of a request refused with `err` on `surface` (the log's `dialect` column:
/// `openai`, `anthropic`, `admin`, `console` or `ops`). Nothing is written while
/// `enableRequestLog` is off.
pub fn log(
    guards: &Guards,
    ip: Option<IpAddr>,
    key_id: Option<&str>,
    surface: &'static str,
    err: &Error,
) {
    if !guards.settings.load().enable_request_log {
        return;
    }
    let row = store::NewRequestLog {
        at: chrono::Utc::now(),
        client_ip: ip.map(|ip| ip.to_string()).unwrap_or_default(),
        key_id: key_id.map(str::to_owned),
        dialect: surface.to_owned(),
        status: err.status().as_u16(),
        error_class: Some(err.code().to_owned()),
        ..store::NewRequestLog::default()
    };
    if !guards.log_sender.try_send(row) {
        tracing::debug!("request-log queue full; refused-request row dropped");
    }
}
