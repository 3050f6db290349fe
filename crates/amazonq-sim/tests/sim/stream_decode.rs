//! Response streams decoded by an independent decoder (`aws-smithy-eventstream`): scripted events,
//! every fragmentation pattern, exotic headers, and the frame-level faults of §8.5.

use crate::common;
use crate::common::{
    CORRUPT_FRAMING, account, body, bytes_of, chat_k, chat_q, client, decode, event_type, header,
    payload, q_events, start_with_account, text_of,
};
use amazonq_sim::SimConfig;
use aws_smithy_types::event_stream::Message;
use serde_json::{Value, json};

#[tokio::test]
async fn echo_mode_summarises_the_request() {
    let (sim, t) = start_with_account().await;
    let c = client();
    let mut b = body("what is this?");
    b["conversationState"]["history"] = json!([{"userInputMessage": {"content": "a"}}, {"assistantResponseMessage": {"content": "b"}}]);
    b["conversationState"]["currentMessage"]["userInputMessage"]["userInputMessageContext"] = json!({"tools": [{"toolSpecification": {"name": "fs_read", "description": "d", "inputSchema": {"json": {}}}}]});
    let msgs = decode(
        &bytes_of(chat_q(&c, &sim, &t.access_token, &b).await).await,
        4096,
    )
    .unwrap();
    assert_eq!(event_type(&msgs[0]), "initial-response");
    assert_eq!(payload(&msgs[0])["conversationId"], "conv-1");
    assert_eq!(
        text_of(&msgs),
        "echo: model=claude-sonnet-4.5 turns=3 tools=fs_read"
    );
    // Kiro: no initial-response; metering + context usage at the end; modelId optional → default.
    let mut nb = body("x");
    nb["conversationState"]["currentMessage"]["userInputMessage"]
        .as_object_mut()
        .unwrap()
        .remove("modelId");
    let msgs = decode(
        &bytes_of(chat_k(&c, &sim, &t.access_token, &nb).await).await,
        4096,
    )
    .unwrap();
    assert_eq!(event_type(&msgs[0]), "assistantResponseEvent");
    let types: Vec<String> = msgs.iter().map(event_type).collect();
    assert_eq!(
        types[types.len() - 2..],
        ["meteringEvent".to_owned(), "contextUsageEvent".to_owned()]
    );
    assert!(text_of(&msgs).contains("model=claude-sonnet-4.5 turns=1 tools=-"));
}

