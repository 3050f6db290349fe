//! Same-family model fallback (protocol spec §6.1–§6.3; `api::chat::fallback`): a name resolved to
//! an upstream id no account offers is served by the newest older model of its family, the answer
//! echoes the client's name, the request log records requested vs used, and an id that exists is
//! sent exactly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration test: a failed step must fail the test"
)]

mod support;

use serde_json::json;
use support::v1::Harness;

fn sent_model(e: &amazonq_sim::LogEntry) -> String {
    e.json.as_ref().unwrap()["conversationState"]["currentMessage"]["userInputMessage"]["modelId"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn claude_code_default_model_falls_back_within_its_family() {
    let h = Harness::start().await;
    // Claude Code 2.1.332's default name → claude-opus-4.8, which the simulator's accounts lack
    // (its default list ends at claude-opus-4.6).
    let b = json!({"model": "claude-opus-5-5", "max_tokens": 64,
                   "messages": [{"role": "user", "content": "#say default model ok"}]});
    let (status, _, body) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "claude-opus-5-5", "echoes the client's name");
    assert_eq!(body["content"][0]["text"], "default model ok");
    let chats = h.upstream_chats();
    let sent: Vec<(String, u16)> = chats.iter().map(|e| (sent_model(e), e.status)).collect();
    assert_eq!(
        sent,
        [
            ("claude-opus-4.8".to_owned(), 400),
            ("claude-opus-4.7".to_owned(), 400),
            ("claude-opus-4.6".to_owned(), 200),
        ]
    );

    // The refusals are remembered: the next request goes straight to claude-opus-4.6.
    let b = json!({"model": "claude-opus-4-8", "max_tokens": 64, "stream": true,
                   "messages": [{"role": "user", "content": "#say again"}]});
    let s = h.sse("/v1/messages", &b).await;
    assert_eq!(s.status, 200, "{}", s.raw);
    assert_eq!(s.anthropic_text(), "again");
    let chats = h.upstream_chats();
    assert_eq!(chats.len(), 4, "{chats:?}");
    assert_eq!(sent_model(&chats[3]), "claude-opus-4.6");

    let rows = h.logs(2).await;
    let first = rows
        .iter()
        .find(|r| r["model_requested"] == "claude-opus-5-5")
        .unwrap();
    assert_eq!(first["model_used"], "claude-opus-4.6", "{rows:?}");
    assert_eq!(first["status"], 200);
    h.stop().await;
}

#[tokio::test]
async fn a_model_that_exists_is_sent_exactly() {
    let h = Harness::start().await;
    for (name, upstream) in [
        ("claude-opus-4-5-20251101", "claude-opus-4.5"),
        ("claude-sonnet-4-6", "claude-sonnet-4.6"),
        ("claude-opus-4-6", "claude-opus-4.6"),
    ] {
        let b = json!({"model": name, "max_tokens": 32,
                       "messages": [{"role": "user", "content": "#say ok"}]});
        let (status, _, body) = h.json("/v1/chat/completions", &b).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["model"], name);
        let chats = h.upstream_chats();
        let last = chats.last().unwrap();
        assert_eq!((sent_model(last), last.status), (upstream.to_owned(), 200));
    }
    assert_eq!(h.upstream_chats().len(), 3, "one upstream call each");
    h.stop().await;
}

#[tokio::test]
async fn an_invalid_model_at_the_end_of_its_family_is_reported() {
    let h = Harness::start().await;
    // The simulator refuses the model of this request (`invalid-model` fault) for every attempt:
    // the gateway walks the family and reports the last refusal as a 400 about the model.
    for _ in 0..3 {
        h.sim.fault_next_chat(None, "invalid-model").unwrap();
    }
    let b = json!({"model": "claude-sonnet-4-6", "max_tokens": 32,
                   "messages": [{"role": "user", "content": "#say never"}]});
    let (status, _, body) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 400, "{body}");
    let sent: Vec<String> = h.upstream_chats().iter().map(sent_model).collect();
    assert_eq!(
        sent,
        ["claude-sonnet-4.6", "claude-sonnet-4.5", "claude-sonnet-4"]
    );
    h.stop().await;
}
