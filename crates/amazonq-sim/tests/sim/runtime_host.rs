//! The 2026 hosts the main listener plays by default (kiro-2026-endpoints.md §9 "Simulator must
//! enforce"): one test per runtime / management rule, over raw HTTP, plus the legacy listener
//! sharing state and the host role in the request log.

use crate::common;
use crate::common::{
    STYLES, Style, account, body, body_arn, chat_k, chat_rt, client, decode, event_type, get_json,
    payload, rt_status, start, text_of,
};
use amazonq_sim::catalog::BUILDER_ID_ARN;
use amazonq_sim::config::ProfileSpec;
use amazonq_sim::{AccountSpec, AccountTokens, AuthKind, HostMode, SimConfig, SimHandle};
use aws_smithy_types::event_stream::Message;
use serde_json::{Value, json};

const US1: &str = "arn:aws:codewhisperer:us-east-1:123456789012:profile/SIMPROFILE1";
const EU2: &str = "arn:aws:codewhisperer:eu-central-1:123456789012:profile/SIMPROFILE2";
const FOREIGN: &str = "arn:aws:codewhisperer:us-east-1:210987654321:profile/SOMEONEELSE";

fn cfg() -> SimConfig {
    let mut c = SimConfig::default();
    c.chat.error_type_suffix = amazonq_sim::config::ErrorTypeSuffix::Never;
    c
}

fn kind(id: &str, k: AuthKind) -> AccountSpec {
    AccountSpec {
        kind: k,
        ..account(id)
    }
}

/// A simulator with [`cfg`], a client and a Builder ID account `b`.
async fn with_builder() -> (SimHandle, reqwest::Client, AccountTokens) {
    let sim = start(cfg()).await;
    let b = sim.add_account(&account("b"));
    (sim, client(), b)
}

/// (status, x-amzn-errortype, x-sim-rule, body)
async fn answer(r: reqwest::Response) -> (u16, String, String, String) {
    let h = |n: &str| {
        r.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, et, rule) = (r.status().as_u16(), h("x-amzn-errortype"), h("x-sim-rule"));
    (status, et, rule, r.text().await.unwrap())
}

/// [`answer`] of a refusal: asserts its (status, `x-amzn-errortype`, rule); the body.
async fn refused(r: reqwest::Response, want: (u16, &str, &str)) -> String {
    let (st, et, rule, text) = answer(r).await;
    assert_eq!((st, et.as_str(), rule.as_str()), want, "{text}");
    text
}

/// A [`Style::Rest`] chat on the main listener, read by [`answer`].
async fn rest(
    c: &reqwest::Client,
    sim: &SimHandle,
    token: &str,
    body: &Value,
) -> (u16, String, String, String) {
    answer(chat_rt(c, sim, Style::Rest, token, body).await).await
}

fn with_model(mut b: Value, model: &str) -> Value {
    b["conversationState"]["currentMessage"]["userInputMessage"]["modelId"] = json!(model);
    b
}

/// The main listener's hosts as the tests call them (one client, one simulator).
struct Main<'a>(&'a reqwest::Client, &'a SimHandle);

impl Main<'_> {
    /// A runtime chat in `style` ([`chat_rt`]).
    async fn chat(&self, style: Style, token: &str, body: &Value) -> reqwest::Response {
        chat_rt(self.0, self.1, style, token, body).await
    }

    /// A runtime chat in `style` answered 200 with an event stream, decoded.
    async fn events(&self, style: Style, token: &str, body: &Value) -> Vec<Message> {
        let r = self.chat(style, token, body).await;
        decode(&common::bytes_of(r).await, 4096).unwrap()
    }

    /// A management call: `POST /?<query>` with a JSON 1.0 target.
    async fn mgmt(
        &self,
        target: &str,
        query: &str,
        token: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.0
            .post(format!("{}/{query}", self.1.base_url()))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", target)
            .bearer_auth(token)
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    /// [`Self::mgmt`]'s JSON answer.
    async fn mgmt_json(&self, target: &str, query: &str, token: &str, body: &Value) -> Value {
        self.mgmt(target, query, token, body)
            .await
            .json()
            .await
            .unwrap()
    }

    /// ListAvailableModels for the profile `arn` (named in the query and the body).
    async fn models(&self, token: &str, arn: &str) -> Value {
        let body = json!({ "profileArn": arn });
        self.mgmt_json(MODELS, &arn_query(arn), token, &body).await
    }
}

