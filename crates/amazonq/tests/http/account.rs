//! Account APIs against a loopback server: the management host's JSON 1.0 targets with
//! `profileArn` in query and body (kiro-2026-endpoints.md §1, §5, §6), and today's two dialects
//! on the legacy `q.*` host.

use amazonq::client::{AuthKind, BUILDER_ID_SERVICE_ARN, ClientError, Dialect, QClient};
use amazonq::error::ErrorClass;
use amazonq::types::{GetUsageLimitsRequest, ListAvailableProfilesRequest};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::chat::{config, creds, legacy};

const OWN_ARN: &str = "arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC";
const OWN_ARN_QUERY: &str = "arn%3Aaws%3Acodewhisperer%3Aus-east-1%3A123456789012%3Aprofile%2FABC";
use crate::server::{Log, Seen, serve};

async fn q_root(State(log): State<Log>, req: Request<Body>) -> Response {
    let seen = log.record(req).await;
    let body = match seen.header("x-amz-target") {
        Some("KiroControlPlaneBearerService.ListAvailableModels") => {
            json!({"models": [{"modelId": "claude-opus-4.8", "tokenLimits": {"maxInputTokens": 1_000_000}}, {"modelId": "deepseek-3.2"}]})
        }
        Some("AmazonCodeWhispererService.ListAvailableModels") => {
            if seen.json().get("nextToken").is_none() {
                json!({"models": [{"modelId": "claude-sonnet-4.5", "tokenLimits": {"maxInputTokens": 200_000}}],
                       "defaultModel": {"modelId": "claude-sonnet-4.5"}, "nextToken": "p2"})
            } else {
                json!({"models": [{"modelId": "claude-haiku-4.5", "unknownKey": 1}]})
            }
        }
        Some("AmazonCodeWhispererService.GetUsageLimits") => {
            json!({"limits": [], "nextDateReset": 1_767_225_600, "usageBreakdownList": [{"resourceType": "CREDIT", "usageLimit": 50, "currentUsage": 10}]})
        }
        Some("AmazonCodeWhispererService.ListAvailableProfiles") => {
            json!({"profiles": [{"arn": "arn:aws:codewhisperer:eu-central-1:1:profile/P", "profileName": "P"}]})
        }
        _ => {
            return Response::builder()
                .status(400)
                .header("x-amzn-errortype", "UnknownOperationException")
                .body(Body::from("{}"))
                .unwrap();
        }
    };
    Response::new(Body::from(body.to_string()))
}

async fn kiro_get(State(log): State<Log>, req: Request<Body>) -> Response {
    let seen = log.record(req).await;
    let body = if seen.uri.starts_with("/ListAvailableModels") {
        json!({"models": [{"modelId": "claude-opus-4.5"}], "defaultModel": {"modelId": "auto"}})
    } else {
        json!({"limits": [], "subscriptionInfo": {"type": "Q_DEVELOPER_STANDALONE_PRO"}})
    };
    Response::new(Body::from(body.to_string()))
}

async fn server() -> (String, Log) {
    let log = Log::default();
    let router = Router::new()
        .route("/", post(q_root))
        .route("/ListAvailableModels", get(kiro_get))
        .route("/getUsageLimits", get(kiro_get))
        .with_state(log.clone());
    (serve(router).await, log)
}

/// A client of a fresh [`server`], and the server's log.
async fn client() -> (QClient, Log) {
    let (url, log) = server().await;
    (QClient::new(config(&url)).unwrap(), log)
}

/// `seen` was an AWS JSON 1.0 call with this body.
fn assert_json_1_0(seen: &Seen, body: &Value) {
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-amz-json-1.0")
    );
    assert_eq!(&seen.json(), body);
}

