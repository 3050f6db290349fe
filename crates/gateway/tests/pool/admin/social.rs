//! Kiro GitHub / Google sign-in through the admin API (issue 21) against `amazonq-sim`:
//! `POST /v2/auth/social/start` → the simulator's `/login` (PKCE S256, state) → the `kiro://`
//! callback → `POST /v2/auth/social/finish`, the account serving a chat with its profile ARN, and
//! every refusal (state mismatch, expired / reused / foreign / unknown login id, `error=`
//! callback, refused exchange) a 400 naming what went wrong, with nothing stored.

use amazonq_sim::{LogFilter, SimConfig, Simulator};
use reqwest::Method;
use serde_json::{Value, json};

use super::Server;
use crate::common::server;

/// Follows the sign-in address on the simulator (as the browser would) and returns the `kiro://`
/// address it redirects to. `extra` adds simulator-only parameters (`account=…`, `sim_error=…`).
async fn follow(url: &str, extra: &str) -> String {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client.get(format!("{url}{extra}")).send().await.unwrap();
    assert_eq!(r.status(), 302, "{url}");
    r.headers()["location"].to_str().unwrap().to_owned()
}

async fn start(server: &Server, provider: &str) -> (String, String) {
    let (status, v) = server
        .call(
            Method::POST,
            "/v2/auth/social/start",
            Some(json!({"provider": provider})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["expires_at"].is_string(), "{v}");
    (
        v["login_id"].as_str().unwrap().to_owned(),
        v["url"].as_str().unwrap().to_owned(),
    )
}

async fn finish(server: &Server, login_id: &str, callback: &str) -> (u16, Value) {
    server
        .call(
            Method::POST,
            "/v2/auth/social/finish",
            Some(json!({"login_id": login_id, "callback_url": callback})),
        )
        .await
}

/// Asserts a 400 whose field and message name the problem.
fn refused((status, v): (u16, Value), field: &str, words: &str) {
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["field"], field, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains(words), "{message:?} lacks {words:?}");
}

