//! SSO OIDC device flow and refresh, and Kiro social refresh, against a
//! scripted loopback server.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amazonq::error::ErrorClass;
use amazonq::kiro_auth::KiroAuthClient;
use amazonq::oidc::{
    AuthError, ClientRegistration, DeviceLogin, OidcClient, Q_CLIENT_NAME, Q_SCOPES,
};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::post;
use chrono::Utc;
use serde_json::{Value, json};

use crate::server::{Log, serve};

/// Canned `(status, JSON body)` answers of one path.
type Answers = VecDeque<(u16, Value)>;

/// Per-path queues of canned answers; the last one repeats.
#[derive(Clone, Default)]
struct Script {
    log: Log,
    answers: Arc<Mutex<Vec<(String, Answers)>>>,
}

impl Script {
    fn on(self, path: &str, answers: Vec<(u16, Value)>) -> Self {
        self.answers
            .lock()
            .unwrap()
            .push((path.to_owned(), answers.into()));
        self
    }

    async fn url(self) -> String {
        serve(Router::new().fallback(post(scripted)).with_state(self)).await
    }
}

fn oidc_error(code: &str) -> (u16, Value) {
    let status = if code == "invalid_client" { 401 } else { 400 };
    (
        status,
        json!({"error": code, "error_description": format!("{code} happened")}),
    )
}

fn exception_name(code: &str) -> &'static str {
    match code {
        "authorization_pending" => "AuthorizationPendingException",
        "slow_down" => "SlowDownException",
        "expired_token" => "ExpiredTokenException",
        "access_denied" => "AccessDeniedException",
        "invalid_client" => "InvalidClientException",
        _ => "InvalidGrantException",
    }
}

async fn scripted(State(script): State<Script>, req: Request<Body>) -> Response {
    let seen = script.log.record(req).await;
    let path = seen.uri.clone();
    let (status, body) = {
        let mut all = script.answers.lock().unwrap();
        let queue = &mut all
            .iter_mut()
            .find(|(p, _)| *p == path)
            .expect("scripted path")
            .1;
        if queue.len() > 1 {
            queue.pop_front().unwrap()
        } else {
            queue[0].clone()
        }
    };
    let mut response = Response::builder().status(StatusCode::from_u16(status).unwrap());
    if let Some(code) = body.get("error").and_then(Value::as_str) {
        response = response.header("x-amzn-errortype", exception_name(code));
    }
    response.body(Body::from(body.to_string())).unwrap()
}

fn registration(id: &str) -> (u16, Value) {
    (
        200,
        json!({"clientId": id, "clientSecret": format!("secret-{id}"), "clientIdIssuedAt": 1,
                 "clientSecretExpiresAt": Utc::now().timestamp() + 7_776_000}),
    )
}

fn device(code: &str) -> (u16, Value) {
    (
        200,
        json!({"deviceCode": code, "userCode": format!("USER-{code}"), "verificationUri": "http://v",
                 "verificationUriComplete": format!("http://v?code={code}"), "expiresIn": 600, "interval": 1}),
    )
}

fn token(access: &str, refresh: Option<&str>) -> (u16, Value) {
    let mut t = json!({"accessToken": access, "tokenType": "Bearer", "expiresIn": 3600});
    if let Some(r) = refresh {
        t["refreshToken"] = json!(r);
    }
    (200, t)
}

/// 1 protocol second = 50 ms, so slow_down's +5 is +250 ms.
const UNIT: Duration = Duration::from_millis(50);

fn oidc(url: &str) -> OidcClient {
    OidcClient::new(url, Duration::from_millis(500))
        .unwrap()
        .with_time_unit(UNIT)
}

/// A Q device login (from `cached`, for `start_url`) against `script`: its result, the user
/// codes it showed, and the requests the server saw.
async fn device_login(
    script: Script,
    cached: Option<ClientRegistration>,
    start_url: &str,
) -> (Result<DeviceLogin, AuthError>, Vec<String>, Log) {
    let log = script.log.clone();
    let url = script.url().await;
    let mut codes = Vec::new();
    let login = oidc(&url)
        .device_login(cached, Q_CLIENT_NAME, &Q_SCOPES, start_url, |a| {
            codes.push(a.user_code.clone());
        })
        .await;
    (login, codes, log)
}

#[tokio::test]
async fn device_flow_pending_then_slow_down_then_success() {
    let script = Script::default()
        .on("/client/register", vec![registration("c1")])
        .on("/device_authorization", vec![device("d1")])
        .on(
            "/token",
            vec![
                oidc_error("authorization_pending"),
                oidc_error("slow_down"),
                token("acc-1", Some("ref-1")),
            ],
        );
    let (login, codes, log) = device_login(script, None, amazonq::oidc::BUILDER_ID_START_URL).await;
    let login = login.unwrap();
    assert_eq!(codes, ["USER-d1"]);
    assert_eq!(login.token.access_token, "acc-1");
    assert_eq!(login.token.refresh_token.as_deref(), Some("ref-1"));
    assert_eq!(login.registration.client_id, "c1");
    assert!(login.token.expires_at > Utc::now() + chrono::Duration::seconds(3500));

    let seen = log.all();
    let register = seen[0].json();
    assert_eq!(register["clientType"], "public");
    assert_eq!(register["scopes"], json!(Q_SCOPES));
    assert_eq!(seen[1].json()["startUrl"], "https://view.awsapps.com/start");
    let polls: Vec<_> = seen.iter().filter(|s| s.uri == "/token").collect();
    assert_eq!(polls.len(), 3);
    assert_eq!(
        polls[0].json()["grantType"],
        "urn:ietf:params:oauth:grant-type:device_code"
    );
    assert_eq!(polls[0].json()["deviceCode"], "d1");
    // interval (1 unit) between the first polls; interval + 5 after slow_down.
    let before = polls[1].at - polls[0].at;
    let after = polls[2].at - polls[1].at;
    assert!(before >= UNIT && before < UNIT * 5, "{before:?}");
    assert!(after >= UNIT * 6, "slow_down must add 5 units: {after:?}");
}

