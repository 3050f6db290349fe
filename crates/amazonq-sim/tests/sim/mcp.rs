//! Web search in the simulator (docs/upstream-mcp-web-search.md): `POST /mcp` JSON-RPC over raw
//! HTTP (methods, errors, the profile rule, faults, the request log), the workspace's
//! `QClient::web_search` against it, and the simulated model deciding to search (`#search`,
//! Claude Code's wording, the cited answer to a search result) — including the whole loop a
//! gateway runs: chat → `web_search` tool use → search → tool result → cited answer.

use std::time::Duration;

use crate::common::{
    STYLES, account, body_arn, chat_rt, client, decode, event_type, payload, start, text_of,
};
use amazonq::client::{
    AuthKind, ClientConfig, ClientError, Credentials, Dialect, Host, McpErrorKind, QClient,
    WebSearchResults,
};
use amazonq::error::ErrorClass;
use amazonq_sim::catalog::{BUILDER_ID_ARN, SOCIAL_DEFAULT_ARN};
use amazonq_sim::validate::RuleSet;
use amazonq_sim::{AccountSpec, QueuedFault, SimConfig, SimHandle};
use serde_json::{Value, json};

const FOREIGN: &str = "arn:aws:codewhisperer:us-east-1:210987654321:profile/SOMEONEELSE";

/// `POST {base}/mcp` with `body`; returns (status, x-sim-rule, body JSON or Null).
async fn mcp_at(
    base: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, Value) {
    let mut req = client()
        .post(format!("{base}/mcp"))
        .header("content-type", "application/json")
        .bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.body(body.to_owned()).send().await.unwrap();
    let status = r.status().as_u16();
    let rule = r
        .headers()
        .get("x-sim-rule")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    (
        status,
        rule,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// A JSON-RPC call on the runtime listener with the Builder ID service profile in the body.
async fn rpc(sim: &SimHandle, token: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params,
                      "profileArn": BUILDER_ID_ARN});
    let (status, _, v) = mcp_at(&sim.base_url(), token, &[], &body.to_string()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["jsonrpc"], "2.0");
    assert_eq!(v["id"], 7);
    v
}

fn search(query: &str) -> Value {
    json!({"name": "web_search", "arguments": {"query": query}})
}

