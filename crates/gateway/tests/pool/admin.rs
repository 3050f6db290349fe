//! The pool behind the admin API of a real `claude-server` (`serve_with` on 127.0.0.1) with
//! `amazonq-sim` as every upstream host: device login (`POST /v2/auth/start` → simulator approve →
//! `GET /v2/auth/status/:id`), fed accounts validated in the background, force refresh and quota;
//! Kiro GitHub / Google sign-in in `social`.

mod social;

use crate::common::pool::spec;
use std::time::Duration;

use crate::common::server::{self, Gateway};
use amazonq_sim::{AccountSpec, SimConfig, SimHandle, Simulator};
use gateway::Extensions;
use reqwest::Method;
use serde_json::{Value, json};

/// The gateway of these tests (shared harness) with its admin token.
struct Server {
    gw: Gateway,
    token: String,
}

impl Server {
    async fn start(sim: &SimHandle) -> Self {
        Self::start_with(sim, "").await
    }

    /// With `pool_yaml` (indented `pool.*` lines) added.
    async fn start_with(sim: &SimHandle, pool_yaml: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pool = format!(
            "pool:\n  device_time_unit_ms: 50\n  refresh_check_ms: 3600000\n  quota_refresh_ms: 0\n{pool_yaml}"
        );
        let config = server::config(
            &dir,
            &sim.base_url(),
            "{connect: 2, first_byte: 5, idle: 5, auth: 5}",
            &pool,
            2,
        );
        let gw = Gateway::spawn(dir, config, Extensions::default()).await;
        let token = gw.login().await;
        Self { gw, token }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.gw.call(&self.token, method, path, body).await
    }

    async fn stop(self) {
        self.gw.stop().await;
    }
}

