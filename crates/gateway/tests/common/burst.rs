//! The "feed then burst" scenario of issue 17 item 1, shared by the single-instance test
//! (`pool::admin`) and the fleet test (`fleet::cluster`): simulator accounts with refresh tokens
//! only, a slow auth endpoint, the feed body, and a burst of concurrent `/v1/messages`.

use amazonq_sim::{AccountTokens, SimHandle};

use super::pool::spec;
use serde_json::{Value, json};

/// `n` simulator accounts `<prefix>-000…`, and every refresh made slow (150 ms, as a real auth
/// endpoint may be): the validation of the fed accounts (four at a time) and a burst's request
/// path then meet on most accounts.
pub fn accounts(sim: &SimHandle, prefix: &str, n: usize) -> Vec<AccountTokens> {
    super::faults::queue(sim, "oidc", "auth-delay:150", 1_000);
    (0..n)
        .map(|i| sim.add_account(&spec(format!("{prefix}-{i:03}"))))
        .collect()
}

/// The `POST /v2/accounts/feed` body for `tokens` (refresh tokens and client registrations only).
pub fn feed(tokens: &[AccountTokens]) -> Value {
    let items: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({"auth_method": "builder_id", "label": t.account,
                "refresh_token": t.refresh_token, "client_id": t.client_id,
                "client_secret": t.client_secret})
        })
        .collect();
    json!({ "accounts": items })
}

/// `n` concurrent `/v1/messages` spread over `urls` (with `api_key` when set); every one must
/// answer 200.
pub async fn burst(http: &reqwest::Client, urls: &[String], api_key: Option<&str>, n: usize) {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let mut rb = http
            .post(&urls[i % urls.len()])
            .header("anthropic-version", "2023-06-01")
            .json(
                &json!({"model": "claude-sonnet-4-5-20250929", "max_tokens": 64,
                "messages": [{"role": "user", "content": format!("#say ok {i}")}]}),
            );
        if let Some(key) = api_key {
            rb = rb.header("x-api-key", key);
        }
        set.spawn(async move {
            let r = rb.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        });
    }
    while let Some(r) = set.join_next().await {
        let (status, body) = r.unwrap();
        assert_eq!(status, 200, "{body}");
    }
}

/// Asserts the simulator saw exactly one refresh of every account.
pub fn refreshed_once(sim: &SimHandle, tokens: &[AccountTokens]) {
    for t in tokens {
        let n = sim.refresh_calls(&t.account).unwrap();
        assert_eq!(n, 1, "{} refreshed {n} times", t.account);
    }
}
