//! Wire-shape tests: the §4.2 sample body round-trips key for key, unions are
//! externally tagged, `None` members vanish and unknown response keys are ignored.

use super::*;
use serde_json::{Value, json};

/// The "minimal valid Dialect-Q body" of spec §4.2 (envState included).
fn spec_body() -> Value {
    json!({"conversationState":{
      "conversationId":"7a8a8822-f5ea-4429-b39e-8bdd84e044dd",
      "history":[
        {"userInputMessage":{"content":"hi","userInputMessageContext":{"envState":{"operatingSystem":"macos","currentWorkingDirectory":"/"}},"origin":"CLI"}},
        {"assistantResponseMessage":{"messageId":"m1","content":"ok","toolUses":[{"toolUseId":"tooluse_1","name":"fs_read","input":{"path":"a.txt"}}]}}
      ],
      "currentMessage":{"userInputMessage":{
        "content":"",
        "userInputMessageContext":{
          "envState":{"operatingSystem":"macos","currentWorkingDirectory":"/"},
          "toolResults":[{"toolUseId":"tooluse_1","content":[{"text":"file body"},{"json":{"a":1}}],"status":"success"}],
          "tools":[{"toolSpecification":{"name":"fs_read","description":"Read a file","inputSchema":{"json":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}}}]},
        "origin":"CLI","modelId":"claude-sonnet-4.5",
        "images":[{"format":"png","source":{"bytes":"iVBORw0KGgo="}}]}},
      "chatTriggerType":"MANUAL"},
      "profileArn":"arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC"})
}

#[test]
fn spec_body_round_trips_exactly() {
    let req: GenerateAssistantResponseRequest = serde_json::from_value(spec_body()).unwrap();
    let ChatMessage::UserInputMessage(current) = &req.conversation_state.current_message else {
        panic!("current message must be a user message");
    };
    let ctx = current.user_input_message_context.as_ref().unwrap();
    assert_eq!(ctx.tools.as_ref().unwrap().len(), 1);
    assert_eq!(
        ctx.tool_results.as_ref().unwrap()[0].content[1],
        ToolResultContent::Json(json!({"a": 1}))
    );
    assert_eq!(
        current.images.as_ref().unwrap()[0].source,
        ImageSource::Bytes("iVBORw0KGgo=".into())
    );
    assert_eq!(req.conversation_state.history.len(), 2);
    assert_eq!(serde_json::to_value(&req).unwrap(), spec_body());
}

#[test]
fn none_and_empty_members_are_left_out() {
    let req = GenerateAssistantResponseRequest {
        conversation_state: ConversationState {
            conversation_id: String::new(),
            current_message: ChatMessage::UserInputMessage(UserInputMessage {
                content: "hello".into(),
                ..Default::default()
            }),
            history: vec![],
            chat_trigger_type: ChatTriggerType::Manual,
            agent_task_type: Some(AgentTaskType::Vibe),
            agent_continuation_id: None,
            workspace_id: None,
            customization_arn: None,
        },
        profile_arn: None,
        additional_model_request_fields: None,
    };
    assert_eq!(
        serde_json::to_string(&req).unwrap(),
        r#"{"conversationState":{"currentMessage":{"userInputMessage":{"content":"hello"}},"chatTriggerType":"MANUAL","agentTaskType":"vibe"}}"#
    );
}

#[test]
fn unions_are_externally_tagged() {
    let tool = Tool::CachePoint(CachePoint::default());
    assert_eq!(
        serde_json::to_value(&tool).unwrap(),
        json!({"cachePoint": {"type": "default"}})
    );
    let rc = ReasoningContent::ReasoningText(ReasoningText {
        text: "t".into(),
        signature: None,
    });
    assert_eq!(
        serde_json::to_value(&rc).unwrap(),
        json!({"reasoningText": {"text": "t"}})
    );
    let redacted = ReasoningContent::RedactedContent("AAAA".into());
    assert_eq!(
        serde_json::to_value(&redacted).unwrap(),
        json!({"redactedContent": "AAAA"})
    );
    // A union with two keys is not a valid value.
    let bad =
        json!({"userInputMessage": {"content": "a"}, "assistantResponseMessage": {"content": "b"}});
    assert!(serde_json::from_value::<ChatMessage>(bad).is_err());
}

