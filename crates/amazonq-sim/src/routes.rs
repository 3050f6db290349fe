//! Router and cross-cutting layers: the host mode of the listener (kiro-2026-endpoints.md §9),
//! request log, `x-amzn-requestid` on every response, the optional `x-amzn-ErrorType` suffix
//! (amazon-q-protocol.md §8.1), and the loopback guard of the control API.
//!
//! `POST /` dispatches by `X-Amz-Target`: on the legacy host the Q targets of amazon-q-protocol.md;
//! on runtime + management the chat targets ([`RUNTIME_CHAT`]) and the management targets of
//! [`crate::management`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Extension, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;

use crate::config::ErrorTypeSuffix;
use crate::errors::{ERROR_TYPE, QError, SIM_RULE};
use crate::host::{HostMode, Listener};
use crate::log::{LogEntry, LogMeta};
use crate::render::Dialect;
use crate::server::ConnInfo;
use crate::state::Shared;
use crate::{account_api, chat, control, kiro_auth, management, oidc};

/// Chat targets the runtime host accepts on `POST /` (§1: kiro-cli and Kiro IDE).
pub const RUNTIME_CHAT: [&str; 2] = [
    "AmazonCodeWhispererStreamingService.GenerateAssistantResponse",
    "KiroRuntimeService.GenerateAssistantResponse",
];

const MAX_BODY: usize = 256 * 1024 * 1024;
const TYPE_SUFFIX: &str = ":http://internal.amazon.com/coral/com.amazon.aws.codewhisperer/";

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", post(q_root))
        .route("/generateAssistantResponse", post(chat_kiro))
        .route("/ListAvailableModels", get(models_get))
        .route("/getUsageLimits", get(usage_get))
        .route("/mcp", post(crate::mcp::handle))
        .route("/client/register", post(oidc::register))
        .route("/device_authorization", post(oidc::device_authorization))
        .route("/token", post(oidc::token))
        .route("/device", get(oidc::device_page))
        .route("/refreshToken", post(kiro_auth::refresh))
        .route("/oauth/token", post(kiro_auth::exchange))
        .route("/login", get(kiro_auth::login))
        .nest("/__sim", control::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), layer))
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [("content-type", "application/json")],
        r#"{"message":"Not Found"}"#,
    )
        .into_response()
}

fn unknown_target(target: &str, dialect: Dialect) -> Response {
    let msg = format!("Unknown operation {target}");
    let r = QError::new(400, "UnknownOperationException", &msg, None)
        .rule("target")
        .into_response(dialect);
    LogMeta::new("unknown").attach(r)
}

async fn q_root(
    State(s): State<Arc<Shared>>,
    ConnectInfo(ci): ConnectInfo<ConnInfo>,
    Extension(mode): Extension<HostMode>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if mode == HostMode::Runtime {
        if RUNTIME_CHAT.contains(&target) {
            return chat::chat(&s, &ci, &headers, &body, Dialect::Q, mode);
        }
        if crate::host::is_management_target(target) {
            let query = Query::<BTreeMap<String, String>>::try_from_uri(&uri)
                .map(|q| q.0)
                .unwrap_or_default();
            if let Some(r) = management::dispatch(&s, &headers, &query, &body, target) {
                return r;
            }
        }
        return unknown_target(target, Dialect::Kiro);
    }
    let (service, op) = target.split_once('.').unwrap_or((target, ""));
    match (service, op) {
        ("AmazonCodeWhispererStreamingService", "GenerateAssistantResponse") => {
            chat::chat(&s, &ci, &headers, &body, Dialect::Q, mode)
        }
        ("AmazonCodeWhispererService", "ListAvailableModels") => {
            account_api::models_q(&s, &headers, &body)
        }
        ("AmazonCodeWhispererService", "GetUsageLimits") => account_api::usage_q(&s, &headers),
        ("AmazonCodeWhispererService", "ListAvailableProfiles") => {
            account_api::profiles_q(&s, &headers, &body)
        }
        ("AmazonCodeWhispererService", "GetProfile") => {
            account_api::profile_get(&s, &headers, &body, Dialect::Q)
        }
        _ => unknown_target(target, Dialect::Q),
    }
}

async fn chat_kiro(
    State(s): State<Arc<Shared>>,
    ConnectInfo(ci): ConnectInfo<ConnInfo>,
    Extension(mode): Extension<HostMode>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    chat::chat(&s, &ci, &headers, &body, Dialect::Kiro, mode)
}