/// `?origin=AI_EDITOR&profileArn=<arn, URL-encoded>`.
fn arn_query(arn: &str) -> String {
    format!(
        "?origin=AI_EDITOR&profileArn={}",
        arn.replace(':', "%3A").replace('/', "%2F")
    )
}

const MODELS: &str = "KiroControlPlaneBearerService.ListAvailableModels";
const USAGE: &str = "AmazonCodeWhispererService.GetUsageLimits";
const PROFILES: &str = "AmazonCodeWhispererService.ListAvailableProfiles";

#[tokio::test]
async fn profile_arn_is_required_for_every_auth_kind_and_style() {
    let sim = start(cfg()).await;
    let c = client();
    let host = Main(&c, &sim);
    for (id, k) in [
        ("b", AuthKind::BuilderId),
        ("i", AuthKind::Idc),
        ("s", AuthKind::Social),
    ] {
        let t = sim.add_account(&kind(id, k));
        for style in STYLES {
            let (st, et, rule, b) =
                answer(chat_rt(&c, &sim, style, &t.access_token, &body("hi")).await).await;
            assert_eq!(
                (st, et.as_str(), rule.as_str()),
                (400, "ValidationException", "profile-required"),
                "{id} {style:?}"
            );
            assert_eq!(
                b,
                r#"{"message":"profileArn is required for this request.","reason":null}"#
            );
        }
    }
    // Every style streams today's answer once the ARN is there.
    let t = sim.add_account(&account("ok"));
    for style in STYLES {
        let msgs = host
            .events(
                style,
                &t.access_token,
                &body_arn("#say fine", BUILDER_ID_ARN),
            )
            .await;
        assert_eq!(text_of(&msgs), "fine", "{style:?}");
    }
    sim.set_rule("profile-required", false).unwrap();
    assert_eq!(
        rt_status(&c, &sim, Style::Rest, &t.access_token, &body("hi")).await,
        200
    );
}

