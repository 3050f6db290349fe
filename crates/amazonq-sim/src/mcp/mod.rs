//! `POST /mcp`: Kiro's web search as JSON-RPC 2.0 (docs/upstream-mcp-web-search.md), on the
//! runtime listener and on the legacy `q.*` listener; and [`decide`], the simulated model's choice
//! to search.
//!
//! Pipeline: auth (rule `auth`, 403 as chat) and faults → content type (`application/json` or
//! `application/x-amz-json-1.0`, rule `content-type`) → JSON (else JSON-RPC -32700) → runtime
//! host only: profile (rule `mcp-profile`: the root `profileArn` or the `x-amzn-kiro-profile-arn`
//! header, else 400 "profileArn is required for this request."; then `profile-region` /
//! `profile-access` as chat) → envelope (`jsonrpc: "2.0"` and a method, else -32600) → method:
//!
//! | method | answer |
//! |---|---|
//! | `initialize` | `{protocolVersion, capabilities: {tools: {}}, serverInfo}` |
//! | `notifications/*` (no `id`) | HTTP 202, no body |
//! | `ping` | `{}` |
//! | `tools/list` | `{tools: [web_search]}` ([`results::tool_spec`]) |
//! | `tools/call` `web_search` | `{content: [{type: "text", text: "<payload JSON>"}], isError: false}` ([`results`]) |
//! | other | -32601 "Method not found: <m>" |
//!
//! `tools/call` errors: an unknown tool, a missing / empty query, a query over 200 characters
//! (rule `mcp-query-length`) → -32602. Faults (queued with `"operation": "mcp"`): every HTTP row
//! answers right after authentication as chat's do; the `mcp-*` faults
//! ([`crate::faults::McpFault`]) shape the `tools/call` answer. Every call is logged with operation
//! `mcp`, its `mcp_method` and, for searches, its `search_query`.

pub mod decide;
pub mod results;

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::errors::QError;
use crate::faults::{Fault, McpFault};
use crate::gate::{Admitted, admit_logged, content_type};
use crate::host::HostMode;
use crate::log::LogMeta;
use crate::render::Dialect;
use crate::state::Shared;

/// The header some clients carry the profile ARN in.
pub const PROFILE_ARN_HEADER: &str = "x-amzn-kiro-profile-arn";
const PROTOCOL_VERSION: &str = "2025-06-18";

/// Handles one `POST /mcp`.
pub async fn handle(
    State(s): State<Arc<Shared>>,
    Extension(mode): Extension<HostMode>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut meta = LogMeta::new("mcp");
    let resp = run(&s, mode, &headers, &body, &mut meta)
        .unwrap_or_else(|e| e.into_response(Dialect::Kiro));
    meta.attach(resp)
}

fn content_type_ok(headers: &HeaderMap) -> bool {
    let ct = content_type(headers);
    ct.starts_with("application/json") || ct.starts_with("application/x-amz-json-1.0")
}

