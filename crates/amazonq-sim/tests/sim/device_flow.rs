//! Device login end to end against the OIDC fake (amazon-q-protocol.md §2.3–§2.7, §8.2, §8.7 #1–#2):
//! register → start → pending polls (+ slow_down) → approve through the control API → token →
//! chat with it → refresh; plus denied, expired, bad client, rotation variants and Kiro auth.

use crate::common;
use crate::common::{account, account_with, body, chat_q, client, q_status, start};
use amazonq_sim::config::Rotation;
use amazonq_sim::{LogFilter, SimConfig, SimHandle};
use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

async fn post(c: &reqwest::Client, url: String, body: &Value) -> (u16, Value, Option<String>) {
    let r = c.post(url).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    let et = r
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(r.headers().contains_key("x-amzn-requestid"));
    (status, r.json().await.unwrap_or(Value::Null), et)
}

const SCOPES: [&str; 3] = [
    "codewhisperer:completions",
    "codewhisperer:analysis",
    "codewhisperer:conversations",
];

async fn register(c: &reqwest::Client, base: &str) -> (String, String) {
    let (st, v, _) = post(
        c,
        format!("{base}/client/register"),
        &json!({"clientName": "test", "clientType": "public", "scopes": SCOPES}),
    )
    .await;
    assert_eq!(st, 200);
    assert!(v["clientSecretExpiresAt"].as_i64().unwrap() > v["clientIdIssuedAt"].as_i64().unwrap());
    (
        v["clientId"].as_str().unwrap().to_owned(),
        v["clientSecret"].as_str().unwrap().to_owned(),
    )
}

async fn start_device(c: &reqwest::Client, base: &str, id: &str, secret: &str) -> Value {
    let (st, v, _) = post(c, format!("{base}/device_authorization"), &json!({"clientId": id, "clientSecret": secret, "startUrl": "https://view.awsapps.com/start"})).await;
    assert_eq!(st, 200);
    v
}

async fn poll(
    c: &reqwest::Client,
    base: &str,
    id: &str,
    secret: &str,
    code: &str,
) -> (u16, Value, Option<String>) {
    post(c, format!("{base}/token"), &json!({"clientId": id, "clientSecret": secret, "grantType": "urn:ietf:params:oauth:grant-type:device_code", "deviceCode": code})).await
}

fn frozen() -> SimConfig {
    let mut cfg = SimConfig {
        clock_start_ms: Some(1_767_225_600_000),
        ..SimConfig::default()
    };
    cfg.oidc.device_interval_s = 5;
    cfg.chat.error_type_suffix = amazonq_sim::config::ErrorTypeSuffix::Never;
    cfg
}

/// A [`frozen`] simulator with one registered OIDC client: the simulator, its base URL, an HTTP
/// client, the client id and secret.
async fn registered() -> (SimHandle, String, reqwest::Client, String, String) {
    let sim = start(frozen()).await;
    let base = sim.base_url();
    let c = client();
    let (id, secret) = register(&c, &base).await;
    (sim, base, c, id, secret)
}

/// Where the Kiro sign-in tests' logins redirect to.
const CALLBACK: &str = "http://127.0.0.1:1/cb";

/// `POST /oauth/token`: trades a login's `code` and PKCE `verifier` for tokens.
async fn oauth_token(c: &reqwest::Client, base: &str, code: &str, verifier: &str) -> (u16, Value) {
    let body = json!({"code": code, "code_verifier": verifier, "redirect_uri": CALLBACK});
    let (st, v, _) = post(c, format!("{base}/oauth/token"), &body).await;
    (st, v)
}

/// The `code` query parameter of a login redirect's `location`.
fn code_of(location: &str) -> String {
    let after = location.split("code=").nth(1).unwrap();
    after.split('&').next().unwrap().to_owned()
}