async fn accounts(server: &Server) -> u64 {
    let (_, v) = server.call(Method::GET, "/v2/accounts", None).await;
    v["total"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_sign_in_adds_an_account_that_serves_chat() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let server = Server::start(&sim).await;
    let (login_id, url) = start(&server, "github").await;
    // The address carries the S256 challenge and state; the verifier stays on the server.
    for part in [
        "/login?idp=Github&",
        "redirect_uri=kiro%3A%2F%2Fkiro.kiroAgent%2Fauthenticate-success",
        "code_challenge_method=S256",
        "&state=",
    ] {
        assert!(url.contains(part), "{url} lacks {part}");
    }
    assert!(!url.contains("verifier"), "{url}");

    let callback = follow(&url, "&account=gh-user").await;
    assert!(
        callback.starts_with("kiro://kiro.kiroAgent/authenticate-success?code="),
        "{callback}"
    );
    let (status, account) = finish(&server, &login_id, &callback).await;
    assert_eq!(status, 201, "{account}");
    let arn = sim.account("gh-user").unwrap().profile_arn.unwrap();
    assert_eq!(account["auth_method"], "social");
    assert_eq!(account["profile_arn"], arn.as_str());
    assert_eq!(
        account["api_region"].as_str(),
        amazonq::types::arn_region(&arn)
    );
    assert_eq!(account["region"], "us-east-1");
    assert_eq!(account["status"], "active", "{account}");
    assert!(
        account["label"]
            .as_str()
            .unwrap()
            .starts_with("Kiro GitHub "),
        "{account}"
    );
    // Validated on the way in: the model list was read with the new token.
    let listed = sim.requests(&LogFilter {
        account: Some("gh-user".into()),
        ..LogFilter::default()
    });
    assert!(
        listed
            .iter()
            .any(|e| e.decision.operation.contains("models")),
        "{:?}",
        listed
            .iter()
            .map(|e| &e.decision.operation)
            .collect::<Vec<_>>()
    );

    // A finished login id cannot be used again.
    refused(
        finish(&server, &login_id, &callback).await,
        "login_id",
        "already finished",
    );

    // The account serves a chat, with the profile ARN from the exchange.
    let (_, key) = server
        .gw
        .create_key(&server.token, json!({"name": "social"}))
        .await;
    let r = server
        .gw
        .client
        .post(server.gw.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&json!({"model": "claude-sonnet-4.5",
            "messages": [{"role": "user", "content": "#say hello from github"}]}))
        .send()
        .await
        .unwrap();
    let (status, body) = server::into_json(r).await;
    assert_eq!(status, 200, "{body}");
    let content = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(content.contains("hello from github"), "{body}");
    let chats: Vec<_> = sim
        .requests(&LogFilter {
            account: Some("gh-user".into()),
            ..LogFilter::default()
        })
        .into_iter()
        .filter(|e| e.decision.operation == "chat")
        .collect();
    assert_eq!(chats.len(), 1);
    let sent = chats[0].json.as_ref().unwrap();
    assert_eq!(sent["profileArn"], arn.as_str(), "{sent}");

    // Both steps are in the audit trail, with the login id and the new account.
    let (_, audit) = server.call(Method::GET, "/v2/audit", None).await;
    let text = audit.to_string();
    for needle in ["auth.social.start", "auth.social.finish", &login_id] {
        assert!(text.contains(needle), "audit lacks {needle}: {text}");
    }
    assert!(
        text.contains(account["id"].as_str().unwrap()),
        "audit lacks the account: {text}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failed_finish_is_a_named_400_and_stores_nothing() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let server = Server::start(&sim).await;

    // Unknown provider and region are refused at start.
    let (status, v) = server
        .call(
            Method::POST,
            "/v2/auth/social/start",
            Some(json!({"provider": "gitlab"})),
        )
        .await;
    assert_eq!(
        (status, &v["error"]["field"]),
        (400, &json!("provider")),
        "{v}"
    );
    let (status, v) = server
        .call(
            Method::POST,
            "/v2/auth/social/start",
            Some(json!({"provider": "google", "region": "us-east-1/../x"})),
        )
        .await;
    assert_eq!(
        (status, &v["error"]["field"]),
        (400, &json!("region")),
        "{v}"
    );

    // State mismatch: the callback of one sign-in pasted into another. Uses the login id up.
    let (id_a, url_a) = start(&server, "google").await;
    let (id_b, url_b) = start(&server, "google").await;
    let callback_b = follow(&url_b, "").await;
    refused(
        finish(&server, &id_a, &callback_b).await,
        "callback_url",
        "state",
    );
    refused(
        finish(&server, &id_a, &follow(&url_a, "").await).await,
        "login_id",
        "already finished",
    );

    // Not a callback address: refused without using the login id up.
    refused(
        finish(&server, &id_b, "kiro://kiro.kiroAgent/authenticate-success").await,
        "callback_url",
        "no query",
    );
    // Another admin session cannot finish it either (and does not use it up).
    let other = server.gw.login().await;
    let (status, v) = server
        .gw
        .call(
            &other,
            Method::POST,
            "/v2/auth/social/finish",
            Some(json!({"login_id": id_b, "callback_url": callback_b})),
        )
        .await;
    refused((status, v), "login_id", "another admin session");

    // Refused exchange: right state, forged code.
    let forged = callback_b.replace("code=", "code=forged-");
    refused(
        finish(&server, &id_b, &forged).await,
        "callback_url",
        "refused the code exchange",
    );

    // The sign-in page reported an error.
    let (id_c, url_c) = start(&server, "github").await;
    let denied = follow(&url_c, "&sim_error=access_denied").await;
    assert!(denied.contains("error=access_denied"), "{denied}");
    refused(
        finish(&server, &id_c, &denied).await,
        "callback_url",
        "access_denied",
    );

    // Unknown login id.
    refused(
        finish(&server, "no-such-login", &callback_b).await,
        "login_id",
        "unknown login id",
    );
    assert_eq!(
        accounts(&server).await,
        0,
        "a failed sign-in stored an account"
    );

    // Failures are audited with what went wrong.
    let (_, audit) = server.call(Method::GET, "/v2/audit", None).await;
    let text = audit.to_string();
    assert!(
        text.contains("refused the code exchange") && text.contains(&id_b),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_expires() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let server = Server::start_with(&sim, "  social_login_ttl_ms: 200\n").await;
    let (login_id, url) = start(&server, "github").await;
    let callback = follow(&url, "").await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    refused(
        finish(&server, &login_id, &callback).await,
        "login_id",
        "expired",
    );
    refused(
        finish(&server, &login_id, &callback).await,
        "login_id",
        "already finished",
    );
    assert_eq!(accounts(&server).await, 0);
    server.stop().await;
}