/// A JSON-RPC answer (always HTTP 200).
fn rpc(id: &Value, outcome: Result<Value, (i64, String)>) -> Response {
    let body = match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err((code, message)) => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
        }
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn run(
    s: &Arc<Shared>,
    mode: HostMode,
    headers: &HeaderMap,
    body: &[u8],
    meta: &mut LogMeta,
) -> Result<Response, QError> {
    let Admitted {
        account, faults, ..
    } = admit_logged(s, headers, "mcp", Dialect::Kiro, meta)?;
    let rules = s.reg().rules.clone();
    if rules.on("content-type") && !content_type_ok(headers) {
        return Err(
            QError::validation("Content-Type must be application/json", None).rule("content-type"),
        );
    }
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        meta.mcp_method = Some("invalid".to_owned());
        return Ok(rpc(&Value::Null, Err((-32700, "Parse error".to_owned()))));
    };
    if mode == HostMode::Runtime {
        check_profile(s, headers, &account, &json, rules.on("mcp-profile"))?;
    }
    let id = json.get("id").cloned();
    let method = json.get("method").and_then(Value::as_str);
    let (Some(method), Some("2.0")) = (method, json.get("jsonrpc").and_then(Value::as_str)) else {
        meta.mcp_method = Some("invalid".to_owned());
        let id = id.unwrap_or(Value::Null);
        return Ok(rpc(&id, Err((-32600, "Invalid Request".to_owned()))));
    };
    meta.mcp_method = Some(method.to_owned());
    let Some(id) = id else {
        // A notification (`notifications/initialized`, …): accepted, nothing to answer.
        return Ok(StatusCode::ACCEPTED.into_response());
    };
    let params = json.get("params").unwrap_or(&Value::Null);
    let outcome = match method {
        "initialize" => Ok(json!({
            "protocolVersion": params
                .get("protocolVersion")
                .and_then(Value::as_str)
                .unwrap_or(PROTOCOL_VERSION),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "amazonq-sim-mcp", "version": env!("CARGO_PKG_VERSION")},
        })),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": [results::tool_spec()]})),
        "tools/call" => call(params, &faults, rules.on("mcp-query-length"), meta),
        other => Err((-32601, format!("Method not found: {other}"))),
    };
    Ok(rpc(&id, outcome))
}

/// The runtime host's profile rule (`mcp-profile`), then the region / access rules of chat.
fn check_profile(
    s: &Shared,
    headers: &HeaderMap,
    account: &str,
    json: &Value,
    required: bool,
) -> Result<(), QError> {
    let arn = json
        .get("profileArn")
        .and_then(Value::as_str)
        .or_else(|| headers.get(PROFILE_ARN_HEADER)?.to_str().ok())
        .filter(|a| !a.trim().is_empty());
    match arn {
        Some(arn) => crate::management::authorize_profile(s, headers, account, arn).map(|_| ()),
        None if required => Err(QError::validation(
            "profileArn is required for this request.",
            None,
        )
        .rule("mcp-profile")),
        None => Ok(()),
    }
}

/// `tools/call`: the tool and its arguments, then the `mcp-*` faults, then the results.
fn call(
    params: &Value,
    faults: &[Fault],
    limit_length: bool,
    meta: &mut LogMeta,
) -> Result<Value, (i64, String)> {
    let name = params.get("name").and_then(Value::as_str).unwrap_or("");
    if name != results::TOOL_NAME {
        return Err((-32602, format!("Unknown tool: {name}")));
    }
    let Some(query) = params.pointer("/arguments/query").and_then(Value::as_str) else {
        return Err((
            -32602,
            "Invalid arguments: query must be a string".to_owned(),
        ));
    };
    meta.search_query = Some(query.to_owned());
    if query.trim().is_empty() {
        return Err((
            -32602,
            "Invalid arguments: query must not be empty".to_owned(),
        ));
    }
    if limit_length && query.chars().count() > results::MAX_QUERY_CHARS {
        return Err((
            -32602,
            format!(
                "Invalid arguments: query is longer than {} characters",
                results::MAX_QUERY_CHARS
            ),
        ));
    }
    let text_result = |text: String, is_error: bool| json!({"content": [{"type": "text", "text": text}], "isError": is_error});
    let fault = faults.iter().find_map(|f| match f {
        Fault::Mcp(m) => Some(*m),
        _ => None,
    });
    match fault {
        Some(McpFault::Error) => Err((-32603, "Internal error".to_owned())),
        Some(McpFault::Throttled) => Err((
            -32000,
            "Rate exceeded: too many web search requests, please wait before trying again."
                .to_owned(),
        )),
        Some(McpFault::NotEntitled) => Ok(text_result(
            "Web search is not available for this account.".to_owned(),
            true,
        )),
        Some(McpFault::Malformed) => Ok(text_result(
            "search backend answered something that is not JSON".to_owned(),
            false,
        )),
        Some(McpFault::NoResults) => {
            Ok(text_result(results::payload(query, &[]).to_string(), false))
        }
        None => Ok(text_result(
            results::payload(query, &results::search(query)).to_string(),
            false,
        )),
    }
}
