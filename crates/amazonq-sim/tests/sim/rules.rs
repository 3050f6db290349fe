//! Positive and negative fixtures for every validation rule (amazon-q-protocol.md §4.4 + Addendum):
//! the positive body passes with every rule on; each negative body trips exactly its rule — in
//! process (all violations listed) and over HTTP (status + `x-sim-rule`).

use crate::common::{account, chat_k, chat_q, client, start};
use amazonq_sim::validate::{self, CheckCtx, RULES, RuleSet};
use amazonq_sim::{AccountSpec, AuthKind, Dialect, SimConfig};
use serde_json::{Value, json};

fn all_on() -> RuleSet {
    let mut r = RuleSet::new(&std::collections::BTreeMap::new());
    for info in RULES {
        r.set(info.id, true);
    }
    r
}

fn plain() -> Value {
    json!({"conversationState": {
        "conversationId": "c1", "chatTriggerType": "MANUAL",
        "history": [
            {"userInputMessage": {"content": "hi", "origin": "CLI"}},
            {"assistantResponseMessage": {"content": "hello"}}
        ],
        "currentMessage": {"userInputMessage": {"content": "thanks", "origin": "CLI", "modelId": "claude-sonnet-4.5"}}
    }})
}

fn fs_read_tool() -> Value {
    json!({"toolSpecification": {"name": "fs_read", "description": "Read a file",
        "inputSchema": {"json": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}})
}

fn tooled() -> Value {
    json!({"conversationState": {
        "conversationId": "c1", "chatTriggerType": "MANUAL",
        "history": [
            {"userInputMessage": {"content": "read two files", "origin": "CLI"}},
            {"assistantResponseMessage": {"content": "reading", "toolUses": [
                {"toolUseId": "t1", "name": "fs_read", "input": {"path": "a.txt"}},
                {"toolUseId": "t2", "name": "fs_read", "input": {"path": "b.txt"}}]}},
            {"userInputMessage": {"content": "results", "userInputMessageContext": {"toolResults": [
                {"toolUseId": "t1", "content": [{"text": "A"}], "status": "success"},
                {"toolUseId": "t2", "content": [{"json": {"b": 1}}]}]}}},
            {"assistantResponseMessage": {"content": "done"}}
        ],
        "currentMessage": {"userInputMessage": {"content": "thanks", "origin": "CLI", "modelId": "claude-sonnet-4.5",
            "images": [{"format": "png", "source": {"bytes": "iVBORw0KGgo="}}],
            "userInputMessageContext": {"tools": [fs_read_tool()]}}}
    }})
}

/// Sets (or creates, when the parent is an object) the member at `pointer`.
fn set(v: &mut Value, pointer: &str, new: Value) {
    if let Some(slot) = v.pointer_mut(pointer) {
        *slot = new;
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    v.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert(key.to_owned(), new);
}

fn with(mut v: Value, pointer: &str, new: Value) -> Value {
    set(&mut v, pointer, new);
    v
}

/// [`tooled`] with the tool results of its last history turn replaced by `results`.
fn tool_results(results: Value) -> Value {
    with(
        tooled(),
        &format!("{H}/2/userInputMessage/userInputMessageContext/toolResults"),
        results,
    )
}

fn push_tool(mut v: Value, tool: Value) -> Value {
    v.pointer_mut(
        "/conversationState/currentMessage/userInputMessage/userInputMessageContext/tools",
    )
    .unwrap()
    .as_array_mut()
    .unwrap()
    .push(tool);
    v
}

fn named_tool(name: &str) -> Value {
    json!({"toolSpecification": {"name": name, "description": "d", "inputSchema": {"json": {"type": "object"}}}})
}

const CUR: &str = "/conversationState/currentMessage/userInputMessage";
const H: &str = "/conversationState/history";

/// (rule, dialect, body that trips exactly that rule)
#[expect(
    clippy::too_many_lines,
    reason = "one table of negative bodies, one row per rule"
)]
fn negatives() -> Vec<(&'static str, Dialect, Value)> {
    let mut r7 = plain();
    set(
        &mut r7,
        &format!("{H}/0/userInputMessage/userInputMessageContext"),
        json!({"toolResults": [{"toolUseId": "t0", "content": [{"text": "x"}]}]}),
    );
    set(
        &mut r7,
        &format!("{CUR}/userInputMessageContext"),
        json!({"tools": [fs_read_tool()]}),
    );
    let mut r8 = tooled();
    r8.pointer_mut(CUR)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove("userInputMessageContext");
    vec![
        (
            "schema",
            Dialect::Q,
            with(plain(), CUR, json!({"origin": "CLI"})),
        ),
        (
            "R1",
            Dialect::Q,
            with(
                plain(),
                "/conversationState/currentMessage",
                json!({"assistantResponseMessage": {"content": "prefill"}}),
            ),
        ),
        (
            "R2",
            Dialect::Q,
            with(
                plain(),
                H,
                json!([{"assistantResponseMessage": {"content": "hello"}}]),
            ),
        ),
        (
            "R3",
            Dialect::Q,
            with(
                plain(),
                H,
                json!([{"userInputMessage": {"content": "hi"}}, {"assistantResponseMessage": {"content": "a"}}, {"assistantResponseMessage": {"content": "b"}}]),
            ),
        ),
        (
            "R4",
            Dialect::Q,
            with(plain(), H, json!([{"userInputMessage": {"content": "hi"}}])),
        ),
        (
            "R5",
            Dialect::Q,
            tool_results(
                json!([{"toolUseId": "t1", "content": [{"text": "A"}]}, {"toolUseId": "t2", "content": [{"text": "B"}]}, {"toolUseId": "t9", "content": [{"text": "?"}]}]),
            ),
        ),
        (
            "R6",
            Dialect::Q,
            tool_results(json!([{"toolUseId": "t1", "content": [{"text": "A"}]}])),
        ),
        ("R7", Dialect::Q, r7),
        ("R8", Dialect::Q, r8),
        (
            "R9",
            Dialect::Q,
            with(
                tooled(),
                &format!("{H}/0/userInputMessage/userInputMessageContext"),
                json!({"tools": [fs_read_tool()]}),
            ),
        ),
        (
            "R10",
            Dialect::Q,
            push_tool(tooled(), named_tool(&"n".repeat(64))),
        ),
        (
            "R11",
            Dialect::Q,
            with(
                tooled(),
                &format!("{CUR}/userInputMessageContext/tools/0/toolSpecification/description"),
                json!(""),
            ),
        ),
        (
            "R12",
            Dialect::Q,
            with(
                tooled(),
                &format!(
                    "{CUR}/userInputMessageContext/tools/0/toolSpecification/inputSchema/json/required"
                ),
                json!(null),
            ),
        ),
        (
            "R13",
            Dialect::Kiro,
            with(
                plain(),
                &format!("{H}/1/assistantResponseMessage/content"),
                json!(""),
            ),
        ),
        (
            "R14",
            Dialect::Q,
            tool_results(
                json!([{"toolUseId": "t1", "content": [{"text": "A"}]}, {"toolUseId": "t1", "content": [{"text": "A"}]}, {"toolUseId": "t2", "content": [{"text": "B"}]}]),
            ),
        ),
        (
            "R15",
            Dialect::Q,
            with(
                tooled(),
                &format!("{H}/1/assistantResponseMessage/toolUses/0/input"),
                json!({"": 1}),
            ),
        ),
        (
            "R16",
            Dialect::Q,
            with(plain(), "/conversationState/chatTriggerType", json!("AUTO")),
        ),
        (
            "R17",
            Dialect::Q,
            plain().pipe(|mut v| {
                v.as_object_mut().unwrap().insert(
                    "profileArn".into(),
                    json!("arn:aws:codewhisperer:us-east-1:1:profile/X"),
                );
                v
            }),
        ),
        (
            "R18",
            Dialect::Q,
            with(tooled(), &format!("{CUR}/images/0/format"), json!("bmp")),
        ),
        (
            "R19",
            Dialect::Q,
            with(
                plain(),
                &format!("{CUR}/content"),
                json!("x".repeat(600_001)),
            ),
        ),
        (
            "R20",
            Dialect::Q,
            push_tool(tooled(), named_tool("web_search")),
        ),
        (
            "R21",
            Dialect::Q,
            tool_results(
                json!([{"toolUseId": "t2", "content": [{"text": "B"}]}, {"toolUseId": "t1", "content": [{"text": "A"}]}]),
            ),
        ),
    ]
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl Pipe for Value {}

fn ctx(d: Dialect) -> CheckCtx {
    CheckCtx {
        dialect: d,
        auth_kind: AuthKind::BuilderId,
    }
}

#[test]
fn positive_fixtures_pass_every_rule() {
    let rules = all_on();
    for d in [Dialect::Q, Dialect::Kiro] {
        assert_eq!(validate::check(&plain(), &rules, ctx(d)), vec![]);
        assert_eq!(validate::check(&tooled(), &rules, ctx(d)), vec![]);
    }
    // Addendum corrections: R8 names match case-insensitively; 63-char names pass; no modelId is fine;
    // R13 does not apply to the Q dialect; R4 (trailing user in history) passes with defaults.
    let upper = with(
        tooled(),
        &format!("{CUR}/userInputMessageContext/tools/0/toolSpecification/name"),
        json!("FS_READ"),
    );
    assert_eq!(validate::check(&upper, &rules, ctx(Dialect::Q)), vec![]);
    assert_eq!(
        validate::check(
            &push_tool(tooled(), named_tool(&"n".repeat(63))),
            &rules,
            ctx(Dialect::Q)
        ),
        vec![]
    );
    let mut no_model = plain();
    no_model
        .pointer_mut(CUR)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove("modelId");
    assert_eq!(validate::check(&no_model, &rules, ctx(Dialect::Q)), vec![]);
    let empty_assistant = with(
        plain(),
        &format!("{H}/1/assistantResponseMessage/content"),
        json!(""),
    );
    assert_eq!(
        validate::check(&empty_assistant, &rules, ctx(Dialect::Q)),
        vec![]
    );
    let defaults = RuleSet::new(&std::collections::BTreeMap::new());
    let trailing_user = with(plain(), H, json!([{"userInputMessage": {"content": "hi"}}]));
    assert_eq!(
        validate::check(&trailing_user, &defaults, ctx(Dialect::Q)),
        vec![]
    );
}

#[test]
fn each_negative_fixture_trips_exactly_its_rule() {
    let rules = all_on();
    let fixtures = negatives();
    let covered: Vec<&str> = fixtures.iter().map(|f| f.0).collect();
    for info in RULES
        .iter()
        .filter(|r| r.id.starts_with('R') && r.id != "R22")
    {
        assert!(covered.contains(&info.id), "no fixture for {}", info.id);
    }
    for (rule, dialect, body) in &fixtures {
        let got: Vec<&str> = validate::check(body, &rules, ctx(*dialect))
            .iter()
            .map(|v| v.rule)
            .collect();
        assert_eq!(got, vec![*rule], "fixture for {rule}");
        let mut off = rules.clone();
        off.set(rule, false);
        assert_eq!(
            validate::check(body, &off, ctx(*dialect)),
            vec![],
            "{rule} switched off must accept its fixture"
        );
    }
}

#[tokio::test]
async fn rules_are_enforced_over_http_with_x_sim_rule() {
    let sim = start(SimConfig::default()).await;
    for id in ["R4", "R20", "R21"] {
        sim.set_rule(id, true).unwrap();
    }
    let t = sim.add_account(&account("a1"));
    let c = client();
    for body in [plain(), tooled()] {
        let r = chat_q(&c, &sim, &t.access_token, &body).await;
        assert_eq!(r.status(), 200);
        let r = chat_k(&c, &sim, &t.access_token, &body).await;
        assert_eq!(r.status(), 200);
    }
    for (rule, dialect, body) in negatives() {
        let r = match dialect {
            Dialect::Q => chat_q(&c, &sim, &t.access_token, &body).await,
            Dialect::Kiro => chat_k(&c, &sim, &t.access_token, &body).await,
        };
        let expected = if rule == "R17" { 403 } else { 400 };
        assert_eq!(r.status(), expected, "{rule}");
        assert_eq!(r.headers()["x-sim-rule"], rule);
        let text = r.text().await.unwrap();
        let want = match rule {
            "R19" => "Input is too long.",
            "R17" => "not authorized",
            _ => "Improperly formed request.",
        };
        assert!(text.contains(want), "{rule}: {text}");
    }
    // R22: not JSON.
    let r = c
        .post(format!("{}/generateAssistantResponse", sim.legacy_q_url()))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", t.access_token))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["x-sim-rule"], "R22");
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"The request body is not valid JSON.","reason":null}"#
    );
    // Switching a rule off over the handle accepts its fixture.
    sim.set_rule("R16", false).unwrap();
    let r = chat_q(
        &c,
        &sim,
        &t.access_token,
        &with(plain(), "/conversationState/chatTriggerType", json!("AUTO")),
    )
    .await;
    assert_eq!(r.status(), 200);
    // A social (Kiro) account may send profileArn: R17 is about Builder ID only.
    let social = sim.add_account(&AccountSpec {
        kind: AuthKind::Social,
        ..account("s1")
    });
    let body = plain().pipe(|mut v| {
        v.as_object_mut()
            .unwrap()
            .insert("profileArn".into(), json!(social.profile_arn.clone()));
        v
    });
    assert_eq!(
        chat_k(&c, &sim, &social.access_token, &body).await.status(),
        200
    );
}