#[test]
fn tool_result_status_defaults_to_success() {
    let r: ToolResult = serde_json::from_value(json!({"toolUseId": "t", "content": []})).unwrap();
    assert_eq!(r.status, ToolResultStatus::Success);
    let e: ToolResult =
        serde_json::from_value(json!({"toolUseId": "t", "content": [], "status": "error"}))
            .unwrap();
    assert_eq!(e.status, ToolResultStatus::Error);
}

#[test]
fn unknown_response_fields_are_ignored() {
    let models: ListAvailableModelsResponse = serde_json::from_value(json!({
        "models": [{"modelId": "claude-sonnet-4.5", "modelName": "Sonnet", "brandNew": true,
                    "tokenLimits": {"maxInputTokens": 1_000_000, "other": 1}}],
        "defaultModel": {"modelId": "claude-sonnet-4.5"},
        "somethingElse": [1, 2]
    }))
    .unwrap();
    assert_eq!(models.models[0].context_window(), 1_000_000);
    assert_eq!(models.default_model.unwrap().context_window(), 200_000);

    let token: CreateTokenResponse = serde_json::from_value(json!({
        "accessToken": "a", "expiresIn": 3600, "issuedTokenType": "x", "aws_sso_app_session_id": "y"
    }))
    .unwrap();
    assert_eq!(token.grant.refresh_token, None);
}

#[test]
fn usage_limits_parse_and_compute() {
    let u: GetUsageLimitsResponse = serde_json::from_value(json!({
        "limits": [{"type": "AGENTIC_REQUEST", "currentUsage": 12, "totalUsageLimit": 50, "percentUsed": 24.0}],
        "nextDateReset": 1_767_225_600,
        "daysUntilReset": 9,
        "usageBreakdownList": [{
            "resourceType": "CREDIT", "currentUsage": 12, "currentUsageWithPrecision": 12.5,
            "usageLimit": 50, "usageLimitWithPrecision": 50.0,
            "freeTrialInfo": {"freeTrialStatus": "ACTIVE", "usageLimit": 500, "currentUsage": 3}
        }],
        "subscriptionInfo": {"type": "Q_DEVELOPER_STANDALONE_FREE", "subscriptionTitle": "Free"},
        "userInfo": {"email": "a@b.c"}
    }))
    .unwrap();
    assert_eq!(u.next_reset().unwrap().timestamp(), 1_767_225_600);
    assert!((u.usage_breakdown_list[0].available().unwrap() - 534.5).abs() < 1e-9);
    // Millisecond timestamps are recognised too.
    assert_eq!(
        epoch_to_datetime(1_767_225_600_000.0).unwrap().timestamp(),
        1_767_225_600
    );
    assert_eq!(epoch_to_datetime(f64::NAN), None);
}

#[test]
fn profile_region_comes_from_the_arn() {
    let p = Profile {
        arn: "arn:aws:codewhisperer:eu-central-1:1:profile/X".into(),
        ..Default::default()
    };
    assert_eq!(p.region(), Some("eu-central-1"));
    assert_eq!(arn_region("nonsense"), None);
}

#[test]
fn q_error_body_reads_both_dialects() {
    let q: QErrorBody = serde_json::from_str(
        r#"{"__type":"com.amazon.aws.codewhisperer#ValidationException","message":"Improperly formed request.","reason":null}"#,
    )
    .unwrap();
    assert_eq!(q.message.as_deref(), Some("Improperly formed request."));
    assert_eq!(q.reason, None);
    let k: QErrorBody = serde_json::from_str(
        r#"{"Message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#,
    )
    .unwrap();
    assert_eq!(k.reason.as_deref(), Some("MONTHLY_REQUEST_COUNT"));
}

#[test]
fn debug_output_hides_secrets() {
    let t = CreateTokenResponse {
        grant: TokenGrant {
            access_token: "SECRET-ACCESS".into(),
            refresh_token: Some("SECRET-REFRESH".into()),
            expires_in: Some(3600),
        },
        ..Default::default()
    };
    let shown = format!("{t:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(
        shown.contains("***") && shown.contains("3600") && shown.contains("id_token: <none>"),
        "{shown}"
    );
    let r = RegisterClientResponse {
        client_id: "cid".into(),
        client_secret: "SECRET".into(),
        ..Default::default()
    };
    let shown = format!("{r:?}");
    assert!(
        shown.contains("cid") && !shown.contains("SECRET"),
        "{shown}"
    );
}
