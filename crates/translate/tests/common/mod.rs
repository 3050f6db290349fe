//! Helpers shared by the integration tests: running the whole pipeline and comparing with
//! expected files under `tests/snapshots/` (set `UPDATE_SNAPSHOTS=1` to rewrite them; a missing file
//! is a failure otherwise, so a test can never pass by creating its own expectation).

#![allow(dead_code, reason = "each module uses a subset")]

use std::path::PathBuf;

use amazonq::events::StreamEvent;
use translate::collect::Collector;
use translate::ir::{ChatRequest, OutEvent};
use translate::models::ModelTable;
use translate::normalize::{self, Normalized, UpstreamOptions};
use translate::stream::{StreamConfig, StreamMachine};
use translate::tokens;

pub const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

pub fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name)
}

/// Compares `actual` with the file `name`, byte for byte.
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = snapshot_path(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "missing snapshot {} ({e}); run with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "snapshot {name} differs.\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

pub fn opts() -> UpstreamOptions {
    UpstreamOptions {
        conversation_id: "00000000-0000-4000-8000-000000000001".into(),
        ..UpstreamOptions::default()
    }
}

pub fn normalize(req: &ChatRequest) -> Normalized {
    let model = ModelTable::default().resolve(&req.model).unwrap();
    normalize::normalize(req, &model, &opts()).unwrap()
}

/// Runs the state machine over `events` (then a clean end) for `req`.
pub fn out_events(req: &ChatRequest, events: &[StreamEvent]) -> Vec<OutEvent> {
    let norm = normalize(req);
    let mut m = StreamMachine::new(StreamConfig::for_request(
        req,
        &norm,
        tokens::count_request(req),
    ));
    let mut out = Vec::new();
    for e in events {
        out.extend(m.push(e));
        if m.is_finished() {
            break;
        }
    }
    out.extend(m.finish());
    out
}

pub fn collect(events: &[OutEvent]) -> translate::collect::Collected {
    let mut c = Collector::default();
    c.extend(events.iter().cloned());
    c.finish().unwrap()
}

pub fn text(s: &str) -> StreamEvent {
    StreamEvent::AssistantResponse {
        content: s.to_owned(),
    }
}

/// The `type` of each object in the JSON list `items`.
pub fn kinds(items: &serde_json::Value) -> Vec<&str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect()
}

/// An upstream exception frame (`exception_type: "error"`) with `message`.
pub fn exception(message: &str) -> StreamEvent {
    StreamEvent::Exception {
        exception_type: "error".into(),
        message: Some(message.into()),
        reason: None,
    }
}

pub fn tool(id: &str, name: &str, input: Option<&str>, stop: bool) -> StreamEvent {
    StreamEvent::ToolUse {
        tool_use_id: id.into(),
        name: name.into(),
        input: input.map(str::to_owned),
        stop,
    }
}

/// The `data` of every `event: NAME` / `data: JSON` frame of an SSE wire, checking that `NAME`
/// equals `data.type` (the rule of the Anthropic and Responses streams).
pub fn named_events(wire: &str) -> Vec<serde_json::Value> {
    let mut events = Vec::new();
    for frame in wire.split("\n\n").filter(|f| !f.is_empty()) {
        let (ev, data) = frame.split_once('\n').unwrap();
        let name = ev.strip_prefix("event: ").unwrap();
        let data: serde_json::Value =
            serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(data["type"], name, "event line must equal data.type");
        events.push(data);
    }
    events
}

/// A transparent, deterministic seal for the Responses tests (the gateway's is the AEAD with its
/// key).
pub struct TestSeal;

impl translate::responses::Seal for TestSeal {
    fn seal(&self, plain: &str) -> Option<String> {
        Some(format!("test-seal:{plain}"))
    }
    fn open(&self, sealed: &str) -> Option<String> {
        sealed.strip_prefix("test-seal:").map(str::to_owned)
    }
}

/// [`TestSeal`] as the encoders take it.
pub fn seal() -> std::sync::Arc<dyn translate::responses::Seal> {
    std::sync::Arc::new(TestSeal)
}