/// The payload a successful `tools/call` carries in its text content.
fn results_of(answer: &Value) -> Value {
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert_eq!(answer["result"]["content"][0]["type"], "text");
    serde_json::from_str(answer["result"]["content"][0]["text"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn the_json_rpc_methods_answer_and_every_call_is_logged() {
    let sim = start(SimConfig::default()).await;
    let t = sim.add_account(&account("a1")).access_token;

    let init = rpc(
        &sim,
        &t,
        "initialize",
        json!({"protocolVersion": "2025-03-26"}),
    )
    .await;
    assert_eq!(init["result"]["protocolVersion"], "2025-03-26");
    assert!(init["result"]["capabilities"]["tools"].is_object());
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized", "profileArn": BUILDER_ID_ARN});
    let (status, _, v) = mcp_at(&sim.base_url(), &t, &[], &note.to_string()).await;
    assert_eq!((status, v), (202, Value::Null));

    let list = rpc(&sim, &t, "tools/list", json!({})).await;
    let tools = list["result"]["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0]["name"], "web_search");
    assert_eq!(tools[0]["inputSchema"]["required"], json!(["query"]));
    assert_eq!(
        tools[0]["inputSchema"]["properties"]["query"]["type"],
        "string"
    );

    let first = rpc(&sim, &t, "tools/call", search("kiro web search")).await;
    let payload = results_of(&first);
    let hits = payload["results"].as_array().unwrap();
    assert!((3..=5).contains(&hits.len()), "{payload}");
    assert_eq!(payload["totalResults"], hits.len());
    assert_eq!(payload["query"], "kiro web search");
    for h in hits {
        let url = h["url"].as_str().unwrap();
        assert!(
            [
                "https://example.com/",
                "https://example.org/",
                "https://example.net/"
            ]
            .iter()
            .any(|p| url.starts_with(p)),
            "{url}"
        );
        assert!(h["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert_eq!(h["maxVerbatimWordLimit"], 30);
    }
    assert_eq!(hits[1]["publishedDate"], Value::Null);
    assert!(hits[0]["publishedDate"].is_i64());
    // Deterministic: the same query, the same answer.
    let again = rpc(&sim, &t, "tools/call", search("kiro web search")).await;
    assert_eq!(again["result"], first["result"]);

    let log = sim.requests_on("runtime");
    let mcp: Vec<_> = log
        .iter()
        .filter(|e| e.decision.operation == "mcp")
        .collect();
    assert_eq!(mcp.len(), 5);
    let methods: Vec<_> = mcp
        .iter()
        .map(|e| e.decision.mcp_method.as_deref().unwrap())
        .collect();
    assert_eq!(
        methods,
        [
            "initialize",
            "notifications/initialized",
            "tools/list",
            "tools/call",
            "tools/call"
        ]
    );
    assert_eq!(
        mcp[3].decision.search_query.as_deref(),
        Some("kiro web search")
    );
    assert_eq!(mcp[3].decision.account.as_deref(), Some("a1"));
    assert_eq!(mcp[3].path, "/mcp");
    assert_eq!(mcp[2].decision.search_query, None);
}

#[tokio::test]
async fn errors_follow_the_runtime_host_and_json_rpc() {
    let sim = start(SimConfig::default()).await;
    let t = sim.add_account(&account("a1")).access_token;
    let base = sim.base_url();
    let call = |params: Value| {
        json!({"jsonrpc": "2.0", "id": "i", "method": "tools/call", "params": params}).to_string()
    };

    // Bearer first.
    let (status, rule, _) = mcp_at(&base, "nope", &[], &call(search("q"))).await;
    assert_eq!((status, rule.as_str()), (403, "auth"));
    // The profile rule: none → 400 with the service's text; the header form counts; a profile
    // that is not the account's → 403 as chat.
    let (status, rule, v) = mcp_at(&base, &t, &[], &call(search("q"))).await;
    assert_eq!((status, rule.as_str()), (400, "mcp-profile"));
    assert_eq!(
        v,
        json!({"message": "profileArn is required for this request.", "reason": null})
    );
    let header = [("x-amzn-kiro-profile-arn", BUILDER_ID_ARN)];
    let (status, _, v) = mcp_at(&base, &t, &header, &call(search("q"))).await;
    assert_eq!(status, 200, "{v}");
    let foreign = [("x-amzn-kiro-profile-arn", FOREIGN)];
    let (status, rule, _) = mcp_at(&base, &t, &foreign, &call(search("q"))).await;
    assert_eq!((status, rule.as_str()), (403, "profile-access"));
    sim.set_rule("mcp-profile", false).unwrap();
    let (status, _, _) = mcp_at(&base, &t, &[], &call(search("q"))).await;
    assert_eq!(status, 200);
    sim.set_rule("mcp-profile", true).unwrap();

    // JSON-RPC errors: (body, code).
    let with_arn = |mut v: Value| {
        v["profileArn"] = json!(BUILDER_ID_ARN);
        v.to_string()
    };
    let long = "x".repeat(201);
    let cases = [
        (
            with_arn(json!({"jsonrpc": "2.0", "id": 1, "method": "resources/list"})),
            -32601,
        ),
        (
            with_arn(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                         "params": {"name": "web_fetch", "arguments": {"url": "x"}}})),
            -32602,
        ),
        (
            with_arn(
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": search("  ")}),
            ),
            -32602,
        ),
        (
            with_arn(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                         "params": {"name": "web_search", "arguments": {}}})),
            -32602,
        ),
        (
            with_arn(
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": search(&long)}),
            ),
            -32602,
        ),
        (with_arn(json!({"id": 1, "method": "tools/list"})), -32600),
    ];
    for (body, code) in &cases {
        let (status, _, v) = mcp_at(&base, &t, &[], body).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(v["error"]["code"], *code, "{body}: {v}");
        assert!(v.get("result").is_none());
    }
    let (status, _, v) = mcp_at(&base, &t, &[], "{not json").await;
    assert_eq!((status, v["error"]["code"].clone()), (200, json!(-32700)));
    // The length limit is a switch (inferred from the schema's maxLength).
    sim.set_rule("mcp-query-length", false).unwrap();
    let (_, _, v) = mcp_at(&base, &t, &[], &cases[4].0).await;
    assert_eq!(results_of(&v)["query"], long);

    let r = client()
        .post(format!("{base}/mcp"))
        .header("content-type", "text/plain")
        .bearer_auth(&t)
        .body(with_arn(
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["x-sim-rule"], "content-type");
}

#[tokio::test]
async fn the_legacy_listener_serves_mcp_without_the_profile_rule() {
    let sim = start(SimConfig::default()).await;
    let t = sim.add_account(&account("a1")).access_token;
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": search("legacy")});
    let (status, _, v) = mcp_at(&sim.legacy_q_url(), &t, &[], &body.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(results_of(&v)["query"], "legacy");
    let legacy = sim.requests_on("legacy_q");
    assert_eq!(legacy.len(), 1);
    assert_eq!(legacy[0].decision.search_query.as_deref(), Some("legacy"));
}

#[tokio::test]
async fn faults_shape_the_answer_and_only_mcp_consumes_them() {
    let sim = start(SimConfig::default()).await;
    let t = sim.add_account(&account("a1")).access_token;
    let queue = |f: &str| {
        sim.queue_fault(QueuedFault {
            faults: vec![f.to_owned()],
            account: None,
            operation: Some("mcp".into()),
            count: 1,
        })
        .unwrap();
    };
    // A chat in between does not take an `mcp` fault.
    queue("mcp-error");
    let chat = chat_rt(
        &client(),
        &sim,
        STYLES[0],
        &t,
        &body_arn("#say hi", BUILDER_ID_ARN),
    )
    .await;
    assert_eq!(chat.status(), 200);
    let v = rpc(&sim, &t, "tools/call", search("q")).await;
    assert_eq!(v["error"]["code"], -32603);

    queue("mcp-throttled");
    let v = rpc(&sim, &t, "tools/call", search("q")).await;
    assert_eq!(v["error"]["code"], -32000);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Rate exceeded")
    );

    queue("mcp-not-entitled");
    let v = rpc(&sim, &t, "tools/call", search("q")).await;
    assert_eq!(v["result"]["isError"], true);

    queue("mcp-malformed");
    let v = rpc(&sim, &t, "tools/call", search("q")).await;
    let text = v["result"]["content"][0]["text"].as_str().unwrap();
    assert!(serde_json::from_str::<Value>(text).is_err());

    queue("mcp-no-results");
    let v = rpc(&sim, &t, "tools/call", search("q")).await;
    assert_eq!(results_of(&v)["results"], json!([]));

    queue("rate-exceeded");
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": search("q"),
                      "profileArn": BUILDER_ID_ARN});
    let (status, rule, v) = mcp_at(&sim.base_url(), &t, &[], &body.to_string()).await;
    assert_eq!((status, rule.as_str()), (429, "fault:rate-exceeded"), "{v}");
    let faults: Vec<_> = sim
        .all_requests()
        .iter()
        .filter(|e| e.decision.operation == "mcp")
        .flat_map(|e| e.decision.faults.clone())
        .collect();
    assert_eq!(
        faults,
        [
            "mcp-error",
            "mcp-throttled",
            "mcp-not-entitled",
            "mcp-malformed",
            "mcp-no-results",
            "rate-exceeded"
        ]
    );
}

fn qclient(sim: &SimHandle) -> QClient {
    QClient::new(ClientConfig {
        legacy_q_url: sim.legacy_q_url(),
        first_byte_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        ..ClientConfig::at(&sim.base_url())
    })
    .unwrap()
}

fn creds(token: &str, dialect: Dialect, kind: AuthKind, arn: Option<&str>) -> Credentials {
    Credentials {
        dialect,
        auth_kind: kind,
        access_token: token.to_owned(),
        profile_arn: arn.map(str::to_owned),
        machine_id: Some("ab".repeat(32)),
        ..Credentials::default()
    }
}

#[tokio::test]
async fn the_client_searches_for_every_account_kind_and_host() {
    let sim = start(SimConfig::default()).await;
    let builder = sim.add_account(&account("b")).access_token;
    let social = sim
        .add_account(&AccountSpec {
            kind: amazonq_sim::AuthKind::Social,
            ..account("s")
        })
        .access_token;
    let c = qclient(&sim);
    let expected: Vec<String> = {
        let raw = rpc(&sim, &builder, "tools/call", search("rust 2026")).await;
        results_of(&raw)["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["url"].as_str().unwrap().to_owned())
            .collect()
    };
    let runs = [
        creds(&builder, Dialect::AmazonQ, AuthKind::BuilderId, None),
        creds(
            &social,
            Dialect::Kiro,
            AuthKind::Social,
            Some(SOCIAL_DEFAULT_ARN),
        ),
        Credentials {
            host: Host::LegacyQ,
            ..creds(&builder, Dialect::AmazonQ, AuthKind::BuilderId, None)
        },
    ];
    for cr in &runs {
        let r: WebSearchResults = c.web_search(cr, "rust 2026").await.unwrap();
        let urls: Vec<_> = r.hits.iter().map(|h| h.url.clone()).collect();
        assert_eq!(urls, expected, "{cr:?}");
        assert!(r.request_id.is_some());
        assert_eq!(r.hits[1].published_date, None);
        assert!(
            r.hits[0]
                .published_date
                .as_deref()
                .is_some_and(|d| d.ends_with('Z'))
        );
        assert!(r.hits[0].domain.is_some());
    }
    let hosts: Vec<_> = sim
        .all_requests()
        .iter()
        .filter(|e| e.decision.operation == "mcp" && e.status == 200)
        .map(|e| e.host.clone())
        .collect();
    assert_eq!(hosts, ["runtime", "runtime", "runtime", "legacy_q"]);
}

#[tokio::test]
async fn the_client_maps_the_simulated_failures() {
    let sim = start(SimConfig::default()).await;
    let t = sim.add_account(&account("a1")).access_token;
    let c = qclient(&sim);
    let cr = creds(&t, Dialect::AmazonQ, AuthKind::BuilderId, None);
    let next = |f: &str| {
        sim.queue_fault(QueuedFault {
            faults: vec![f.to_owned()],
            account: Some("a1".into()),
            operation: Some("mcp".into()),
            count: 1,
        })
        .unwrap();
    };
    let kind = |e: &ClientError| match e {
        ClientError::Mcp(m) => m.kind,
        other => panic!("{other:?}"),
    };
    next("mcp-not-entitled");
    let e = c.web_search(&cr, "q").await.unwrap_err();
    assert_eq!(kind(&e), McpErrorKind::NotEntitled);
    assert!(!e.class().is_retryable());
    next("mcp-throttled");
    let e = c.web_search(&cr, "q").await.unwrap_err();
    assert!(matches!(e.class(), ErrorClass::Throttled { .. }), "{e:?}");
    next("mcp-error");
    let e = c.web_search(&cr, "q").await.unwrap_err();
    assert_eq!(
        (kind(&e), e.class()),
        (McpErrorKind::Internal, ErrorClass::Transient)
    );
    next("mcp-malformed");
    let e = c.web_search(&cr, "q").await.unwrap_err();
    assert!(matches!(e, ClientError::Decode(_)), "{e:?}");
    next("mcp-no-results");
    assert!(c.web_search(&cr, "q").await.unwrap().hits.is_empty());
    next("rate-exceeded");
    let e = c.web_search(&cr, "q").await.unwrap_err();
    assert!(
        matches!(&e, ClientError::Http(h) if h.status == 429),
        "{e:?}"
    );
    let e = c
        .web_search(
            &creds("bad-token", Dialect::AmazonQ, AuthKind::BuilderId, None),
            "q",
        )
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::NeedsRefresh);
    let long = "y".repeat(300);
    let e = c.web_search(&cr, &long).await.unwrap_err();
    assert_eq!(kind(&e), McpErrorKind::InvalidParams);
    // A social account on runtime.* without a profile: the service's 400.
    let e = c
        .web_search(&creds(&t, Dialect::Kiro, AuthKind::Social, None), "q")
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::ProfileRejected);
}