#[tokio::test]
async fn device_flow_restarts_on_expired_code_and_reregisters_on_invalid_client() {
    let script = Script::default()
        .on(
            "/client/register",
            vec![registration("c1"), registration("c2")],
        )
        .on(
            "/device_authorization",
            vec![device("d1"), device("d2"), device("d3")],
        )
        .on(
            "/token",
            vec![
                oidc_error("expired_token"),
                oidc_error("invalid_client"),
                token("acc", None),
            ],
        );
    let (login, codes, log) = device_login(script, None, "https://d-1.awsapps.com/start").await;
    let login = login.unwrap();
    assert_eq!(codes, ["USER-d1", "USER-d2", "USER-d3"]);
    assert_eq!(
        login.registration.client_id, "c2",
        "invalid_client forces a new registration"
    );
    assert_eq!(login.token.refresh_token, None);
    let registers = log
        .all()
        .iter()
        .filter(|s| s.uri == "/client/register")
        .count();
    assert_eq!(registers, 2);
}

#[tokio::test]
async fn device_flow_reuses_a_cached_registration_and_stops_on_denial() {
    let script = Script::default()
        .on("/device_authorization", vec![device("d1")])
        .on(
            "/token",
            vec![
                oidc_error("authorization_pending"),
                oidc_error("access_denied"),
            ],
        );
    let cached = ClientRegistration {
        client_id: "cached".into(),
        client_secret: "s".into(),
        expires_at: Utc::now() + chrono::Duration::days(30),
        scopes: Q_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
    };
    let (login, _, log) =
        device_login(script, Some(cached), "https://view.awsapps.com/start").await;
    let err = login.unwrap_err();
    assert_eq!(err, AuthError::Denied);
    let seen = log.all();
    assert!(
        seen.iter().all(|s| s.uri != "/client/register"),
        "a usable cached registration is reused"
    );
    assert_eq!(seen[0].json()["clientId"], "cached");
}

fn reg() -> ClientRegistration {
    ClientRegistration {
        client_id: "c".into(),
        client_secret: "s".into(),
        expires_at: Utc::now() + chrono::Duration::days(1),
        scopes: vec![],
    }
}

#[tokio::test]
async fn refresh_with_and_without_a_rotated_token() {
    let script = Script::default().on(
        "/token",
        vec![token("acc-2", Some("ref-rotated")), token("acc-3", None)],
    );
    let log = script.log.clone();
    let url = script.url().await;
    let client = oidc(&url);
    let first = client.refresh(&reg(), "ref-old").await.unwrap();
    assert_eq!(first.access_token, "acc-2");
    assert_eq!(first.refresh_token.as_deref(), Some("ref-rotated"));
    let second = client.refresh(&reg(), "ref-rotated").await.unwrap();
    assert_eq!(second.access_token, "acc-3");
    assert_eq!(
        second.refresh_token.as_deref(),
        Some("ref-rotated"),
        "kept when none is returned"
    );
    let body = log.all()[0].json();
    assert_eq!(
        body,
        json!({"clientId": "c", "clientSecret": "s", "grantType": "refresh_token", "refreshToken": "ref-old"})
    );
}

#[tokio::test]
async fn refresh_with_a_dead_token() {
    let url = Script::default()
        .on("/token", vec![oidc_error("invalid_grant")])
        .url()
        .await;
    let err = oidc(&url).refresh(&reg(), "dead").await.unwrap_err();
    assert_eq!(err.code(), Some("invalid_grant"));
    assert_eq!(err.class(), ErrorClass::RefreshTokenDead);
}

#[tokio::test]
async fn kiro_refresh_with_and_without_rotation() {
    let script = Script::default().on(
        "/refreshToken",
        vec![
            (200, json!({"accessToken": "k1", "refreshToken": "kr2", "profileArn": "arn:p", "expiresIn": 3600})),
            (200, json!({"accessToken": "k2"})),
            (400, json!({"error": "invalid_grant", "error_description": "Invalid refresh token provided"})),
        ],
    );
    let log = script.log.clone();
    let url = script.url().await;
    let client = KiroAuthClient::new(&url, Duration::from_millis(500)).unwrap();
    let first = client
        .refresh("kr1", None, Some("mid"), None)
        .await
        .unwrap();
    assert_eq!(
        (first.access_token.as_str(), first.refresh_token.as_str()),
        ("k1", "kr2")
    );
    assert_eq!(first.profile_arn.as_deref(), Some("arn:p"));
    let second = client
        .refresh("kr2", Some("arn:p"), None, None)
        .await
        .unwrap();
    assert_eq!(
        (second.access_token.as_str(), second.refresh_token.as_str()),
        ("k2", "kr2")
    );
    assert_eq!(
        second.profile_arn.as_deref(),
        Some("arn:p"),
        "kept when none is returned"
    );
    let err = client.refresh("kr2", None, None, None).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::RefreshTokenDead);
    let seen = log.all();
    assert_eq!(seen[0].json(), json!({"refreshToken": "kr1"}));
    assert_eq!(seen[0].header("user-agent"), Some("KiroIDE-0.8.0-mid"));
}