#[tokio::test]
async fn device_login_end_to_end() {
    let (sim, base, c, id, secret) = registered().await;
    let dev = start_device(&c, &base, &id, &secret).await;
    let user_code = dev["userCode"].as_str().unwrap().to_owned();
    let code = dev["deviceCode"].as_str().unwrap().to_owned();
    assert_eq!(dev["interval"], 5);
    assert!(
        dev["verificationUriComplete"]
            .as_str()
            .unwrap()
            .ends_with(&user_code)
    );
    // Pending twice, polling at the advertised interval.
    for _ in 0..2 {
        let (st, v, et) = poll(&c, &base, &id, &secret, &code).await;
        assert_eq!(
            (st, v["error"].as_str(), et.as_deref()),
            (
                400,
                Some("authorization_pending"),
                Some("AuthorizationPendingException")
            )
        );
        sim.advance_clock_ms(5_000);
    }
    // Too fast → slow_down, interval grows by 5 s.
    let (_, _, _) = poll(&c, &base, &id, &secret, &code).await;
    let (st, v, et) = poll(&c, &base, &id, &secret, &code).await;
    assert_eq!(
        (st, v["error"].as_str(), et.as_deref()),
        (400, Some("slow_down"), Some("SlowDownException"))
    );
    assert_eq!(sim.devices()[0].interval_s, 10);
    sim.advance_clock_ms(10_000);
    // Approve through the HTTP control API.
    let r = c
        .post(format!("{base}/__sim/oidc/approve"))
        .json(&json!({"userCode": user_code, "account": "me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, tok, _) = poll(&c, &base, &id, &secret, &code).await;
    assert_eq!(st, 200);
    assert_eq!(tok["tokenType"], "Bearer");
    assert_eq!(tok["expiresIn"], 3600);
    let access = tok["accessToken"].as_str().unwrap().to_owned();
    let refresh = tok["refreshToken"].as_str().unwrap().to_owned();
    assert!(
        refresh.len() > 100,
        "long refresh tokens like the real service"
    );
    // The device code is single-use.
    sim.advance_clock_ms(10_000);
    let (st, v, _) = poll(&c, &base, &id, &secret, &code).await;
    assert_eq!((st, v["error"].as_str()), (400, Some("invalid_grant")));
    // The token works for chat until it expires; then 403 bearer-invalid.
    assert_eq!(q_status(&c, &sim, &access, "hi").await, 200);
    sim.advance_clock_ms(3_600_000);
    let r = chat_q(&c, &sim, &access, &body("hi")).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The bearer token included in the request is invalid.")
    );
    // Refresh → new access token (rotated refresh token), which chats again.
    let (st, v, _) = post(&c, format!("{base}/token"), &json!({"clientId": id, "clientSecret": secret, "grantType": "refresh_token", "refreshToken": refresh})).await;
    assert_eq!(st, 200);
    let new_access = v["accessToken"].as_str().unwrap();
    let new_refresh = v["refreshToken"].as_str().unwrap();
    assert_ne!(new_refresh, refresh);
    assert_eq!(q_status(&c, &sim, new_access, "hi").await, 200);
    assert_eq!(sim.refresh_calls("me").unwrap(), 1);
    // The old refresh token was rotated away.
    let (st, v, et) = post(&c, format!("{base}/token"), &json!({"clientId": id, "clientSecret": secret, "grantType": "refresh_token", "refreshToken": refresh})).await;
    assert_eq!(
        (st, v["error_description"].as_str(), et.as_deref()),
        (
            400,
            Some("Invalid refresh token provided"),
            Some("InvalidGrantException")
        )
    );
    assert_eq!(sim.refresh_calls("me").unwrap(), 2);
    let log = sim.requests(&LogFilter {
        operation: Some("oidc".into()),
        ..LogFilter::default()
    });
    assert!(log.len() >= 9);
    assert!(
        log.iter()
            .all(|e| e.headers.iter().any(|(k, _)| k == "content-type"))
    );
}

#[tokio::test]
async fn denied_expired_and_bad_clients() {
    let (sim, base, c, id, secret) = registered().await;
    let dev = start_device(&c, &base, &id, &secret).await;
    sim.deny_device(dev["userCode"].as_str().unwrap()).unwrap();
    let (st, v, _) = poll(&c, &base, &id, &secret, dev["deviceCode"].as_str().unwrap()).await;
    assert_eq!((st, v["error"].as_str()), (400, Some("access_denied")));
    let dev = start_device(&c, &base, &id, &secret).await;
    sim.advance_clock_ms(601_000);
    let (st, v, _) = poll(&c, &base, &id, &secret, dev["deviceCode"].as_str().unwrap()).await;
    assert_eq!((st, v["error"].as_str()), (400, Some("expired_token")));
    // Wrong secret → 401 invalid_client; expired registration → 401 too.
    let (st, v, et) = post(
        &c,
        format!("{base}/device_authorization"),
        &json!({"clientId": id, "clientSecret": "nope", "startUrl": "x"}),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str(), et.as_deref()),
        (401, Some("invalid_client"), Some("InvalidClientException"))
    );
    sim.advance_clock_ms(91 * 86_400_000);
    let (st, _, _) = post(
        &c,
        format!("{base}/device_authorization"),
        &json!({"clientId": id, "clientSecret": secret, "startUrl": "x"}),
    )
    .await;
    assert_eq!(st, 401);
    // Registration errors.
    let (st, v, _) = post(
        &c,
        format!("{base}/client/register"),
        &json!({"clientName": "x", "clientType": "confidential"}),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (400, Some("invalid_client_metadata"))
    );
    let (st, v, _) = post(
        &c,
        format!("{base}/client/register"),
        &json!({"clientName": "x", "clientType": "public", "scopes": ["sso:account:access"]}),
    )
    .await;
    assert_eq!((st, v["error"].as_str()), (400, Some("invalid_scope")));
    let (st, v, et) = post(
        &c,
        format!("{base}/client/register"),
        &json!({"clientType": "public"}),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str(), et.as_deref()),
        (
            400,
            Some("invalid_request"),
            Some("InvalidRequestException")
        )
    );
    let (id, secret) = register(&c, &base).await;
    let (st, v, _) = post(
        &c,
        format!("{base}/token"),
        &json!({"clientId": id, "clientSecret": secret, "grantType": "password"}),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

#[tokio::test]
async fn rotation_policies_and_auth_faults() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let c = client();
    for (rotation, expect_new, expect_present) in [
        (Rotation::Keep, false, true),
        (Rotation::Omit, false, false),
    ] {
        let t = sim.add_account(&account_with(&format!("{rotation:?}"), |a| {
            a.token_policy.rotation = Some(rotation);
        }));
        let req = json!({"clientId": t.client_id, "clientSecret": t.client_secret, "grantType": "refresh_token", "refreshToken": t.refresh_token});
        let (st, v, _) = post(&c, format!("{base}/token"), &req).await;
        assert_eq!(st, 200);
        assert_eq!(v.get("refreshToken").is_some(), expect_present);
        assert_eq!(
            v.get("refreshToken")
                .is_some_and(|r| r != &json!(t.refresh_token)),
            expect_new
        );
        // The old one still works under both policies.
        assert_eq!(post(&c, format!("{base}/token"), &req).await.0, 200);
    }
    let t = sim.add_account(&account("rv"));
    sim.revoke_refresh("rv").unwrap();
    let req = json!({"clientId": t.client_id, "clientSecret": t.client_secret, "grantType": "refresh_token", "refreshToken": t.refresh_token});
    let (st, v, _) = post(&c, format!("{base}/token"), &req).await;
    assert_eq!((st, v["error"].as_str()), (400, Some("invalid_grant")));
    // Queued auth faults: 500, slow_down, malformed JSON, reset.
    for (fault, status) in [
        ("auth-500", Some(500)),
        ("auth-slow-down", Some(400)),
        ("auth-malformed", Some(200)),
        ("auth-reset", None),
    ] {
        sim.queue_fault(amazonq_sim::QueuedFault {
            faults: vec![fault.into()],
            account: None,
            operation: Some("oidc".into()),
            count: 1,
        })
        .unwrap();
        let r = c
            .post(format!("{base}/client/register"))
            .json(&json!({"clientName": "x", "clientType": "public"}))
            .send()
            .await;
        match status {
            Some(s) => {
                let r = r.unwrap();
                assert_eq!(r.status().as_u16(), s, "{fault}");
                if fault == "auth-malformed" {
                    assert!(serde_json::from_str::<Value>(&r.text().await.unwrap()).is_err());
                }
            }
            None => assert!(r.is_err(), "auth-reset must kill the connection"),
        }
    }
}

#[tokio::test]
async fn kiro_social_refresh() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let c = client();
    let t = sim.add_account(&amazonq_sim::AccountSpec {
        kind: amazonq_sim::AuthKind::Social,
        ..account("k1")
    });
    let (st, v, _) = post(
        &c,
        format!("{base}/refreshToken"),
        &json!({"refreshToken": t.refresh_token}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(v["profileArn"], json!(t.profile_arn));
    assert!(v["refreshToken"].as_str().unwrap().len() >= 100);
    // Truncated (short) refresh tokens are never valid; a dead one → 400 invalid_grant.
    let (st, v, _) = post(
        &c,
        format!("{base}/refreshToken"),
        &json!({"refreshToken": &t.refresh_token[..60]}),
    )
    .await;
    assert_eq!((st, v["error"].as_str()), (400, Some("invalid_grant")));
    let (st, _, _) = post(
        &c,
        format!("{base}/refreshToken"),
        &json!({"refreshToken": t.refresh_token}),
    )
    .await;
    assert_eq!(st, 400, "rotated away");
    assert_eq!(sim.refresh_calls("k1").unwrap(), 2);
}

#[tokio::test]
async fn kiro_pkce_login() {
    let sim = start(SimConfig::default()).await;
    let base = sim.base_url();
    let c = client();
    // PKCE login: /login redirects with code; /oauth/token verifies S256.
    let verifier = "x".repeat(43);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let nc = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // `GET /login` redirecting to the loopback callback, with the rest of its `query`.
    let login = |query: String| {
        nc.get(format!("{base}/login?redirect_uri={CALLBACK}&{query}"))
            .send()
    };
    let s256 = format!("code_challenge={challenge}&code_challenge_method=S256");
    let r = login(format!("idp=Github&{s256}&state=st")).await.unwrap();
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let code = code_of(&loc);
    assert!(loc.ends_with("state=st"));
    let (st, _) = oauth_token(&c, &base, &code, "wrong").await;
    assert_eq!(st, 400);
    // The login page refuses an unknown idp, a missing state and a non-S256 challenge, and can
    // report a failed sign-in with `error` in the redirect.
    for bad in [
        format!("idp=Gitlab&code_challenge={challenge}&code_challenge_method=S256&state=s"),
        format!("idp=Github&code_challenge={challenge}&code_challenge_method=S256"),
        "idp=Github&code_challenge=short&code_challenge_method=S256&state=s".to_owned(),
        format!("idp=Github&code_challenge={challenge}&code_challenge_method=plain&state=s"),
    ] {
        let r = login(bad.clone()).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    let r = login(format!(
        "idp=Github&{s256}&state=a%20b&sim_error=access_denied"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        loc.starts_with("http://127.0.0.1:1/cb?error=access_denied&error_description=")
            && loc.ends_with("&state=a%20b"),
        "{loc}"
    );
    let r = login(format!("idp=Google&{s256}&state=s2")).await.unwrap();
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let code = code_of(&loc);
    let (st, v) = oauth_token(&c, &base, &code, &verifier).await;
    assert_eq!(st, 200);
    assert!(
        v["profileArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:codewhisperer:")
    );
    let r = common::chat_k(&c, &sim, v["accessToken"].as_str().unwrap(), &body("hi")).await;
    assert_eq!(r.status(), 200);
}