/// Feeds one account through `POST /v2/accounts/feed`; returns its id.
async fn feed_one(server: &Server, item: Value) -> String {
    let (status, fed) = server
        .call(
            Method::POST,
            "/v2/accounts/feed",
            Some(json!({ "accounts": [item] })),
        )
        .await;
    assert!(status == 200 || status == 201, "{fed}");
    fed["created"][0].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_login_completes_through_the_admin_api() {
    let mut sim_config = SimConfig::default();
    sim_config.oidc.device_interval_s = 1;
    sim_config.oidc.enforce_slow_down = false;
    let sim = Simulator::start(sim_config).await.unwrap();
    let server = Server::start(&sim).await;

    let (status, started) = server
        .call(Method::POST, "/v2/auth/start", Some(json!({})))
        .await;
    assert_eq!(status, 200, "{started}");
    let auth_id = started["auth_id"].as_str().unwrap().to_owned();
    let user_code = started["user_code"].as_str().unwrap().to_owned();
    assert!(
        started["verification_uri_complete"]
            .as_str()
            .unwrap()
            .contains(&user_code)
    );
    let (_, pending) = server
        .call(Method::GET, &format!("/v2/auth/status/{auth_id}"), None)
        .await;
    assert_eq!(pending["status"], "pending");

    sim.approve_device(&user_code, None).unwrap();
    let mut done = Value::Null;
    for _ in 0..200 {
        let (status, v) = server
            .call(Method::GET, &format!("/v2/auth/status/{auth_id}"), None)
            .await;
        assert_eq!(status, 200, "{v}");
        if v["status"] != "pending" {
            done = v;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(done["status"], "completed", "{done}");
    let id = done["account_id"].as_str().unwrap().to_owned();
    let (status, account) = server
        .call(Method::GET, &format!("/v2/accounts/{id}"), None)
        .await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["auth_method"], "builder_id");
    assert_eq!(account["status"], "active");

    // The new account refreshes with its stored registration and reports its quota.
    let (status, refreshed) = server
        .call(Method::POST, &format!("/v2/accounts/{id}/refresh"), None)
        .await;
    assert_eq!(status, 200, "{refreshed}");
    assert!(refreshed["last_refresh_at"].is_string(), "{refreshed}");
    let (status, usage) = server
        .call(Method::POST, &format!("/v2/accounts/{id}/usage"), None)
        .await;
    assert_eq!(status, 200, "{usage}");
    assert!(usage["quota"]["limit"].as_f64().unwrap() > 0.0, "{usage}");

    // Pool metrics are exported.
    let metrics = server.gw.get_text("/metrics").await;
    for name in ["gateway_pool_accounts", "gateway_pool_refreshes_total"] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
    assert!(
        metrics.contains("status=\"active\""),
        "account states not exported"
    );
    // The operator's "refresh now" above is counted as a forced refresh.
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("gateway_pool_refreshes_total")
                && l.contains("reason=\"forced\"")
                && l.contains("result=\"ok\"")),
        "{metrics}"
    );

    let (status, missing) = server
        .call(Method::GET, "/v2/auth/status/unknown", None)
        .await;
    assert_eq!(status, 404, "{missing}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fed_accounts_are_validated_by_the_pool() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let good = sim.add_account(&spec("fed-good"));
    let dead = sim.add_account(&spec("fed-dead"));
    sim.revoke_refresh("fed-dead").unwrap();
    let server = Server::start(&sim).await;
    let item = |t: &amazonq_sim::AccountTokens| {
        json!({
            "auth_method": "builder_id",
            "label": t.account,
            "refresh_token": t.refresh_token,
            "client_id": t.client_id,
            "client_secret": t.client_secret,
        })
    };
    let (status, fed) = server
        .call(
            Method::POST,
            "/v2/accounts/feed",
            Some(json!({"accounts": [item(&good), item(&dead)]})),
        )
        .await;
    assert!(status == 200 || status == 201, "{fed}");
    let created: Vec<String> = fed["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(created.len(), 2, "{fed}");
    let mut statuses = Vec::new();
    for _ in 0..200 {
        statuses.clear();
        for id in &created {
            let (_, a) = server
                .call(Method::GET, &format!("/v2/accounts/{id}"), None)
                .await;
            statuses.push((
                a["label"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
                a["last_refresh_at"].is_string(),
            ));
        }
        if statuses.iter().any(|s| s.1 == "needs_login") && statuses.iter().any(|s| s.2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    statuses.sort();
    assert_eq!(
        statuses,
        vec![
            ("fed-dead".to_owned(), "needs_login".to_owned(), false),
            ("fed-good".to_owned(), "active".to_owned(), true)
        ]
    );
    assert_eq!(sim.refresh_calls("fed-good").unwrap(), 1);
    assert_eq!(sim.refresh_calls("fed-dead").unwrap(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_concurrency_zero_means_the_pool_default() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let t = sim.add_account(&spec("cap-edit"));
    let server = Server::start(&sim).await;
    let id = feed_one(
        &server,
        json!({
            "auth_method": "builder_id",
            "label": "cap-edit",
            "refresh_token": t.refresh_token,
            "client_id": t.client_id,
            "client_secret": t.client_secret,
        }),
    )
    .await;
    let path = format!("/v2/accounts/{id}");
    let (_, created) = server.call(Method::GET, &path, None).await;
    // New accounts store 0 = "use pool.default_max_concurrency".
    assert_eq!(created["max_concurrency"], 0, "{created}");

    let (status, set) = server
        .call(Method::PATCH, &path, Some(json!({"max_concurrency": 5})))
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["max_concurrency"], 5);
    // Back to the pool default: accepted, stored as 0, other fields untouched.
    let (status, back) = server
        .call(Method::PATCH, &path, Some(json!({"max_concurrency": 0})))
        .await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["max_concurrency"], 0, "{back}");
    assert_eq!(back["label"], "cap-edit");
    let (_, read) = server.call(Method::GET, &path, None).await;
    assert_eq!(read["max_concurrency"], 0, "{read}");
    // Still a bad request when it is not a number of slots.
    let (status, bad) = server
        .call(Method::PATCH, &path, Some(json!({"max_concurrency": -1})))
        .await;
    assert_eq!(status, 400, "{bad}");
    server.stop().await;
}

/// Issue 17 item 1: 100 accounts fed with refresh tokens only, then at once 200 concurrent
/// `/v1/messages`: the request path and the background validation meet on every account, and the
/// upstream still sees exactly one refresh per account (whoever comes second finds the fresh
/// token after the single-flight lock and uses it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fed_burst_refreshes_each_account_once() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let tokens = crate::common::burst::accounts(&sim, "burst", 100);
    let server = Server::start(&sim).await;
    let (status, fed) = server
        .call(
            Method::POST,
            "/v2/accounts/feed",
            Some(crate::common::burst::feed(&tokens)),
        )
        .await;
    assert!(status == 200 || status == 201, "{fed}");
    assert_eq!(fed["created"].as_array().unwrap().len(), 100, "{fed}");
    let url = server.gw.url("/v1/messages");
    crate::common::burst::burst(&server.gw.client, &[url], None, 200).await;
    // Validation ends with the quota fetch: wait until it ran for every account.
    let t0 = std::time::Instant::now();
    loop {
        let (_, list) = server
            .call(Method::GET, "/v2/accounts?per_page=200", None)
            .await;
        let items = list["accounts"].as_array().cloned().unwrap_or_default();
        let validated = items.iter().filter(|a| a["quota"].is_object()).count();
        if validated == 100 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_mins(1),
            "{validated}/100 validated: {list}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    crate::common::burst::refreshed_once(&sim, &tokens);
    // The operator sees the refreshes by reason in /metrics.
    let metrics = server.gw.get_text("/metrics").await;
    let by_reason = |reason: &str| -> f64 {
        metrics
            .lines()
            .filter(|l| {
                l.starts_with("gateway_pool_refreshes_total")
                    && l.contains(&format!("reason=\"{reason}\""))
                    && l.contains("result=\"ok\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    // (The recorder is process-wide: other tests of this binary add their refreshes, so the
    // exact count is the simulator's above.)
    let (request, validation) = (by_reason("request"), by_reason("validation"));
    assert!(request + validation >= 100.0, "{metrics}");
    server.stop().await;
}

/// An IAM Identity Center account fed without a profile gets one from the management host
/// (kiro-2026-endpoints.md §2); the admin API lists the profiles and lets the operator pick one
/// of them only, and shows the host and API region in use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idc_profiles_are_discovered_listed_and_picked() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let t = sim.add_account(&AccountSpec {
        kind: amazonq_sim::AuthKind::Idc,
        ..spec("idc-fed")
    });
    let server = Server::start(&sim).await;
    let id = feed_one(
        &server,
        json!({
            "auth_method": "idc",
            "label": "idc-fed",
            "region": "eu-west-1",
            "start_url": "https://d-0000000000.awsapps.com/start",
            "refresh_token": t.refresh_token,
            "client_id": t.client_id,
            "client_secret": t.client_secret,
        }),
    )
    .await;
    let path = format!("/v2/accounts/{id}");
    let mut account = Value::Null;
    for _ in 0..200 {
        (_, account) = server.call(Method::GET, &path, None).await;
        if account["profile_arn"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let arn = "arn:aws:codewhisperer:us-east-1:123456789012:profile/SIMPROFILE1";
    assert_eq!(account["profile_arn"], arn, "{account}");
    // The profile's region wins over the eu-* sign-in region.
    assert_eq!(account["api_region"], "us-east-1", "{account}");
    assert_eq!(account["upstream_host"], "runtime", "{account}");
    // The drawer shows the account's live catalog (fetched with the management call).
    for _ in 0..200 {
        if account["models"].is_array() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        (_, account) = server.call(Method::GET, &path, None).await;
    }
    let models = account["models"].as_array().expect("catalog fetched");
    assert!(
        models.iter().any(|m| m == "claude-sonnet-4.5") && models.iter().any(|m| m == "auto"),
        "{account}"
    );

    let (status, listed) = server
        .call(Method::GET, &format!("{path}/profiles"), None)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["profiles"][0]["arn"], arn, "{listed}");
    assert_eq!(listed["profiles"][0]["selected"], true, "{listed}");
    let pick = format!("{path}/profile");
    let (status, refused) = server
        .call(
            Method::POST,
            &pick,
            Some(json!({"profile_arn": "arn:aws:codewhisperer:us-east-1:111111111111:profile/OTHER"})),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let (status, picked) = server
        .call(Method::POST, &pick, Some(json!({"profile_arn": arn})))
        .await;
    assert_eq!(status, 200, "{picked}");
    assert_eq!(picked["profile_arn"], arn);
    let (status, bad) = server
        .call(Method::POST, &pick, Some(json!({"arn": arn})))
        .await;
    assert_eq!(status, 400, "unknown field named: {bad}");
    server.stop().await;
}
