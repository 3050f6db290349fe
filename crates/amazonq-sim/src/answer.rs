//! The 200 answer of a chat request (amazon-q-protocol.md §5.2–§5.6): a script rendered to
//! event-stream frames ([`crate::render`]), paced and faulted ([`crate::plan`]), or the benchmark
//! body.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use crate::faults::Fault;
use crate::plan::{self, bench_body};
use crate::render::{self, Dialect, RenderCtx};
use crate::script::Script;
use crate::server::ConnInfo;
use crate::state::Shared;

pub const EVENTSTREAM: &str = "application/vnd.amazon.eventstream";

#[expect(
    clippy::too_many_arguments,
    reason = "the per-request inputs of one answer; a struct would only rename them"
)]
pub(crate) fn respond(
    s: &Arc<Shared>,
    ci: &ConnInfo,
    json: &Value,
    script: &Script,
    faults: &[Fault],
    dialect: Dialect,
    prompt_tokens: u64,
    window: u64,
) -> Response {
    let pacing = {
        let base = s.reg().config.pacing;
        crate::config::Pacing {
            first_frame_ms: script.pace.first_frame_ms.unwrap_or(base.first_frame_ms),
            interval_ms: script.pace.interval_ms.unwrap_or(base.interval_ms),
            chunk_chars: script.pace.chunk_chars.unwrap_or(base.chunk_chars).max(1),
        }
    };
    let body = if let Some(b) = script.bench {
        let frame = crate::frames::event(
            "assistantResponseEvent",
            serde_json::json!({ "content": "x".repeat(b.bytes) })
                .to_string()
                .as_bytes(),
            false,
        );
        Body::from_stream(bench_body(
            frame,
            b.frames,
            Duration::from_millis(b.interval_ms),
            Duration::from_millis(pacing.first_frame_ms),
            &s.counters,
        ))
    } else {
        let (initial_q, initial_k, usage_events) = {
            let c = &s.reg().config.chat;
            (
                c.initial_response_q,
                c.initial_response_k,
                c.kiro_usage_events,
            )
        };
        let ctx = RenderCtx {
            dialect,
            conversation_id: json
                .pointer("/conversationState/conversationId")
                .and_then(Value::as_str)
                .map_or_else(|| s.ids.uuid(), str::to_owned),
            utterance_id: s.ids.uuid(),
            initial_response: if dialect == Dialect::Q {
                initial_q
            } else {
                initial_k
            },
            usage_events,
            chunk_chars: pacing.chunk_chars,
            prompt_tokens,
            window,
            tool_id_seed: s.ids.next_u64() & 0xFFFF_FFFF,
        };
        let evs = render::render(script, &ctx, faults);
        Body::from_stream(plan::body(
            plan::plan(evs, pacing, faults),
            ci.ctl.clone(),
            s.counters.clone(),
        ))
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(EVENTSTREAM));
    resp
}