fn web_search_tool() -> Value {
    json!({"toolSpecification": {"name": "web_search", "description": "Search the web",
        "inputSchema": {"json": {"type": "object", "properties": {"query": {"type": "string"}},
                                 "required": ["query"]}}}})
}

/// `b` offering the `web_search` tool.
fn with_search_tool(mut b: Value) -> Value {
    b["conversationState"]["currentMessage"]["userInputMessage"]["userInputMessageContext"] =
        json!({"tools": [web_search_tool()]});
    b
}

/// A runtime chat; returns (tool uses as (id, name, input JSON), text).
async fn turn(
    sim: &SimHandle,
    token: &str,
    body: &Value,
) -> (Vec<(String, String, Value)>, String) {
    let r = chat_rt(&client(), sim, STYLES[0], token, body).await;
    assert_eq!(r.status(), 200);
    let msgs = decode(&r.bytes().await.unwrap(), 4096).unwrap();
    let mut uses: Vec<(String, String, String)> = Vec::new();
    for m in msgs.iter().filter(|m| event_type(m) == "toolUseEvent") {
        let p = payload(m);
        let id = p["toolUseId"].as_str().unwrap().to_owned();
        let input = p["input"].as_str().unwrap_or("");
        match uses.iter_mut().find(|u| u.0 == id) {
            Some(u) => u.2.push_str(input),
            None => uses.push((id, p["name"].as_str().unwrap().to_owned(), input.to_owned())),
        }
    }
    let uses = uses
        .into_iter()
        .map(|(id, name, input)| (id, name, serde_json::from_str(&input).unwrap()))
        .collect();
    (uses, text_of(&msgs))
}

