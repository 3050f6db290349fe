//! The chat pipeline and account APIs over real HTTP (amazon-q-protocol.md §5.1, §8.4, §8.6):
//! auth, suspension, quotas, throttling, model and size checks, exact error bodies and headers,
//! connection handling, request log, queued scripts, usage counters, models, profiles, control API.

use crate::common::{
    Q_TARGET, account, account_with, body, chat_k, chat_q, client, decode, get_json, k_status,
    q_status, start, start_with_account, text_of,
};
use amazonq_sim::config::ErrorTypeSuffix;
use amazonq_sim::{AccountPatch, AccountSpec, Limits, LogFilter, SimConfig, SimHandle};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn cfg_no_suffix() -> SimConfig {
    let mut c = SimConfig {
        clock_start_ms: Some(1_767_225_600_000),
        ..SimConfig::default()
    };
    c.chat.error_type_suffix = ErrorTypeSuffix::Never;
    c
}

async fn err(r: reqwest::Response) -> (u16, String, String, String, String) {
    let h = r.headers().clone();
    let get = |k: &str| {
        h.get(k)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    (
        r.status().as_u16(),
        get("x-amzn-errortype"),
        get("x-sim-rule"),
        get("content-type"),
        r.text().await.unwrap(),
    )
}

/// The account APIs on the legacy `q.*` listener, called with one account's token.
struct AccountApi<'a>(&'a reqwest::Client, &'a SimHandle, &'a str);

impl AccountApi<'_> {
    /// `GET {sim}{path}`: an account API in dialect K.
    fn get_k(&self, path: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{path}", self.1.legacy_q_url());
        self.0.get(url).bearer_auth(self.2)
    }

    /// `POST {sim}/{query}` naming `AmazonCodeWhispererService.{op}` with `body`: an account API
    /// in dialect Q.
    fn q_op(&self, query: &str, op: &str, body: &'static str) -> reqwest::RequestBuilder {
        let target = format!("AmazonCodeWhispererService.{op}");
        self.0
            .post(format!("{}/{query}", self.1.legacy_q_url()))
            .header("x-amz-target", target)
            .bearer_auth(self.2)
            .body(body)
    }
}