/// `GET /ListAvailableModels`: the legacy Kiro route; gone from the runtime host (§1).
async fn models_get(
    State(s): State<Arc<Shared>>,
    Extension(mode): Extension<HostMode>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if mode == HostMode::Runtime && s.reg().rules.on("unknown-operation") {
        return management::unknown_operation();
    }
    account_api::models_get(&s, &headers, &query)
}

/// `GET /getUsageLimits`: the legacy Kiro route; gone from the runtime host (§1).
async fn usage_get(
    State(s): State<Arc<Shared>>,
    Extension(mode): Extension<HostMode>,
    headers: HeaderMap,
) -> Response {
    if mode == HostMode::Runtime && s.reg().rules.on("unknown-operation") {
        return management::unknown_operation();
    }
    account_api::usage_get(&s, &headers)
}

fn header_pairs(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Logs the request, stamps request id / error-type suffix, guards `/__sim/`.
async fn layer(
    State(s): State<Arc<Shared>>,
    ConnectInfo(ci): ConnectInfo<ConnInfo>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    if path == "/__sim" || path.starts_with("/__sim/") {
        if !control_allowed(ci.remote, s.reg().config.control_non_loopback) {
            return not_found().await;
        }
        return with_request_id(&s, next.run(req).await);
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
    };
    let (log_bodies, main_mode) = {
        let reg = s.reg();
        (reg.config.log_bodies, reg.config.host_mode)
    };
    let at_ms = s.clock.now_ms();
    let mode = match ci.listener {
        Listener::Main => main_mode,
        Listener::Legacy => HostMode::LegacyQ,
    };
    parts.extensions.insert(mode);
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let host = crate::host::role(mode, &path, target).as_str().to_owned();
    let mut entry = LogEntry {
        seq: 0,
        at_ms,
        method: parts.method.to_string(),
        path,
        query: parts.uri.query().map(str::to_owned),
        headers: header_pairs(&parts.headers),
        body: log_bodies.then(|| String::from_utf8_lossy(&bytes).into_owned()),
        json: if log_bodies {
            serde_json::from_slice(&bytes).ok()
        } else {
            None
        },
        host,
        decision: LogMeta::default(),
        status: 0,
        rule: None,
        cancelled: false,
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let resp = with_request_id(&s, resp);
    entry.status = resp.status().as_u16();
    entry.rule = resp
        .headers()
        .get(SIM_RULE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    entry.decision = resp
        .extensions()
        .get::<LogMeta>()
        .cloned()
        .unwrap_or_else(|| LogMeta::new("other"));
    let mut reg = s.reg();
    reg.log_seq += 1;
    entry.seq = reg.log_seq;
    let limit = reg.config.log_limit.max(1);
    while reg.log.len() >= limit {
        reg.log.pop_front();
    }
    let seq = entry.seq;
    let streamed = entry.decision.operation == "chat" && entry.status == 200;
    reg.log.push_back(entry);
    drop(reg);
    if streamed {
        crate::log::track_cancel(Arc::clone(&s), seq, resp)
    } else {
        resp
    }
}

fn with_request_id(s: &Shared, mut resp: Response) -> Response {
    let rid = s.ids.uuid();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&rid) {
        h.insert("x-amzn-requestid", v);
    }
    if let Some(t) = h
        .get(ERROR_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    {
        let n = s.errors_sent.fetch_add(1, Ordering::Relaxed);
        let suffix = match s.reg().config.chat.error_type_suffix {
            ErrorTypeSuffix::Never => false,
            ErrorTypeSuffix::Always => true,
            ErrorTypeSuffix::Alternate => n % 2 == 1,
        };
        if suffix && let Ok(v) = HeaderValue::from_str(&format!("{t}{TYPE_SUFFIX}")) {
            h.insert(ERROR_TYPE, v);
        }
    }
    resp
}

/// The control API can mint tokens and approve logins: loopback peers only, unless configured.
pub(crate) fn control_allowed(peer: std::net::SocketAddr, non_loopback_configured: bool) -> bool {
    peer.ip().is_loopback() || non_loopback_configured
}

#[cfg(test)]
mod tests {
    use super::control_allowed;

    #[test]
    fn control_api_is_loopback_only_by_default() {
        let v4: std::net::SocketAddr = "127.0.0.1:5".parse().unwrap();
        let v6: std::net::SocketAddr = "[::1]:5".parse().unwrap();
        let lan: std::net::SocketAddr = "192.168.1.20:5".parse().unwrap();
        assert!(control_allowed(v4, false));
        assert!(control_allowed(v6, false));
        assert!(!control_allowed(lan, false));
        assert!(control_allowed(lan, true));
    }
}