#[tokio::test]
async fn the_model_decides_to_search_and_cites_the_first_result() {
    let sim = start(SimConfig::default()).await;
    let t = sim.add_account(&account("a1")).access_token;
    let c = qclient(&sim);

    // Without a web_search tool the directive only answers text.
    let (uses, text) = turn(&sim, &t, &body_arn("#search rust 2026", BUILDER_ID_ARN)).await;
    assert!(uses.is_empty());
    assert_eq!(
        text,
        "I cannot search the web for \"rust 2026\": no web_search tool was offered."
    );

    // With it: a web_search tool use, then the gateway's loop.
    let ask = with_search_tool(body_arn("#search rust 2026", BUILDER_ID_ARN));
    let (uses, text) = turn(&sim, &t, &ask).await;
    assert_eq!(text, "");
    assert_eq!(uses.len(), 1);
    let (id, name, input) = &uses[0];
    assert_eq!(
        (name.as_str(), input),
        ("web_search", &json!({"query": "rust 2026"}))
    );

    let found = c
        .web_search(
            &creds(&t, Dialect::AmazonQ, AuthKind::BuilderId, None),
            "rust 2026",
        )
        .await
        .unwrap();
    let first = &found.hits[0];
    let mut follow = with_search_tool(body_arn("", BUILDER_ID_ARN));
    follow["conversationState"]["history"] = json!([
        {"userInputMessage": {"content": "#search rust 2026", "origin": "KIRO_CLI"}},
        {"assistantResponseMessage": {"content": "Searching.", "toolUses": [
            {"toolUseId": id, "name": "web_search", "input": {"query": "rust 2026"}}]}}
    ]);
    let hits: Vec<Value> = found
        .hits
        .iter()
        .map(|h| json!({"title": h.title, "url": h.url, "snippet": h.snippet}))
        .collect();
    follow["conversationState"]["currentMessage"]["userInputMessage"]["userInputMessageContext"]
        ["toolResults"] = json!([{"toolUseId": id, "status": "success",
                                   "content": [{"json": {"results": hits}}]}]);
    let (uses, text) = turn(&sim, &t, &follow).await;
    assert!(uses.is_empty());
    assert_eq!(
        text,
        format!(
            "According to {} ({}), here is what I found about \"rust 2026\".",
            first.title, first.url
        )
    );
    let searched: Vec<_> = sim
        .all_requests()
        .iter()
        .filter_map(|e| e.decision.search_query.clone())
        .collect();
    assert_eq!(searched, ["rust 2026"]);
}

#[tokio::test]
async fn claude_codes_wording_decides_a_search_without_a_directive() {
    let sim = start(SimConfig::default()).await;
    let t = sim.add_account(&account("a1")).access_token;
    let text = "Perform a web search for the query: kiro cli changelog";
    let (uses, _) = turn(&sim, &t, &with_search_tool(body_arn(text, BUILDER_ID_ARN))).await;
    assert_eq!(uses.len(), 1);
    assert_eq!(uses[0].2, json!({"query": "kiro cli changelog"}));
    // Without the tool it is ordinary text: echo mode.
    let (uses, echo) = turn(&sim, &t, &body_arn(text, BUILDER_ID_ARN)).await;
    assert!(uses.is_empty());
    assert!(echo.starts_with("echo: "), "{echo}");
}

#[test]
fn default_rules_let_a_web_search_tool_through_and_guard_mcp() {
    let rules = RuleSet::new(&std::collections::BTreeMap::new());
    // R20 (no tool named web_search) is contradicted by kiro-cli's own web_search tool.
    assert!(!rules.on("R20"));
    assert!(rules.on("mcp-profile"));
    assert!(rules.on("mcp-query-length"));
}