/// The answer to `req`, which must be 200 with a JSON body.
async fn json_of(req: reqwest::RequestBuilder) -> Value {
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// The control API at `{sim}/__sim` (amazon-q-protocol.md §8.6).
struct Control<'a>(&'a reqwest::Client, &'a str);

impl Control<'_> {
    /// `route` ("METHOD /path") with a JSON `body` (none when null): the status and the JSON
    /// answer (null when there is none).
    async fn call(&self, route: &str, body: Value) -> (u16, Value) {
        let (method, path) = route.split_once(' ').unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.0.request(method, format!("{}{path}", self.1));
        if !body.is_null() {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn auth_suspension_and_exact_error_bodies() {
    let sim = start(cfg_no_suffix()).await;
    let t = sim.add_account(&account_with("a1", |a| {
        a.token_policy.access_ttl_s = Some(60);
    }));
    let c = client();
    let (st, ty, rule, ct, b) = err(chat_q(&c, &sim, "bogus", &body("hi")).await).await;
    assert_eq!(
        (st, ty.as_str(), rule.as_str(), ct.as_str()),
        (
            403,
            "AccessDeniedException",
            "auth",
            "application/x-amz-json-1.0"
        )
    );
    assert_eq!(
        b,
        r#"{"__type":"com.amazon.aws.codewhisperer#AccessDeniedException","message":"The bearer token included in the request is invalid."}"#
    );
    let (st, _, _, ct, b) = err(chat_k(&c, &sim, "bogus", &body("hi")).await).await;
    assert_eq!((st, ct.as_str()), (403, "application/json"));
    assert_eq!(
        b,
        r#"{"message":"The bearer token included in the request is invalid.","reason":null}"#
    );
    // Expiry by the injected clock.
    assert_eq!(q_status(&c, &sim, &t.access_token, "hi").await, 200);
    sim.advance_clock_ms(60_000);
    assert_eq!(q_status(&c, &sim, &t.access_token, "hi").await, 403);
    // Suspension.
    let t2 = sim.add_account(&account_with("a2", |a| a.limits.suspend_after = Some(2)));
    for _ in 0..2 {
        assert_eq!(k_status(&c, &sim, &t2.access_token, "hi").await, 200);
    }
    let (st, ty, _, _, b) = err(chat_k(&c, &sim, &t2.access_token, &body("hi")).await).await;
    assert_eq!((st, ty.as_str()), (403, "AccessDeniedException"));
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["reason"], "TEMPORARILY_SUSPENDED");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("temporarily is suspended")
    );
    // Suspended accounts are refused by the account APIs too.
    let api = AccountApi(&c, &sim, &t2.access_token);
    let r = api.get_k("/getUsageLimits?origin=AI_EDITOR").send().await;
    assert_eq!(r.unwrap().status(), 403);
    sim.set_suspended("a2", false).unwrap();
    assert_eq!(k_status(&c, &sim, &t2.access_token, "hi").await, 200);
}

#[tokio::test]
async fn quotas_throttles_models_and_sizes() {
    let sim = start(cfg_no_suffix()).await;
    let c = client();
    let q = sim.add_account(&account_with("q", |a| a.limits.monthly_limit = Some(1)));
    assert_eq!(q_status(&c, &sim, &q.access_token, "hi").await, 200);
    let (st, ty, rule, _, b) = err(chat_q(&c, &sim, &q.access_token, &body("hi")).await).await;
    assert_eq!(
        (st, ty.as_str(), rule.as_str()),
        (429, "ThrottlingException", "quota")
    );
    assert!(b.contains(r#""reason":"MONTHLY_REQUEST_COUNT""#));
    let (st, _, _, _, b) = err(chat_k(&c, &sim, &q.access_token, &body("hi")).await).await;
    assert_eq!(st, 402);
    assert_eq!(
        b,
        r#"{"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#
    );
    // Throttle burst: first 2 → 429, then success.
    let b2 = sim.add_account(&AccountSpec {
        throttle_first: 2,
        ..account("burst")
    });
    for _ in 0..2 {
        assert_eq!(q_status(&c, &sim, &b2.access_token, "hi").await, 429);
    }
    assert_eq!(q_status(&c, &sim, &b2.access_token, "hi").await, 200);
    // RPM window on the injected clock.
    let r = sim.add_account(&account_with("rpm", |a| a.limits.rpm_limit = Some(2)));
    for _ in 0..2 {
        assert_eq!(q_status(&c, &sim, &r.access_token, "hi").await, 200);
    }
    let (st, _, _, _, b) = err(chat_q(&c, &sim, &r.access_token, &body("hi")).await).await;
    assert_eq!(st, 429);
    assert!(b.contains("Too many requests"));
    sim.advance_clock_ms(60_001);
    assert_eq!(q_status(&c, &sim, &r.access_token, "hi").await, 200);
    // Models: unknown → INVALID_MODEL_ID; per-account list; legacy hidden ids accepted.
    let m = sim.add_account(&account_with("m", |a| {
        a.entitlement.models = Some(vec!["claude-haiku-4.5".into()]);
    }));
    let (st, _, rule, _, b) = err(chat_q(&c, &sim, &m.access_token, &body("hi")).await).await;
    assert_eq!((st, rule.as_str()), (400, "model"));
    assert!(b.contains("INVALID_MODEL_ID"));
    let mut hb = body("hi");
    hb["conversationState"]["currentMessage"]["userInputMessage"]["modelId"] =
        json!("CLAUDE_3_7_SONNET_20250219_V1_0");
    assert_eq!(chat_q(&c, &sim, &b2.access_token, &hb).await.status(), 200);
    // Size: over the model window (not over R19's 600k chars) → Input is too long.
    let mut big = body("hi");
    big["conversationState"]["history"] = json!([{"userInputMessage": {"content": "x".repeat(500_000)}}, {"assistantResponseMessage": {"content": "ok"}},
        {"userInputMessage": {"content": "y".repeat(500_000)}}, {"assistantResponseMessage": {"content": "ok"}}]);
    let (st, _, rule, _, b) = err(chat_q(&c, &sim, &b2.access_token, &big).await).await;
    assert_eq!((st, rule.as_str()), (400, "size"));
    assert!(b.contains("CONTENT_LENGTH_EXCEEDS_THRESHOLD"));
    big["conversationState"]["currentMessage"]["userInputMessage"]["modelId"] =
        json!("claude-opus-4.7");
    assert_eq!(
        chat_q(&c, &sim, &b2.access_token, &big).await.status(),
        200,
        "1M-token window"
    );
    // Every §5.1 row as an HTTP fault, with the x-sim-fault header.
    for (fault, status) in [
        ("throttled", 429),
        ("capacity", 429),
        ("internal", 500),
        ("unavailable", 503),
        ("bearer-invalid", 403),
        ("improperly-formed", 400),
        ("locked", 423),
    ] {
        let resp = c
            .post(format!("{}/", sim.legacy_q_url()))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", Q_TARGET)
            .bearer_auth(&b2.access_token)
            .header("x-sim-fault", fault)
            .body(body("hi").to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{fault}");
        assert_eq!(
            resp.headers()["x-sim-rule"],
            format!("fault:{fault}").as_str()
        );
    }
}

#[tokio::test]
async fn protocol_edges_headers_and_connection_close() {
    let mut cfg = SimConfig::default();
    cfg.chat.error_type_suffix = ErrorTypeSuffix::Alternate;
    let sim = start(cfg).await;
    let t = sim.add_account(&account("a1"));
    let c = client();
    // Wrong content type for dialect Q.
    let r = c
        .post(format!("{}/", sim.legacy_q_url()))
        .header("x-amz-target", Q_TARGET)
        .header("content-type", "application/json")
        .bearer_auth(&t.access_token)
        .body(body("hi").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["x-sim-rule"].to_str().unwrap()
        ),
        (400, "content-type")
    );
    // Unknown target.
    let r = c
        .post(format!("{}/", sim.legacy_q_url()))
        .header("x-amz-target", "Nope.Op")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.headers()["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .starts_with("UnknownOperationException")
    );
    // The error-type suffix alternates; a sanitizer must cut at ':'.
    let mut seen = Vec::new();
    for _ in 0..2 {
        let r = chat_q(&c, &sim, "bad", &body("hi")).await;
        assert!(r.headers().contains_key("x-amzn-requestid"));
        seen.push(r.headers()["x-amzn-errortype"].to_str().unwrap().to_owned());
    }
    assert!(seen.iter().any(|s| s == "AccessDeniedException"));
    assert!(
        seen.iter()
            .any(|s| s.starts_with("AccessDeniedException:http"))
    );
    // Connection: close is answered with Connection: close and the socket closes.
    let mut s = tokio::net::TcpStream::connect(sim.legacy_addr())
        .await
        .unwrap();
    let payload = body("hi").to_string();
    let req = format!(
        "POST /generateAssistantResponse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer {}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{payload}",
        t.access_token,
        payload.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let head = String::from_utf8_lossy(&out).to_lowercase();
    assert!(head.starts_with("http/1.1 200"));
    assert!(head.contains("connection: close"));
    // Keep-alive by default: two requests on one connection.
    let before = sim.connections_accepted();
    for _ in 0..3 {
        let r = chat_q(&c, &sim, &t.access_token, &body("hi")).await;
        r.bytes().await.unwrap();
    }
    assert!(sim.connections_accepted() - before <= 1);
}

#[tokio::test]
async fn request_log_scripts_and_usage() {
    let (sim, t) = start_with_account().await;
    let c = client();
    sim.queue_directives(Some("a1"), "#say queued one").unwrap();
    sim.queue_script(
        None,
        amazonq_sim::Script {
            steps: vec![amazonq_sim::Step::Text {
                content: "global".into(),
                split: None,
            }],
            ..Default::default()
        },
    )
    .unwrap();
    let r = chat_q(&c, &sim, &t.access_token, &body("#say from the message")).await;
    assert_eq!(
        text_of(&decode(&r.bytes().await.unwrap(), 4096).unwrap()),
        "queued one"
    );
    let r = chat_q(&c, &sim, &t.access_token, &body("#say from the message")).await;
    assert_eq!(
        text_of(&decode(&r.bytes().await.unwrap(), 4096).unwrap()),
        "global"
    );
    let r = chat_q(&c, &sim, &t.access_token, &body("#say from the message")).await;
    assert_eq!(
        text_of(&decode(&r.bytes().await.unwrap(), 4096).unwrap()),
        "from the message"
    );
    let log = sim.requests(&LogFilter {
        operation: Some("chat".into()),
        account: Some("a1".into()),
        ..LogFilter::default()
    });
    assert_eq!(log.len(), 3);
    assert_eq!(
        log[0].json.as_ref().unwrap()["conversationState"]["conversationId"],
        "conv-1"
    );
    assert!(
        log[0]
            .headers
            .iter()
            .any(|(k, v)| k == "x-amz-target" && v == Q_TARGET)
    );
    assert_eq!(log[0].status, 200);
    // Usage rises after each chat; GetUsageLimits reads the same counters.
    let api = AccountApi(&c, &sim, &t.access_token);
    let query = "?origin=CLI&resourceType=AGENTIC_REQUEST";
    let v = json_of(api.q_op(query, "GetUsageLimits", "{}")).await;
    assert_eq!(v["limits"][0]["currentUsage"], 3);
    assert_eq!(v["usageBreakdownList"][0]["resourceType"], "CREDIT");
    assert!(v["nextDateReset"].as_i64().unwrap() > 1_700_000_000);
    sim.patch_account(
        "a1",
        &AccountPatch {
            usage: Some(40),
            limits: Limits {
                monthly_limit: Some(50),
                ..Limits::default()
            },
            ..AccountPatch::default()
        },
    )
    .unwrap();
    let v = json_of(api.get_k("/getUsageLimits?origin=AI_EDITOR")).await;
    assert_eq!(
        (
            v["limits"][0]["currentUsage"].as_u64(),
            v["limits"][0]["totalUsageLimit"].as_u64()
        ),
        (Some(40), Some(50))
    );
    // ListAvailableModels: pagination and default model, both dialects.
    let page = r#"{"origin":"CLI","maxResults":3}"#;
    let v = json_of(api.q_op("", "ListAvailableModels", page)).await;
    assert_eq!(v["models"].as_array().unwrap().len(), 3);
    assert_eq!(v["nextToken"], "3");
    assert_eq!(v["defaultModel"]["modelId"], "claude-sonnet-4.5");
    let v = json_of(api.get_k("/ListAvailableModels?origin=AI_EDITOR&nextToken=15")).await;
    assert_eq!(
        v["models"].as_array().unwrap().len(),
        2,
        "17 models in the default catalog"
    );
    assert!(v.get("nextToken").is_none());
    // Profiles per region (the Host header names the region; loopback → configured region).
    let v = json_of(api.q_op("", "ListAvailableProfiles", "{}")).await;
    assert_eq!(v["profiles"].as_array().unwrap().len(), 1);
    assert_eq!(v["profiles"][0]["profileName"], "sim-us");
    let eu = api.q_op("", "ListAvailableProfiles", "{}");
    let v = json_of(eu.header("host", "q.eu-central-1.amazonaws.com")).await;
    assert_eq!(v["profiles"][0]["profileName"], "sim-eu");
}

#[tokio::test]
async fn control_api_over_http() {
    let sim = start(SimConfig::default()).await;
    let c = client();
    let base = format!("{}/__sim", sim.base_url());
    let ctl = Control(&c, &base);
    let spec = json!({"id": "h1", "kind": "idc", "monthly_limit": 5});
    let (_, v) = ctl.call("POST /accounts", spec).await;
    let token = v["accessToken"].as_str().unwrap().to_owned();
    assert!(v["clientId"].is_string());
    let faults = json!({"faults": ["throttled"], "account": "h1", "operation": "chat", "count": 2});
    assert_eq!(ctl.call("POST /faults", faults).await.0, 200);
    let nonsense = json!({"faults": ["nonsense"]});
    assert_eq!(ctl.call("POST /faults", nonsense).await.0, 400);
    for expect in [429, 429, 200] {
        assert_eq!(q_status(&c, &sim, &token, "hi").await, expect);
    }
    let script = json!({"account": "h1", "directives": "#say scripted"});
    assert_eq!(ctl.call("POST /scripts", script).await.0, 200);
    let out = chat_k(&c, &sim, &token, &body("hi"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(text_of(&decode(&out, 4096).unwrap()), "scripted");
    let patch = json!({"suspended": true, "rpm_limit": 7});
    let (_, v) = ctl.call("PATCH /accounts/h1", patch).await;
    assert_eq!(v["suspended"], true);
    // The account's terms travel as top-level keys, in the spec, the patch and the answer.
    assert_eq!(
        (v["monthly_limit"].clone(), v["rpm_limit"].clone()),
        (json!(5), json!(7))
    );
    assert_eq!(q_status(&c, &sim, &token, "hi").await, 403);
    let v: Value = get_json(&c, &format!("{base}/requests?account=h1&operation=chat")).await;
    assert_eq!(v.as_array().unwrap().len(), 5);
    assert_eq!(
        (&v[0]["operation"], &v[0]["faults"]),
        (&json!("chat"), &json!(["throttled"]))
    );
    let (_, v) = ctl.call("PUT /rules", json!({"R4": true})).await;
    assert_eq!(v["R4"], true);
    assert_eq!(ctl.call("PUT /rules", json!({"R99": true})).await.0, 400);
    let (_, v) = ctl.call("POST /clock/advance", json!({"ms": 1000})).await;
    assert!(v["nowMs"].as_i64().unwrap() > 0);
    let v: Value = get_json(&c, &format!("{base}/stats")).await;
    assert!(v["frames"].as_u64().unwrap() >= 2);
    assert!(v["cpu_utime_ticks"].is_u64());
    assert_eq!(ctl.call("GET /accounts/nope", Value::Null).await.0, 404);
    assert_eq!(ctl.call("POST /reset", Value::Null).await.0, 200);
    assert!(sim.accounts().is_empty());
    assert!(sim.all_requests().is_empty());
}

#[tokio::test]
async fn http_row_faults_in_fault_directives_answer_like_injected_ones() {
    let sim = start(cfg_no_suffix()).await;
    let (c, t) = (client(), sim.add_account(&account("a1")));
    let (st, ty, _, _, _) = err(chat_q(
        &c,
        &sim,
        &t.access_token,
        &body("#fault throttled\n#say no"),
    )
    .await)
    .await;
    assert_eq!((st, ty.as_str()), (429, "ThrottlingException"));
    let (st, _, _, _, b) =
        err(chat_k(&c, &sim, &t.access_token, &body("#fault monthly-quota")).await).await;
    assert_eq!(st, 402, "{b}");
    assert!(b.contains("MONTHLY_REQUEST_COUNT"), "{b}");
    let (st, ty, _, _, _) =
        err(chat_q(&c, &sim, &t.access_token, &body("#fault http:internal")).await).await;
    assert_eq!((st, ty.as_str()), (500, "InternalServerException"));
    // Logged with the fault name, as an answered (not cancelled) request.
    let log = sim.requests(&LogFilter {
        operation: Some("chat".into()),
        ..LogFilter::default()
    });
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].decision.faults, ["throttled"]);
    assert!(log.iter().all(|e| !e.cancelled));
    // A stream fault in a directive still applies to the stream, after a 200.
    let r = chat_q(&c, &sim, &t.access_token, &body("#fault drop:1\n#text 5")).await;
    assert_eq!(r.status(), 200);
    // An HTTP row next to a queued script is not read: the queued script wins over directives.
    sim.queue_directives(None, "#say queued").unwrap();
    let r = chat_q(&c, &sim, &t.access_token, &body("#fault throttled")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        text_of(&decode(&r.bytes().await.unwrap(), 7).unwrap()),
        "queued"
    );
}

#[tokio::test]
async fn a_client_leaving_mid_stream_is_logged_cancelled() {
    let (sim, t) = start_with_account().await;
    let c = client();
    // Complete answer: not cancelled.
    let r = chat_q(&c, &sim, &t.access_token, &body("#say whole")).await;
    let _ = r.bytes().await.unwrap();
    // Long paced answer, dropped after the first chunk.
    let r = chat_q(
        &c,
        &sim,
        &t.access_token,
        &body("#pace interval=50 chunk=2\n#text 200"),
    )
    .await;
    let mut r = r;
    assert!(r.chunk().await.unwrap().is_some());
    drop(r);
    let filter = LogFilter {
        operation: Some("chat".into()),
        ..LogFilter::default()
    };
    for _ in 0..100 {
        if sim.requests(&filter).get(1).is_some_and(|e| e.cancelled) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let log = sim.requests(&filter);
    assert_eq!(
        log.iter().map(|e| e.cancelled).collect::<Vec<_>>(),
        [false, true]
    );
}