#[tokio::test]
async fn profile_arn_must_be_one_the_account_may_use() {
    let sim = start(cfg()).await;
    let c = client();
    let b = sim.add_account(&kind("b", AuthKind::BuilderId));
    let i = sim.add_account(&kind("i", AuthKind::Idc));
    let s = sim.add_account(&kind("s", AuthKind::Social));
    let social_arn = s.profile_arn.clone().unwrap();
    let cases = [
        (&b, BUILDER_ID_ARN, 200),
        (&b, US1, 403),
        (&i, US1, 200),
        (&i, BUILDER_ID_ARN, 403),
        (&i, FOREIGN, 403),
        (&s, social_arn.as_str(), 200),
        (&s, BUILDER_ID_ARN, 403),
    ];
    for (t, arn, want) in cases {
        let (st, et, rule, text) =
            answer(chat_rt(&c, &sim, Style::Ide, &t.access_token, &body_arn("hi", arn)).await)
                .await;
        assert_eq!(st, want, "{} {arn}: {text}", t.account);
        if want == 403 {
            assert_eq!(
                (et.as_str(), rule.as_str()),
                ("AccessDeniedException", "profile-access")
            );
            assert_eq!(
                text,
                r#"{"message":"User is not authorized to make this call.","reason":null}"#
            );
        }
    }
    sim.set_rule("profile-access", false).unwrap();
    let r = chat_rt(&c, &sim, Style::Ide, &b.access_token, &body_arn("hi", US1)).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn malformed_arns_and_other_regions_are_refused() {
    let sim = start(cfg()).await;
    let c = client();
    let i = sim.add_account(&kind("i", AuthKind::Idc));
    for bad in [
        "arn:aws:codewhisperer:us-east-1:000000000000:profile/default",
        "...",
        "arn:aws:codewhisperer:us-east-1:1234:profile/X",
    ] {
        let (st, _, rule, text) =
            answer(chat_rt(&c, &sim, Style::Cli, &i.access_token, &body_arn("hi", bad)).await)
                .await;
        assert_eq!((st, rule.as_str()), (400, "profile-format"), "{bad}");
        assert_eq!(
            text,
            r#"{"message":"Improperly formed request.","reason":"REQUEST_BODY_INVALID"}"#
        );
    }
    // The IdC account's eu-central-1 profile at a us-east-1 listener: bearer token invalid.
    let text = refused(
        chat_rt(&c, &sim, Style::Cli, &i.access_token, &body_arn("hi", EU2)).await,
        (403, "AccessDeniedException", "profile-region"),
    )
    .await;
    assert_eq!(
        text,
        r#"{"message":"The bearer token included in the request is invalid.","reason":null}"#
    );
    sim.set_rule("profile-region", false).unwrap();
    assert_eq!(
        rt_status(&c, &sim, Style::Cli, &i.access_token, &body_arn("hi", EU2)).await,
        200
    );
    // A simulator configured for eu-central-1 takes that profile (and refuses us-east-1 ones).
    let eu = start(SimConfig {
        region: "eu-central-1".into(),
        ..cfg()
    })
    .await;
    let t = eu.add_account(&kind("i", AuthKind::Idc));
    assert_eq!(
        rt_status(&c, &eu, Style::Rest, &t.access_token, &body_arn("hi", EU2)).await,
        200
    );
    assert_eq!(
        rt_status(&c, &eu, Style::Rest, &t.access_token, &body_arn("hi", US1)).await,
        403
    );
}

#[tokio::test]
async fn root_members_outside_the_three_are_refused() {
    let sim = start(cfg()).await;
    let c = client();
    let t = sim.add_account(&account("b"));
    let mut sp = body_arn("hi", BUILDER_ID_ARN);
    sp["systemPrompt"] = json!("be brief");
    let (st, _, rule, text) = rest(&c, &sim, &t.access_token, &sp).await;
    assert_eq!((st, rule.as_str()), (400, "root-members"));
    assert_eq!(
        text,
        r#"{"message":"Improperly formed request.","reason":"REQUEST_BODY_INVALID"}"#
    );
    let mut am = body_arn("hi", BUILDER_ID_ARN);
    am["agentMode"] = json!("vibe");
    assert_eq!(
        rest(&c, &sim, &t.access_token, &am).await.0,
        200,
        "agentMode tolerated by default"
    );
    sim.set_rule("agent-mode", true).unwrap();
    let (st, _, rule, _) = rest(&c, &sim, &t.access_token, &am).await;
    assert_eq!((st, rule.as_str()), (400, "agent-mode"));
    sim.set_rule("root-members", false).unwrap();
    assert_eq!(rest(&c, &sim, &t.access_token, &sp).await.0, 200);
}

#[tokio::test]
async fn runtime_has_no_get_account_routes_but_the_legacy_listener_does() {
    let sim = start(cfg()).await;
    let c = client();
    let t = sim.add_account(&account("b"));
    for path in [
        "/ListAvailableModels?origin=AI_EDITOR",
        "/getUsageLimits?origin=AI_EDITOR",
    ] {
        let get = |base: String| c.get(format!("{base}{path}")).bearer_auth(&t.access_token);
        let r = get(sim.base_url()).send().await.unwrap();
        let text = refused(r, (404, "UnknownOperationException", "unknown-operation")).await;
        assert_eq!(
            text,
            r#"{"__type":"UnknownOperationException","message":"UnknownOperationException"}"#
        );
        let r = get(sim.legacy_q_url()).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path} on the legacy host");
    }
}