#[tokio::test]
async fn directives_drive_text_tools_thinking_and_events() {
    let (sim, t) = start_with_account().await;
    let c = client();
    let script = "do it\n#thinking-split weigh options\n#split word\n#text 5\n#tool id=T1 fragments=4 stop-last fs_read {\"path\": \"a.txt\"}\n#context 42.5\n#metadata 10 20\n#followup more?\n#unknown futureEvent {\"x\":1}\n#reasoning deep";
    let msgs = q_events(&c, &sim, &t.access_token, script).await;
    assert_eq!(
        text_of(&msgs),
        "<thinking>\nweigh options\n</thinking>\n\nalpha beta gamma delta epsilon"
    );
    let tool: Vec<Value> = msgs
        .iter()
        .filter(|m| event_type(m) == "toolUseEvent")
        .map(payload)
        .collect();
    assert_eq!(tool.len(), 5, "start + 3 fragments + stop carrying the 4th");
    assert!(tool[0].get("input").is_none());
    let input: String = tool.iter().filter_map(|p| p["input"].as_str()).collect();
    assert_eq!(
        serde_json::from_str::<Value>(&input).unwrap(),
        json!({"path": "a.txt"})
    );
    assert_eq!(tool[4]["stop"], true);
    let types: Vec<String> = msgs.iter().map(event_type).collect();
    for t in [
        "contextUsageEvent",
        "metadataEvent",
        "followupPromptEvent",
        "futureEvent",
        "reasoningContentEvent",
    ] {
        assert!(types.contains(&t.to_owned()), "{t} in {types:?}");
    }
    // Every frame carries the three standard headers.
    for m in &msgs {
        assert_eq!(header(m, ":message-type"), Some("event"));
        assert_eq!(header(m, ":content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn every_fragmentation_pattern_decodes_identically() {
    let (sim, t) = start_with_account().await;
    let c = client();
    let script = "#text 30\n#tool id=W1 fragments=3 write {\"a\": [1, 2, 3], \"é\": \"日本\"}";
    let reference = decode(
        &bytes_of(chat_q(&c, &sim, &t.access_token, &body(script)).await).await,
        1 << 20,
    )
    .unwrap();
    for fault in [
        "fragment:1",
        "fragment:3",
        "fragment-random:7:9",
        "coalesce",
        "exotic-headers",
    ] {
        let wire = bytes_of(
            chat_q(
                &c,
                &sim,
                &t.access_token,
                &body(&format!("{script}\n#fault {fault}")),
            )
            .await,
        )
        .await;
        for chunk in [1, 2, 5, 13, 4096] {
            let msgs = decode(&wire, chunk).unwrap();
            assert_eq!(msgs.len(), reference.len(), "{fault} / {chunk}");
            for (a, b) in msgs.iter().zip(&reference) {
                assert_eq!(a.payload(), b.payload());
                assert_eq!(event_type(a), event_type(b));
            }
        }
    }
    // Exotic headers are really there, with every non-string type.
    let wire =
        bytes_of(chat_q(&c, &sim, &t.access_token, &body("#fault exotic-headers")).await).await;
    let msgs = decode(&wire, 64).unwrap();
    assert!(msgs[0].headers().len() >= 12);
}

#[tokio::test]
async fn frame_faults_are_what_the_decoder_sees() {
    let (sim, t) = start_with_account().await;
    let c = client();
    let get = |f: &'static str| {
        let c = c.clone();
        let url = sim.legacy_q_url();
        let tok = t.access_token.clone();
        async move {
            c.post(format!("{url}/"))
                .header("content-type", "application/x-amz-json-1.0")
                .header("x-amz-target", common::Q_TARGET)
                .header("authorization", format!("Bearer {tok}"))
                .header("x-sim-fault", f)
                .body(body("#text 12").to_string())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{f}: {e:?}"))
        }
    };
    for f in CORRUPT_FRAMING {
        let wire = bytes_of(get(f).await).await;
        assert!(decode(&wire, 4096).is_err(), "{f} must fail to decode");
    }
    let wire = bytes_of(get("truncated-frame").await).await;
    assert!(
        decode(&wire, 4096).unwrap_err().contains("trailing"),
        "half a frame then clean EOF"
    );
    assert!(bytes_of(get("empty-200").await).await.is_empty());
    let msgs = decode(&bytes_of(get("exception:2").await).await, 4096).unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(header(&msgs[2], ":message-type"), Some("exception"));
    assert_eq!(header(&msgs[2], ":exception-type"), Some("error"));
    let msgs = decode(
        &bytes_of(get("content-length-exceeded:1").await).await,
        4096,
    )
    .unwrap();
    assert_eq!(
        header(&msgs[1], ":exception-type"),
        Some("ContentLengthExceededException")
    );
    let msgs = decode(&bytes_of(get("error-frame:1").await).await, 4096).unwrap();
    assert_eq!(header(&msgs[1], ":message-type"), Some("error"));
    assert_eq!(header(&msgs[1], ":error-code"), Some("InternalFailure"));
    let msgs = decode(&bytes_of(get("duplicate-text").await).await, 4096).unwrap();
    assert_eq!(msgs[1].payload(), msgs[2].payload());
    let msgs = decode(&bytes_of(get("huge-frame:2000000").await).await, 65536).unwrap();
    assert!(msgs.iter().any(|m| m.payload().len() > 2_000_000));
    let msgs = decode(&bytes_of(get("unknown-events").await).await, 4096).unwrap();
    assert!(msgs.iter().any(|m| event_type(m) == "simFutureEvent"));
    assert!(payload(&msgs[2]).get("simUnknownKey").is_some());
    // Tool-shape faults.
    let msgs = decode(&bytes_of(get("truncated-tool-json").await).await, 4096).unwrap();
    let input = tool_input(&msgs);
    assert!(serde_json::from_str::<Value>(&input).is_err());
    let msgs = decode(&bytes_of(get("non-object-tool-input:[]").await).await, 4096).unwrap();
    let input = tool_input(&msgs);
    assert_eq!(input, "[]");
    let msgs = decode(&bytes_of(get("duplicate-tool").await).await, 4096).unwrap();
    assert_eq!(
        msgs.iter()
            .filter(|m| event_type(m) == "toolUseEvent" && payload(m)["stop"] == true)
            .count(),
        2
    );
    // Connection drops: the body errors (FIN after frames, RST, mid-frame).
    for f in [
        "drop:2",
        "drop-rst:2",
        "drop-bytes:150",
        "drop-bytes-rst:150",
    ] {
        let r = get(f).await;
        assert_eq!(r.status(), 200);
        assert!(r.bytes().await.is_err(), "{f} must break the body");
    }
    // Slow stream: delay before the first byte.
    let started = std::time::Instant::now();
    let _ = bytes_of(get("delay-first:300").await).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(
        sim.all_requests()
            .iter()
            .filter(|e| e.decision.faults.iter().any(|f| f.starts_with("drop")))
            .count(),
        4
    );
}

#[tokio::test]
async fn bench_mode_and_pacing() {
    let mut cfg = SimConfig::default();
    cfg.pacing.chunk_chars = 5;
    let sim = amazonq_sim::Simulator::start(cfg).await.unwrap();
    let t = sim.add_account(&account("a1"));
    let c = client();
    let events = |text: &'static str| q_events(&c, &sim, &t.access_token, text);
    let started = std::time::Instant::now();
    let msgs = events("#bench frames=20 interval=10 bytes=8").await;
    assert_eq!(msgs.len(), 20);
    assert!(started.elapsed() >= std::time::Duration::from_millis(190));
    assert_eq!(payload(&msgs[0])["content"], "xxxxxxxx");
    assert_eq!(sim.stats().streams.frames, 20);
    let msgs = events("#initial off\n#say 0123456789").await;
    assert_eq!(msgs.len(), 2, "configured chunk_chars = 5");
    let started = std::time::Instant::now();
    let msgs = events("#pace first=100 interval=50 chunk=2\n#say abcdef").await;
    assert_eq!(msgs.len(), 4);
    assert!(started.elapsed() >= std::time::Duration::from_millis(250));
}

/// The tool input the `toolUseEvent`s of an answer carry, concatenated.
fn tool_input(msgs: &[Message]) -> String {
    msgs.iter()
        .filter(|m| event_type(m) == "toolUseEvent")
        .filter_map(|m| payload(m)["input"].as_str().map(str::to_owned))
        .collect()
}
