//! OpenAI Responses API (`POST /v1/responses`, issue 18) against the simulator, store-backed on
//! SQLite: answers stream and not, `previous_response_id` continues a stored answer (and only
//! that), reasoning round-trips through `encrypted_content` sealed with the gateway's key, a
//! function tool loop, errors in OpenAI's shape, and the request log.

use crate::common::openai::{MODEL, assert_error};
use crate::common::v1::Harness;
use serde_json::{Value, json};

fn body(input: &Value, stream: bool) -> Value {
    json!({"model": MODEL, "input": input, "stream": stream})
}

/// All text the upstream received in its last chat request (history and current message).
fn last_upstream_body(h: &Harness) -> String {
    h.upstream_chats().last().unwrap().body.clone().unwrap()
}

#[tokio::test]
async fn previous_response_id_continues_a_stored_answer() {
    let h = Harness::start().await;
    let (status, headers, first) = h
        .json(
            "/v1/responses",
            &body(
                &json!("Remember the word PELICAN.\n#say Noted: PELICAN."),
                false,
            ),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["object"], "response");
    assert_eq!(first["status"], "completed");
    assert!(first["id"].as_str().unwrap().starts_with("resp_"));
    assert!(headers.contains_key("x-claude-api-account"));
    let msg = &first["output"][0];
    assert_eq!(msg["type"], "message");
    assert!(msg["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(msg["content"][0]["text"], "Noted: PELICAN.");
    assert!(first["usage"]["input_tokens"].as_u64().unwrap() > 0);

    // The follow-up sends only the new input; the upstream gets the whole conversation.
    let mut next = body(&json!("Which word?\n#say PELICAN."), true);
    next["previous_response_id"] = first["id"].clone();
    let s = h.sse("/v1/responses", &next).await;
    let second = s.responses_completed();
    assert_eq!(second["previous_response_id"], first["id"]);
    let sent = last_upstream_body(&h);
    assert!(sent.contains("Remember the word PELICAN."), "{sent}");
    assert!(sent.contains("Noted: PELICAN."), "{sent}");

    // A chain: the third turn names the second and still sees the first.
    let mut third = body(&json!("And again?"), false);
    third["previous_response_id"] = second["id"].clone();
    h.answered("/v1/responses", &third).await;
    let sent = last_upstream_body(&h);
    assert!(
        sent.contains("Remember the word PELICAN.") && sent.contains("Which word?"),
        "{sent}"
    );

    // Unknown id → OpenAI's 400.
    let mut bad = body(&json!("x"), false);
    bad["previous_response_id"] = json!("resp_doesnotexist");
    let (status, _, v) = h.json("/v1/responses", &bad).await;
    assert_eq!(status, 400, "{v}");
    assert_error(
        &v,
        Some("invalid_request_error"),
        Some("previous_response_not_found"),
    );
    assert_eq!(v["error"]["param"], "previous_response_id");

    // `store: false` is not kept.
    let mut unstored = body(&json!("#say Gone."), false);
    unstored["store"] = json!(false);
    let (_, _, v) = h.json("/v1/responses", &unstored).await;
    assert_eq!(v["store"], false);
    let mut again = body(&json!("x"), false);
    again["previous_response_id"] = v["id"].clone();
    let (status, _, v) = h.json("/v1/responses", &again).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "previous_response_not_found");

    // Request log: the dialect and the tokens.
    let logs = h.logs(6).await;
    let ours: Vec<&Value> = logs
        .iter()
        .filter(|l| l["dialect"] == "responses")
        .collect();
    assert_eq!(ours.len(), 6, "{logs:?}");
    assert!(
        ours.iter()
            .any(|l| l["status"] == 400 && l["error_class"] == "previous_response_not_found")
    );
    assert!(
        ours.iter()
            .any(|l| l["status"] == 200 && l["output_tokens"].as_u64().unwrap() > 0)
    );
    h.stop().await;
}

#[tokio::test]
async fn reasoning_round_trips_through_encrypted_content() {
    let h = Harness::start().await;
    let mut b = body(
        &json!("#thinking Secret plan: go left.\n#say Go left."),
        true,
    );
    b["reasoning"] = json!({"effort": "low", "summary": "auto"});
    b["store"] = json!(false);
    b["include"] = json!(["reasoning.encrypted_content"]);
    let s = h.sse("/v1/responses", &b).await;
    let r = s.responses_completed();
    let reasoning = &r["output"][0];
    assert_eq!(reasoning["type"], "reasoning", "{r}");
    assert!(reasoning["id"].as_str().unwrap().starts_with("rs_"));
    assert!(
        reasoning["summary"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Secret plan")
    );
    let sealed = reasoning["encrypted_content"].as_str().unwrap();
    assert!(
        !sealed.contains("Secret plan"),
        "sealed, not plain: {sealed}"
    );
    assert!(!s.named("response.reasoning_summary_text.delta").is_empty());
    assert_eq!(
        r["output"][1]["content"][0]["text"]
            .as_str()
            .unwrap()
            .trim(),
        "Go left."
    );

    // Codex's way (store: false): send everything back, reasoning included. A sealed item opens;
    // a tampered one and a foreign one are left out; none fails the request.
    let mut tampered = reasoning.clone();
    let mut chars: Vec<char> = sealed.chars().collect();
    let at = chars.len() - 5;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    tampered["encrypted_content"] = json!(chars.into_iter().collect::<String>());
    let mut foreign = reasoning.clone();
    foreign["encrypted_content"] = json!("gAAAAABoM-from-openai");
    let input = json!([
        {"role": "user", "content": "#thinking Secret plan: go left.\n#say Go left."},
        reasoning, tampered, foreign,
        r["output"][1],
        {"role": "user", "content": [{"type": "input_text", "text": "#say Went left."}]}
    ]);
    let mut follow = body(&input, false);
    follow["store"] = json!(false);
    let v = h.answered("/v1/responses", &follow).await;
    assert_eq!(v["output"][0]["content"][0]["text"], "Went left.");
    // Earlier thinking never goes upstream, sealed or not.
    let sent = last_upstream_body(&h);
    assert_eq!(
        sent.matches("Secret plan").count(),
        1,
        "only the user's own line: {sent}"
    );
    h.stop().await;
}

#[tokio::test]
async fn function_tool_loop() {
    let h = Harness::start().await;
    let tools = json!([{"type": "function", "name": "get_weather", "description": "Weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]);
    let mut b = body(
        &json!("Weather?\n#tool get_weather {\"city\": \"Paris\"}"),
        true,
    );
    b["tools"] = tools.clone();
    let s = h.sse("/v1/responses", &b).await;
    let r = s.responses_completed();
    let call = r["output"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call")
        .unwrap()
        .clone();
    assert_eq!(call["name"], "get_weather");
    assert_eq!(
        serde_json::from_str::<Value>(call["arguments"].as_str().unwrap()).unwrap(),
        json!({"city": "Paris"})
    );
    assert!(call["id"].as_str().unwrap().starts_with("fc_"));
    let deltas: String = s
        .named("response.function_call_arguments.delta")
        .iter()
        .map(|d| d["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(deltas, call["arguments"].as_str().unwrap());

    // The result goes back with previous_response_id; the upstream sees the call and its result.
    let mut next = body(
        &json!([{"type": "function_call_output", "call_id": call["call_id"], "output": "18 degrees and sunny"}]),
        false,
    );
    next["previous_response_id"] = r["id"].clone();
    next["tools"] = tools;
    h.answered("/v1/responses", &next).await;
    let sent: Value = h.upstream_chats().last().unwrap().json.clone().unwrap();
    let text = sent.to_string();
    assert!(
        text.contains("18 degrees and sunny") && text.contains("toolUseId"),
        "{text}"
    );
    h.stop().await;
}

#[tokio::test]
async fn bad_requests_are_openai_shaped() {
    let h = Harness::start().await;
    let (status, _, v) = h.json("/v1/responses", &json!({"model": MODEL})).await;
    assert_eq!(status, 400, "{v}");
    assert_error(&v, Some("invalid_request_error"), None);
    assert_eq!(v["error"]["param"], "input");
    let (status, _, v) = h
        .json(
            "/v1/responses",
            &body(&json!("x"), false)
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("model".into(), json!("no-such-model"));
                    Value::Object(o)
                })
                .unwrap(),
        )
        .await;
    assert_eq!(status, 404, "{v}");
    assert_eq!(v["error"]["code"], "model_not_found");
    // Unknown tool types are dropped, not refused.
    let mut b = body(&json!("#say ok"), false);
    b["tools"] = json!([{"type": "web_search"}, {"type": "namespace", "name": "ns", "tools": []}]);
    h.answered("/v1/responses", &b).await;
    h.stop().await;
}

#[tokio::test]
async fn stored_answers_belong_to_their_api_key() {
    let h = Harness::start().await;
    let token = h.admin_token().await;
    let (_, key_a) = h.create_key(&token, json!({"name": "a"})).await;
    let (_, key_b) = h.create_key(&token, json!({"name": "b"})).await;
    let send = |key: String, body: Value| {
        let h = &h;
        async move {
            let r = h
                .client
                .post(h.url("/v1/responses"))
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, first) = send(key_a.clone(), body(&json!("#say Mine."), false)).await;
    assert_eq!(status, 200, "{first}");
    let mut next = body(&json!("#say Again."), false);
    next["previous_response_id"] = first["id"].clone();
    let (status, v) = send(key_b, next.clone()).await;
    assert_eq!(status, 400, "another key must not see it: {v}");
    assert_eq!(v["error"]["code"], "previous_response_not_found");
    let (status, v) = send(key_a, next).await;
    assert_eq!(status, 200, "{v}");
    h.stop().await;
}
