//! Model routing: same-family fallback (protocol spec §6.1–§6.3; `api::chat::fallback`): a name
//! resolved to an upstream id no account offers is served by the newest older model of its family,
//! the answer echoes the client's name, the request log records requested vs used, and an id that
//! exists is sent exactly. And the live catalog (issue 15, kiro-2026-endpoints.md §5): `/v1/models`
//! and routing follow the accounts' ListAvailableModels, non-Claude models are served under their
//! own ids, the pre-flight guard answers prompt-too-long from the catalog's `maxInputTokens`
//! without an upstream call, and native effort reaches the upstream body.

use crate::common::anthropic::prompt_too_long;
use crate::common::server::strings;
use crate::common::v1::Harness;
use amazonq_sim::SimConfig;
use amazonq_sim::config::ModelSpec;
use serde_json::{Value, json};

fn sent_model(e: &amazonq_sim::LogEntry) -> String {
    e.json.as_ref().unwrap()["conversationState"]["currentMessage"]["userInputMessage"]["modelId"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A `/v1/messages` turn to `model` asking it to say `text`: answered 200 with that text. The
/// answer's body.
async fn says(h: &Harness, model: &str, text: &str) -> Value {
    let b = json!({"model": model, "max_tokens": 32,
                   "messages": [{"role": "user", "content": format!("#say {text}")}]});
    let (status, _, body) = h.json("/v1/messages", &b).await;
    assert_eq!(
        (status, &body["content"][0]["text"]),
        (200, &json!(text)),
        "{body}"
    );
    body
}

#[tokio::test]
async fn claude_code_default_model_falls_back_within_its_family() {
    // No quota job, so no live catalog: the gateway learns from the upstream's refusals.
    let h = Harness::with_sim(opus_up_to_4_6(), &["a1"], "pool:\n  quota_refresh_ms: 0\n").await;
    // Claude Code's default name → claude-opus-5.5, which the simulator's accounts lack (their
    // newest Opus is claude-opus-4.6).
    let b = json!({"model": "claude-opus-5-5", "max_tokens": 64,
                   "messages": [{"role": "user", "content": "#say default model ok"}]});
    let body = h.answered("/v1/messages", &b).await;
    assert_eq!(body["model"], "claude-opus-5-5", "echoes the client's name");
    assert_eq!(body["content"][0]["text"], "default model ok");
    let chats = h.upstream_chats();
    let sent: Vec<(String, u16)> = chats.iter().map(|e| (sent_model(e), e.status)).collect();
    assert_eq!(
        sent,
        [
            ("claude-opus-5.5".to_owned(), 400),
            ("claude-opus-5".to_owned(), 400),
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
    assert_eq!(chats.len(), 6, "{chats:?}");
    assert_eq!(sent_model(&chats[5]), "claude-opus-4.6");

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
        let body = h.answered("/v1/chat/completions", &b).await;
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

#[tokio::test]
async fn with_the_live_catalog_the_first_offered_model_is_sent_at_once() {
    let h = Harness::with_sim(opus_up_to_4_6(), &["a1"], "").await;
    let list = h.wait_catalog().await;
    let ids = strings(&list["data"], "id");
    assert!(
        ids.contains(&"claude-opus-4-6") && ids.contains(&"auto"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"claude-opus-5-5"),
        "not offered by any account: {ids:?}"
    );
    let b = json!({"model": "claude-opus-5-5", "max_tokens": 64,
                   "messages": [{"role": "user", "content": "#say straight"}]});
    h.answered("/v1/messages", &b).await;
    let sent: Vec<String> = h.upstream_chats().iter().map(sent_model).collect();
    assert_eq!(sent, ["claude-opus-4.6"], "no refused round trips");
    h.stop().await;
}

/// A simulator catalog whose newest Opus is 4.6 (plus Sonnet 4.5 and `auto`).
fn opus_up_to_4_6() -> SimConfig {
    SimConfig {
        models: vec![
            spec("claude-opus-4.6", "Claude Opus 4.6", 1_000_000),
            spec("claude-opus-4.5", "Claude Opus 4.5", 200_000),
            spec("claude-sonnet-4.5", "Claude Sonnet 4.5", 200_000),
            spec("auto", "Auto", 200_000),
        ],
        default_model: "claude-sonnet-4.5".into(),
        ..SimConfig::default()
    }
}

fn spec(id: &str, name: &str, window: u64) -> ModelSpec {
    ModelSpec {
        model_id: id.into(),
        model_name: Some(name.into()),
        max_input_tokens: window,
        ..ModelSpec::default()
    }
}

/// A simulator whose catalog is Sonnet 4.5 with a 1 000-token window and two non-Claude models.
async fn small_catalog() -> Harness {
    let sim = SimConfig {
        models: vec![
            spec("claude-sonnet-4.5", "Claude Sonnet 4.5", 1_000),
            spec("deepseek-3.2", "DeepSeek 3.2", 128_000),
            spec("glm-5", "GLM 5", 200_000),
        ],
        default_model: "claude-sonnet-4.5".into(),
        ..SimConfig::default()
    };
    let h = Harness::with_sim(sim, &["a1"], "").await;
    h.wait_catalog().await;
    h
}

#[tokio::test]
async fn models_list_follows_the_catalog_and_non_claude_models_are_served() {
    let h = small_catalog().await;
    let list = h.wait_catalog().await;
    let data = list["data"].as_array().unwrap();
    let ids: Vec<&str> = data.iter().filter_map(|m| m["id"].as_str()).collect();
    for id in [
        "claude-sonnet-4.5",
        "claude-sonnet-3.5",
        "claude-sonnet-4-5",
        "deepseek-3.2",
        "glm-5",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(!ids.iter().any(|i| i.contains("opus")), "{ids:?}");
    let deepseek = data.iter().find(|m| m["id"] == "deepseek-3.2").unwrap();
    assert_eq!(
        (
            &deepseek["owned_by"],
            &deepseek["display_name"],
            &deepseek["type"]
        ),
        (&json!("deepseek"), &json!("DeepSeek 3.2"), &json!("model"))
    );
    // Retrieve works for catalog ids, with the Anthropic SDK's header too.
    let r = h.anthropic_get("/v1/models/glm-5").await;
    assert_eq!(r.status(), 200);
    // Served under its own id in both dialects.
    let body = says(&h, "deepseek-3.2", "from deepseek").await;
    assert_eq!(body["model"], "deepseek-3.2");
    let b = json!({"model": "GLM-5", "messages": [{"role": "user", "content": "#say from glm"}]});
    let body = h.answered("/v1/chat/completions", &b).await;
    assert_eq!(body["choices"][0]["message"]["content"], "from glm");
    let sent: Vec<String> = h.upstream_chats().iter().map(sent_model).collect();
    assert_eq!(sent, ["deepseek-3.2", "glm-5"]);
    h.stop().await;
}

#[tokio::test]
async fn prompts_over_the_catalog_limit_are_refused_before_any_upstream_call() {
    let h = small_catalog().await;
    let long = format!("#say never\n{}", "lorem ipsum dolor sit amet ".repeat(300));
    // Anthropic: the text Claude Code parses to compact.
    let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 32, "stream": true,
                   "messages": [{"role": "user", "content": long}]});
    let (status, _, v) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 400, "{v}");
    let (tokens, limit) = prompt_too_long(&v);
    assert_eq!(limit, 1000, "{v}");
    assert!(tokens > 1_000, "{v}");
    // OpenAI: `context_length_exceeded`.
    let b = json!({"model": "claude-sonnet-4.5", "messages": [{"role": "user", "content": long}]});
    let (status, _, v) = h.json("/v1/chat/completions", &b).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "context_length_exceeded");
    assert_eq!(v["error"]["param"], "messages");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("This model's maximum context length is 1000 tokens."),
        "{v}"
    );
    assert!(h.upstream_chats().is_empty(), "no upstream chat call");
    // A prompt within the limit still goes through.
    says(&h, "claude-sonnet-4-5", "fits").await;
    assert_eq!(h.upstream_chats().len(), 1);
    h.stop().await;
}

/// Needs the issue-15 simulator (sim15): its catalog gives Claude 4.6+ the native effort schema
/// and it answers `additionalModelRequestFields` with a `reasoningContentEvent` "effort=<E>".
#[tokio::test]
async fn native_effort_reaches_the_upstream_and_comes_back_as_thinking() {
    let h = Harness::start().await;
    h.wait_catalog().await;
    // Anthropic adaptive thinking with an effort the schema allows.
    let b = json!({"model": "claude-opus-4-6", "max_tokens": 256, "stream": true,
                   "thinking": {"type": "adaptive"}, "output_config": {"effort": "xhigh"},
                   "messages": [{"role": "user", "content": "#say native"}]});
    let s = h.sse("/v1/messages", &b).await;
    assert_eq!(s.status, 200, "{}", s.raw);
    assert!(s.raw.contains("\"thinking_delta\""), "{}", s.raw);
    assert!(s.raw.contains("effort=xhigh"), "{}", s.raw);
    let chats = h.upstream_chats();
    let sent = chats.last().unwrap().json.clone().unwrap();
    assert_eq!(
        sent["additionalModelRequestFields"],
        json!({"output_config": {"effort": "xhigh"}, "thinking": {"type": "adaptive"}})
    );
    let system = sent["conversationState"].to_string();
    assert!(
        !system.contains("<thinking_mode>"),
        "no prompt emulation: {system}"
    );
    // OpenAI reasoning_effort → the same fields, reasoning_content back.
    let b = json!({"model": "claude-opus-4-6", "reasoning_effort": "low",
                   "messages": [{"role": "user", "content": "#say native"}]});
    let v = h.answered("/v1/chat/completions", &b).await;
    let reasoning: &Value = &v["choices"][0]["message"]["reasoning_content"];
    assert_eq!(reasoning, "effort=low", "{v}");
    let sent = h.upstream_chats().last().unwrap().json.clone().unwrap();
    assert_eq!(
        sent["additionalModelRequestFields"]["output_config"]["effort"],
        "low"
    );
    // A model without a schema keeps the prompt emulation and sends no native fields.
    let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 256,
                   "thinking": {"type": "enabled", "budget_tokens": 2048},
                   "messages": [{"role": "user", "content": "#say emulated"}]});
    h.answered("/v1/messages", &b).await;
    let sent = h.upstream_chats().last().unwrap().json.clone().unwrap();
    assert!(sent.get("additionalModelRequestFields").is_none(), "{sent}");
    assert!(
        sent.to_string().contains("<thinking_mode>enabled"),
        "{sent}"
    );
    h.stop().await;
}