#[tokio::test]
async fn management_calls_carry_the_profile_in_query_and_body() {
    let (client, log) = client().await;
    let idc = creds(Dialect::AmazonQ, AuthKind::IdentityCenter, "t");
    let (models, _) = client.list_all_models(&idc, "AI_EDITOR").await.unwrap();
    let ids: Vec<_> = models.iter().map(|m| m.model_id.as_str()).collect();
    assert_eq!(ids, ["claude-opus-4.8", "deepseek-3.2"]);
    let request = GetUsageLimitsRequest {
        origin: None,
        resource_type: Some("AGENTIC_REQUEST".into()),
        is_email_required: Some(true),
        profile_arn: None,
    };
    let usage = client.get_usage_limits(&idc, &request).await.unwrap();
    assert_eq!(usage.usage_breakdown_list[0].available(), Some(40.0));
    let builder = creds(Dialect::AmazonQ, AuthKind::BuilderId, "t");
    client.list_all_models(&builder, "AI_EDITOR").await.unwrap();
    let profiles = client
        .list_available_profiles(&idc, &ListAvailableProfilesRequest::default())
        .await
        .unwrap();
    assert_eq!(profiles.profiles.len(), 1);

    let seen = log.all();
    assert_eq!(seen.len(), 4);
    // Model list: control-plane target, origin + ARN in the query and in the body.
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].uri,
        format!("/?origin=AI_EDITOR&profileArn={OWN_ARN_QUERY}")
    );
    assert_json_1_0(
        &seen[0],
        &json!({"origin": "AI_EDITOR", "profileArn": OWN_ARN}),
    );
    assert!(
        seen[0]
            .header("user-agent")
            .unwrap()
            .contains("api/kirocontrolplanebearer/"),
        "{:?}",
        seen[0].header("user-agent")
    );
    // Usage limits: exactly the captured contract (no resourceType).
    assert_eq!(
        seen[1].header("x-amz-target"),
        Some("AmazonCodeWhispererService.GetUsageLimits")
    );
    assert_eq!(
        seen[1].uri,
        format!("/?origin=AI_EDITOR&isEmailRequired=true&profileArn={OWN_ARN_QUERY}")
    );
    assert_eq!(
        seen[1].json(),
        json!({"origin": "AI_EDITOR", "isEmailRequired": true, "profileArn": OWN_ARN})
    );
    // Builder ID: the request-scoped service ARN, on the management host too.
    assert_eq!(seen[2].json()["profileArn"], BUILDER_ID_SERVICE_ARN);
    // Profiles: `{"maxResults":10}` as Kiro sends it.
    assert_eq!(
        seen[3].header("x-amz-target"),
        Some("AmazonCodeWhispererService.ListAvailableProfiles")
    );
    assert_eq!(seen[3].json(), json!({"maxResults": 10}));
}

#[tokio::test]
async fn legacy_list_models_amazon_q_paginates() {
    let (client, log) = client().await;
    let c = legacy(creds(Dialect::AmazonQ, AuthKind::IdentityCenter, "t"));
    let (models, default) = client.list_all_models(&c, "CLI").await.unwrap();
    let ids: Vec<_> = models.iter().map(|m| m.model_id.as_str()).collect();
    assert_eq!(ids, ["claude-sonnet-4.5", "claude-haiku-4.5"]);
    assert_eq!(default.unwrap().model_id, "claude-sonnet-4.5");
    let seen = log.all();
    assert_eq!(seen.len(), 2);
    assert_json_1_0(&seen[0], &json!({"origin": "CLI", "profileArn": OWN_ARN}));
    assert_eq!(seen[1].json()["nextToken"], "p2");
}

#[tokio::test]
async fn legacy_list_models_kiro_uses_get_with_query() {
    let (client, log) = client().await;
    let c = legacy(creds(Dialect::Kiro, AuthKind::Social, "t"));
    let (models, default) = client.list_all_models(&c, "AI_EDITOR").await.unwrap();
    assert_eq!(models[0].model_id, "claude-opus-4.5");
    assert_eq!(default.unwrap().model_id, "auto");
    assert_eq!(
        log.all()[0].uri,
        format!("/ListAvailableModels?origin=AI_EDITOR&profileArn={OWN_ARN_QUERY}")
    );
}

#[tokio::test]
async fn legacy_usage_limits_both_dialects() {
    let (client, log) = client().await;
    let request = GetUsageLimitsRequest {
        origin: Some("AI_EDITOR".into()),
        resource_type: Some("AGENTIC_REQUEST".into()),
        is_email_required: Some(true),
        profile_arn: None,
    };
    let usage = async |dialect| {
        let c = legacy(creds(dialect, AuthKind::BuilderId, "t"));
        client.get_usage_limits(&c, &request).await.unwrap()
    };
    let q = usage(Dialect::AmazonQ).await;
    assert_eq!(q.next_reset().unwrap().timestamp(), 1_767_225_600);
    assert_eq!(q.usage_breakdown_list[0].available(), Some(40.0));
    let k = usage(Dialect::Kiro).await;
    assert_eq!(
        k.subscription_info.unwrap().kind.as_deref(),
        Some("Q_DEVELOPER_STANDALONE_PRO")
    );
    let seen = log.all();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].uri,
        "/?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST&isEmailRequired=true"
    );
    assert_eq!(
        seen[0].header("x-amz-target"),
        Some("AmazonCodeWhispererService.GetUsageLimits")
    );
    assert_eq!(seen[1].method, "GET");
    assert_eq!(
        seen[1].uri,
        "/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST&isEmailRequired=true"
    );
}

#[tokio::test]
async fn list_profiles_and_errors() {
    let (url, _) = server().await;
    let client = QClient::new(config(&url)).unwrap();
    let c = creds(Dialect::AmazonQ, AuthKind::IdentityCenter, "t");
    let profiles = client
        .list_available_profiles(&c, &ListAvailableProfilesRequest::default())
        .await
        .unwrap();
    assert_eq!(profiles.profiles[0].region(), Some("eu-central-1"));

    // An unknown route answers 404/405 and is classified, not a panic.
    let client = QClient::new(config(&format!("{url}/nope"))).unwrap();
    let err = client
        .list_available_profiles(&c, &ListAvailableProfilesRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Http(ref h) if h.status == 404 || h.status == 405),
        "{err:?}"
    );
    assert!(matches!(err.class(), ErrorClass::BadRequest { .. }));
}