#[tokio::test]
async fn management_profiles_refuse_builder_id_and_api_keys() {
    let mut config = cfg();
    config.profiles.push(ProfileSpec {
        arn: "arn:aws:codewhisperer:us-east-1:123456789012:profile/SIMPROFILE3".into(),
        profile_name: "sim-us-2".into(),
        region: "us-east-1".into(),
        models: None,
    });
    let sim = start(config).await;
    let c = client();
    let host = Main(&c, &sim);
    let i = sim.add_account(&kind("i", AuthKind::Idc));
    let v: Value = host
        .mgmt_json(PROFILES, "", &i.access_token, &json!({"maxResults": 1}))
        .await;
    assert_eq!(v["profiles"].as_array().unwrap().len(), 1);
    assert_eq!(v["profiles"][0]["arn"], US1);
    assert_eq!(v["profiles"][0]["profileName"], "sim-us");
    assert!(v["profiles"][0]["identityDetails"].is_object());
    assert_eq!(v["nextToken"], "1");
    let v: Value = host
        .mgmt_json(
            PROFILES,
            "",
            &i.access_token,
            &json!({"maxResults": 10, "nextToken": "1"}),
        )
        .await;
    assert_eq!(
        v["profiles"][0]["profileName"], "sim-us-2",
        "the eu profile is not listed here"
    );
    assert!(v.get("nextToken").is_none());
    let b = sim.add_account(&account("b"));
    let text = refused(
        host.mgmt(PROFILES, "", &b.access_token, &json!({"maxResults": 10}))
            .await,
        (403, "AccessDeniedException", "profiles-token"),
    )
    .await;
    assert!(
        text.contains("User is not authorized to access this feature"),
        "{text}"
    );
    let k = sim.add_account(&AccountSpec {
        access_token: Some("ksk_simulatedkey0001".into()),
        ..kind("k", AuthKind::Idc)
    });
    let (st, _, rule, text) = answer(
        host.mgmt(PROFILES, "", &k.access_token, &json!({"maxResults": 10}))
            .await,
    )
    .await;
    assert_eq!((st, rule.as_str()), (403, "profiles-token"));
    assert_eq!(
        text,
        r#"{"message":"Unsupported token type","reason":null}"#
    );
    sim.set_rule("profiles-token", false).unwrap();
    assert_eq!(
        host.mgmt(PROFILES, "", &b.access_token, &json!({}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn management_models_and_usage_need_the_arn_in_query_and_body() {
    let sim = start(cfg()).await;
    let c = client();
    let host = Main(&c, &sim);
    let two = vec![
        ProfileSpec {
            arn: US1.into(),
            profile_name: "big".into(),
            region: "us-east-1".into(),
            models: None,
        },
        ProfileSpec {
            arn: "arn:aws:codewhisperer:us-east-1:123456789012:profile/SMALL".into(),
            profile_name: "small".into(),
            region: "us-east-1".into(),
            models: Some(vec!["claude-sonnet-4.5".into(), "claude-haiku-4.5".into()]),
        },
    ];
    let i = sim.add_account(&AccountSpec {
        profiles: Some(two),
        ..kind("i", AuthKind::Idc)
    });
    for target in [MODELS, USAGE] {
        for (query, body) in [
            (String::new(), json!({"profileArn": US1})),
            (arn_query(US1), json!({"origin": "AI_EDITOR"})),
            (arn_query(US1), json!({"profileArn": EU2})),
        ] {
            let (st, et, rule, text) =
                answer(host.mgmt(target, &query, &i.access_token, &body).await).await;
            assert_eq!(
                (st, et.as_str(), rule.as_str()),
                (400, "ValidationException", "mgmt-profile-arn"),
                "{target} {query} {body}"
            );
            assert_eq!(text, r#"{"message":"Invalid profileArn.","reason":null}"#);
        }
        let r = host
            .mgmt(
                target,
                &arn_query(FOREIGN),
                &i.access_token,
                &json!({"profileArn": FOREIGN}),
            )
            .await;
        assert_eq!(r.status(), 403, "{target}: not the account's profile");
    }
    let v: Value = host
        .mgmt_json(
            USAGE,
            &arn_query(US1),
            &i.access_token,
            &json!({"profileArn": US1, "origin": "AI_EDITOR", "isEmailRequired": true}),
        )
        .await;
    assert_eq!(v["usageBreakdownList"][0]["resourceType"], "CREDIT");
    // Catalogs per profile.
    let small = "arn:aws:codewhisperer:us-east-1:123456789012:profile/SMALL";
    let v = host.models(&i.access_token, small).await;
    let ids: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["modelId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["claude-sonnet-4.5", "claude-haiku-4.5"]);
    assert_eq!(v["defaultModel"]["modelId"], "claude-sonnet-4.5");
    let v = host.models(&i.access_token, US1).await;
    assert_eq!(v["models"].as_array().unwrap().len(), 17);
    // The chat holds the profile to its catalog.
    let opus_on = |arn: &str| with_model(body_arn("hi", arn), "claude-opus-4.6");
    let r = host
        .chat(Style::Cli, &i.access_token, &opus_on(small))
        .await;
    let (st, _, rule, text) = answer(r).await;
    assert_eq!((st, rule.as_str()), (400, "model"));
    assert!(text.contains("INVALID_MODEL_ID"));
    let r = host.chat(Style::Cli, &i.access_token, &opus_on(US1)).await;
    assert_eq!(r.status(), 200);
    // Builder ID (service ARN) gets the default catalog.
    let b = sim.add_account(&account("b"));
    let v: Value = host
        .mgmt_json(
            MODELS,
            &arn_query(BUILDER_ID_ARN),
            &b.access_token,
            &json!({"profileArn": BUILDER_ID_ARN, "maxResults": 50}),
        )
        .await;
    assert_eq!(v["models"].as_array().unwrap().len(), 17);
    let log = sim.requests_on("management");
    assert!(log.len() >= 10 && log.iter().all(|e| e.host == "management"));
}

#[tokio::test]
async fn catalog_schemas_and_native_effort() {
    let (sim, c, b) = with_builder().await;
    let host = Main(&c, &sim);
    let v = host.models(&b.access_token, BUILDER_ID_ARN).await;
    let by_id = |id: &str| {
        v["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["modelId"] == id)
            .unwrap()
            .clone()
    };
    let schema: Value = serde_json::from_str(r#"{"type":"object","properties":{"output_config":{"type":"object","properties":{"effort":{"type":"string","enum":["low","medium","high","xhigh","max"]}}},"thinking":{"type":"object","properties":{"type":{"type":"string","enum":["adaptive"]}}}}}"#).unwrap();
    assert_eq!(
        by_id("claude-opus-4.6")["additionalModelRequestFieldsSchema"],
        schema
    );
    assert!(
        by_id("claude-sonnet-4.5")
            .get("additionalModelRequestFieldsSchema")
            .is_none()
    );
    assert_eq!(
        by_id("claude-opus-4.7")["tokenLimits"]["maxInputTokens"],
        1_000_000
    );
    assert_eq!(
        by_id("deepseek-3.2")["tokenLimits"]["maxInputTokens"],
        128_000
    );
    assert_eq!(by_id("claude-haiku-4.5")["rateUnit"], "credit");
    let with_fields = |model: &str, fields: Value| {
        let mut x = with_model(body_arn("#say ok", BUILDER_ID_ARN), model);
        x["additionalModelRequestFields"] = fields;
        x
    };
    let adaptive = json!({"thinking": {"type": "adaptive"}});
    let xhigh = json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": "xhigh"}});
    for (fields, want) in [(xhigh, "effort=xhigh"), (adaptive, "effort=default")] {
        let body = with_fields("claude-opus-4.6", fields);
        let msgs = host.events(Style::Rest, &b.access_token, &body).await;
        assert_eq!(event_type(&msgs[0]), "reasoningContentEvent");
        assert_eq!(payload(&msgs[0])["text"], want);
        assert_eq!(text_of(&msgs), "ok");
    }
    for (model, fields) in [
        (
            "claude-opus-4.6",
            json!({"output_config": {"effort": "extreme"}}),
        ),
        ("claude-opus-4.6", json!({"reasoning": {"effort": "low"}})),
        (
            "claude-sonnet-4.5",
            json!({"thinking": {"type": "adaptive"}}),
        ),
    ] {
        let (st, _, rule, text) = answer(
            host.chat(Style::Rest, &b.access_token, &with_fields(model, fields))
                .await,
        )
        .await;
        assert_eq!((st, rule.as_str()), (400, "model-fields"), "{model}");
        assert!(text.contains("REQUEST_BODY_INVALID"));
    }
}

#[tokio::test]
async fn size_is_judged_in_tokens_and_images_over_5_mb_are_refused() {
    let (sim, c, b) = with_builder().await;
    let host = Main(&c, &sim);
    // ≈ 225k tokens: over Haiku's 200k window, within Opus 4.7's 1M (and past R19's 600k chars,
    // which the runtime host does not apply).
    let big = |model: &str| with_model(body_arn(&"x".repeat(900_000), BUILDER_ID_ARN), model);
    let text = refused(
        host.chat(Style::Cli, &b.access_token, &big("claude-haiku-4.5"))
            .await,
        (400, "ValidationException", "input-tokens"),
    )
    .await;
    assert_eq!(
        text,
        r#"{"message":"Input content length exceeds threshold.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}"#
    );
    assert_eq!(
        rt_status(
            &c,
            &sim,
            Style::Cli,
            &b.access_token,
            &big("claude-opus-4.7")
        )
        .await,
        200
    );
    let mut img = body_arn("look", BUILDER_ID_ARN);
    img["conversationState"]["currentMessage"]["userInputMessage"]["images"] =
        json!([{"format": "png", "source": {"bytes": "A".repeat(5_242_881)}}]);
    let (st, _, rule, text) = rest(&c, &sim, &b.access_token, &img).await;
    assert_eq!((st, rule.as_str()), (400, "image-size"));
    assert_eq!(
        text,
        r#"{"message":"image exceeds 5 MB maximum: 5242881 bytes > 5242880","reason":null}"#
    );
    img["conversationState"]["currentMessage"]["userInputMessage"]["images"][0]["source"]["bytes"] =
        json!("A".repeat(5_242_880));
    assert_eq!(rest(&c, &sim, &b.access_token, &img).await.0, 200);
}

#[tokio::test]
async fn rate_exceeded_stop_reasons_and_model_unavailable() {
    let sim = start(cfg()).await;
    let c = client();
    let host = Main(&c, &sim);
    let b = sim.add_account(&AccountSpec {
        throttle_first: 1,
        ..account("b")
    });
    let rate = r#"{"message":"Too many requests, please wait before trying again.","reason":"USER_REQUEST_RATE_EXCEEDED"}"#;
    let (st, et, rule, text) = answer(
        host.chat(Style::Ide, &b.access_token, &body_arn("hi", BUILDER_ID_ARN))
            .await,
    )
    .await;
    assert_eq!(
        (st, et.as_str(), rule.as_str(), text.as_str()),
        (429, "ThrottlingException", "quota", rate),
        "throttle burst"
    );
    let (st, _, rule, text) = answer(
        host.chat(
            Style::Ide,
            &b.access_token,
            &body_arn("#fault rate-exceeded", BUILDER_ID_ARN),
        )
        .await,
    )
    .await;
    assert_eq!(
        (st, rule.as_str(), text.as_str()),
        (429, "fault:rate-exceeded", rate)
    );
    let msgs = host
        .events(
            Style::Rest,
            &b.access_token,
            &body_arn("#say done\n#stop-reason MAX_TOKENS", BUILDER_ID_ARN),
        )
        .await;
    let meta: Vec<Value> = msgs
        .iter()
        .filter(|m| event_type(m) == "metadataEvent")
        .map(payload)
        .collect();
    assert_eq!(meta, [json!({"stopReason": "MAX_TOKENS"})]);
    let msgs = host
        .events(
            Style::Rest,
            &b.access_token,
            &body_arn(
                "#say partial\n#model-unavailable\n#say never",
                BUILDER_ID_ARN,
            ),
        )
        .await;
    assert_eq!(text_of(&msgs), "partial");
    let last = msgs.last().unwrap();
    assert_eq!(common::header(last, ":message-type"), Some("exception"));
    assert_eq!(event_type(last), "ThrottlingException");
    assert_eq!(payload(last)["reason"], "MODEL_TEMPORARILY_UNAVAILABLE");
    assert_eq!(
        sim.account("b").unwrap().chat_calls,
        2,
        "the 429s were not counted"
    );
}

#[tokio::test]
async fn the_legacy_listener_shares_state_and_the_log_names_the_host() {
    let sim = start(cfg()).await;
    let c = client();
    let t = sim.add_account(&account("b"));
    // Same token on both listeners; R17 only on the legacy host.
    assert_eq!(
        rt_status(
            &c,
            &sim,
            Style::Rest,
            &t.access_token,
            &body_arn("hi", BUILDER_ID_ARN)
        )
        .await,
        200
    );
    assert_eq!(
        chat_k(&c, &sim, &t.access_token, &body("hi"))
            .await
            .status(),
        200
    );
    let (st, _, rule, _) =
        answer(chat_k(&c, &sim, &t.access_token, &body_arn("hi", BUILDER_ID_ARN)).await).await;
    assert_eq!((st, rule.as_str()), (403, "R17"));
    assert_eq!(
        sim.account("b").unwrap().chat_calls,
        2,
        "one account behind both listeners"
    );
    let s = sim.add_account(&kind("s", AuthKind::Social));
    let r = c
        .post(format!("{}/refreshToken", sim.base_url()))
        .json(&json!({"refreshToken": s.refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let hosts: Vec<String> = sim.all_requests().iter().map(|e| e.host.clone()).collect();
    assert_eq!(hosts, ["runtime", "legacy_q", "legacy_q", "auth"]);
    let v: Value = get_json(
        &c,
        &format!("{}/__sim/requests?host=legacy_q", sim.base_url()),
    )
    .await;
    assert_eq!(v.as_array().unwrap().len(), 2);
    // The main listener switches to the legacy host at runtime (and back).
    let r = c
        .put(format!("{}/__sim/host-mode", sim.base_url()))
        .json(&json!({"host_mode": "legacy_q"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.host_mode(), HostMode::LegacyQ);
    assert_eq!(
        rt_status(&c, &sim, Style::Rest, &t.access_token, &body("hi")).await,
        200
    );
    assert_eq!(sim.requests_on("legacy_q").len(), 3);
    sim.set_host_mode(HostMode::Runtime);
    assert_eq!(
        rt_status(&c, &sim, Style::Rest, &t.access_token, &body("hi")).await,
        400
    );
    let legacy = start(SimConfig {
        host_mode: HostMode::LegacyQ,
        ..cfg()
    })
    .await;
    let t = legacy.add_account(&account("b"));
    assert_eq!(
        rt_status(&c, &legacy, Style::Cli, &t.access_token, &body("hi")).await,
        200,
        "host_mode: legacy_q"
    );
    assert_eq!(
        rt_status(&c, &legacy, Style::Ide, &t.access_token, &body("hi")).await,
        400,
        "no Kiro target on q.*"
    );
}
