//! `claude-server doctor` / `POST /v2/accounts/:id/diagnose` (issue 22 item 1) against
//! `amazonq-sim`: healthy Builder ID, IdC and social accounts, and every failure the simulator can
//! produce — dead refresh token, missing profile, region mismatch, quota exhausted, throttling,
//! an unreachable host — each with its verdict and advice code; the real CLI binary with `--json`
//! and its exit codes; the admin route.

use crate::common::pool::{Env, fast};
use crate::common::server::strings;
use amazonq_sim::config::ProfileSpec;
use amazonq_sim::{AccountSpec, AuthKind, Entitlement, Limits, SimConfig, TokenPolicy};
use gateway::pool::{DiagnoseOptions, Pool, PoolDeps, Report, UpstreamConfig, Verdict};
use gateway::tasks::Supervisor;
use reqwest::Method;
use serde_json::{Value, json};

async fn open(env: &Env, upstream: UpstreamConfig) -> Pool {
    Pool::open(
        PoolDeps::memory(env.store.clone(), Supervisor::new()),
        fast(),
        upstream,
    )
    .await
    .unwrap()
}

async fn diagnose(env: &Env, id: &str) -> Report {
    let pool = open(env, UpstreamConfig::single_host(&env.sim.base_url())).await;
    pool.diagnose(id, &DiagnoseOptions::default())
        .await
        .unwrap()
}

/// One account of `spec` in a fresh simulator, diagnosed.
async fn diagnose_alone(spec: AccountSpec) -> Report {
    let env = Env::new(SimConfig::default()).await;
    let id = env.add(spec, 0).await;
    diagnose(&env, &id).await
}

fn step<'a>(r: &'a Report, name: &str) -> &'a gateway::pool::Step {
    r.step(name)
        .unwrap_or_else(|| panic!("no step {name} in {}", r.to_text()))
}

/// `name` has `verdict` and advice `code`.
fn expect(r: &Report, name: &str, verdict: Verdict, code: Option<&str>) {
    let s = step(r, name);
    assert_eq!(s.verdict, verdict, "step {name}:\n{}", r.to_text());
    assert_eq!(s.code, code, "step {name}:\n{}", r.to_text());
    if code.is_some() {
        assert!(s.advice.as_deref().is_some_and(|a| !a.is_empty()));
    }
}

/// The chat step's upstream answer: `status`, with `needle` in its message.
fn chat_refused(r: &Report, status: u16, needle: &str) {
    let answer = step(r, "chat").upstream.clone().unwrap();
    assert_eq!(answer.status, Some(status));
    assert!(answer.message.contains(needle), "{answer:?}");
}

const IDC_ARN: &str = "arn:aws:codewhisperer:us-east-1:111122223333:profile/IDCHEALTHY";

fn kind(id: &str, kind: AuthKind) -> AccountSpec {
    AccountSpec {
        id: id.into(),
        kind,
        ..AccountSpec::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_builder_id_idc_and_social_accounts_pass_every_step() {
    let env = Env::new(SimConfig::default()).await;
    for (id, k) in [
        ("bid", AuthKind::BuilderId),
        ("idc", AuthKind::Idc),
        ("soc", AuthKind::Social),
    ] {
        let mut spec = kind(id, k);
        if k == AuthKind::Idc {
            // The account's own Identity Center profile (listed by the simulator's region).
            spec.profile_arn = Some(IDC_ARN.into());
        }
        let id = env.add(spec, 0).await;
        let r = diagnose(&env, &id).await;
        assert_eq!(r.verdict, Verdict::Ok, "{}", r.to_text());
        for role in ["runtime", "management", "auth", "legacy_q"] {
            expect(&r, &format!("dns.{role}"), Verdict::Ok, None);
            let tls = step(&r, &format!("tls.{role}"));
            assert_eq!(tls.verdict, Verdict::Skipped);
            assert!(tls.detail.contains("plain http://"), "{}", tls.detail);
        }
        for name in ["token", "profile", "usage", "models", "chat"] {
            expect(&r, name, Verdict::Ok, None);
        }
        assert!(step(&r, "chat").detail.contains("streamed"));
        // Only the chat turn counts against the account.
        assert_eq!(env.chat_calls(&id), 1);
    }
    let idc = diagnose(&env, "idc").await;
    assert!(
        step(&idc, "profile")
            .detail
            .contains(&format!("in use: {IDC_ARN}"))
    );
    let bid = diagnose(&env, "bid").await;
    assert!(step(&bid, "profile").detail.contains("Builder ID"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_refresh_token_fails_the_token_step_with_relogin() {
    let env = Env::new(SimConfig::default()).await;
    for (id, k) in [("bid", AuthKind::BuilderId), ("soc", AuthKind::Social)] {
        // An access token about to expire makes the doctor refresh; the refresh token is revoked.
        let spec = AccountSpec {
            token_policy: TokenPolicy {
                access_ttl_s: Some(5),
                ..TokenPolicy::default()
            },
            ..kind(id, k)
        };
        let id = env.add(spec, 0).await;
        env.sim.revoke_refresh(&id).unwrap();
        let r = diagnose(&env, &id).await;
        assert_eq!(r.verdict, Verdict::Fail);
        expect(&r, "token", Verdict::Fail, Some("relogin"));
        let answer = step(&r, "token").upstream.clone().unwrap();
        assert!(answer.status.is_some_and(|s| s >= 400), "{answer:?}");
        for name in ["profile", "usage", "models", "chat"] {
            expect(&r, name, Verdict::Skipped, None);
        }
        // Nothing secret in what is shown.
        let text = serde_json::to_string(&r).unwrap();
        let stored = env.store.get_account(&id).await.unwrap().unwrap();
        assert!(!text.contains(stored.credentials.refresh_token.expose()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_profile_fails_with_pick_profile() {
    let r = diagnose_alone(AccountSpec {
        profiles: Some(Vec::new()),
        ..kind("idc-none", AuthKind::Idc)
    })
    .await;
    assert_eq!(r.verdict, Verdict::Fail);
    expect(&r, "token", Verdict::Ok, None);
    expect(&r, "profile", Verdict::Fail, Some("pick_profile"));
    expect(&r, "chat", Verdict::Fail, Some("pick_profile"));
    chat_refused(&r, 400, "profileArn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_mismatch_fails_with_wrong_region() {
    let arn = "arn:aws:codewhisperer:eu-central-1:111122223333:profile/EUPROFILE";
    // The stored profile is in eu-central-1; the (simulated) service runs in us-east-1.
    let r = diagnose_alone(AccountSpec {
        profile_arn: Some(arn.into()),
        profiles: Some(vec![ProfileSpec {
            arn: arn.into(),
            profile_name: "eu".into(),
            region: "eu-central-1".into(),
            models: None,
        }]),
        ..kind("idc-eu", AuthKind::Idc)
    })
    .await;
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(r.account.api_region, "eu-central-1");
    expect(&r, "usage", Verdict::Fail, Some("wrong_region"));
    expect(&r, "chat", Verdict::Fail, Some("wrong_region"));
    chat_refused(&r, 403, "bearer token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_quota_fails_with_the_reset_date() {
    let r = diagnose_alone(AccountSpec {
        limits: Limits {
            monthly_limit: Some(10),
            ..Limits::default()
        },
        usage: 10,
        ..kind("spent", AuthKind::BuilderId)
    })
    .await;
    assert_eq!(r.verdict, Verdict::Fail);
    expect(&r, "usage", Verdict::Fail, Some("quota_exhausted"));
    assert!(step(&r, "usage").detail.starts_with("10 of 10 used"));
    expect(&r, "chat", Verdict::Fail, Some("quota_exhausted"));
    let advice = step(&r, "chat").advice.clone().unwrap();
    assert!(advice.contains("used up until 20"), "{advice}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_a_warning_to_retry_later() {
    let r = diagnose_alone(AccountSpec {
        throttle_first: 1,
        ..kind("busy", AuthKind::BuilderId)
    })
    .await;
    assert_eq!(r.verdict, Verdict::Warn, "{}", r.to_text());
    expect(&r, "chat", Verdict::Warn, Some("throttled"));
    assert_eq!(
        step(&r, "chat").upstream.as_ref().unwrap().status,
        Some(429)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_host_fails_with_unreachable() {
    let env = Env::new(SimConfig::default()).await;
    let id = env.add(kind("far", AuthKind::BuilderId), 0).await;
    // A loopback port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut upstream = UpstreamConfig::single_host(&env.sim.base_url());
    upstream.runtime_endpoint = Some(dead);
    upstream.legacy_fallback = false;
    let pool = open(&env, upstream).await;
    let r = pool
        .diagnose(&id, &DiagnoseOptions::default())
        .await
        .unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    expect(&r, "dns.runtime", Verdict::Fail, Some("unreachable"));
    expect(&r, "tls.runtime", Verdict::Skipped, None);
    expect(&r, "dns.management", Verdict::Ok, None);
    assert!(
        r.step("dns.legacy_q").is_none(),
        "no legacy host without the fallback"
    );
    expect(&r, "usage", Verdict::Ok, None);
    expect(&r, "chat", Verdict::Fail, Some("unreachable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_outside_the_plan_fails_with_model_not_in_plan() {
    let env = Env::new(SimConfig::default()).await;
    let spec = AccountSpec {
        entitlement: Entitlement {
            models: Some(vec!["claude-sonnet-4.5".into()]),
            ..Entitlement::default()
        },
        ..kind("small", AuthKind::BuilderId)
    };
    let id = env.add(spec, 0).await;
    let pool = open(&env, UpstreamConfig::single_host(&env.sim.base_url())).await;
    let options = DiagnoseOptions {
        model: Some("claude-opus-4.5".into()),
    };
    let r = pool.diagnose(&id, &options).await.unwrap();
    expect(&r, "models", Verdict::Fail, Some("model_not_in_plan"));
    expect(&r, "chat", Verdict::Fail, Some("model_not_in_plan"));
}

/// The real binary: `doctor --json` over the server's config and database, exit codes 0/1/2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_a_stable_json_report_and_exits_by_verdict() {
    let env = Env::new(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let base = env.sim.base_url();
    let config_path = dir.path().join("config.yaml");
    std::fs::write(
        &config_path,
        format!(
            "data_dir: {}\nupstream:\n  runtime_endpoint: {base}\n  management_endpoint: {base}\n  \
             q_endpoint: {base}\n  oidc_endpoint: {base}\n  kiro_auth_endpoint: {base}\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let config = gateway::Config::load(Some(&config_path)).unwrap();
    let store = gateway::open_store(&config).await.unwrap();
    for (id, ttl) in [("good", None), ("dead", Some(5))] {
        let t = env.sim.add_account(&AccountSpec {
            token_policy: TokenPolicy {
                access_ttl_s: ttl,
                ..TokenPolicy::default()
            },
            ..kind(id, AuthKind::BuilderId)
        });
        let mut new = gateway::demo::sim_account(AuthKind::BuilderId, t);
        new.settings.label = format!("label-{id}");
        store.create_account(new).await.unwrap();
    }
    env.sim.revoke_refresh("dead").unwrap();
    store.close().await.unwrap();

    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_claude-server"))
            .arg("--config")
            .arg(&config_path)
            .arg("doctor")
            .args(args)
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = tokio::task::block_in_place(|| run(&["--json"]));
    assert_eq!(code, Some(1), "{out}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["verdict"], "fail");
    let reports = doc["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    let by_label = |l: &str| {
        reports
            .iter()
            .find(|r| r["account"]["label"] == l)
            .unwrap()
            .clone()
    };
    let good = by_label("label-good");
    assert_eq!(good["verdict"], "ok");
    assert_eq!(good["account"]["auth_method"], "builder_id");
    for s in good["steps"].as_array().unwrap() {
        assert!(
            s["name"].is_string() && s["ms"].is_u64() && s["detail"].is_string(),
            "{s}"
        );
        assert!(
            ["ok", "skipped"].contains(&s["verdict"].as_str().unwrap()),
            "{s}"
        );
    }
    let dead = by_label("label-dead");
    let token = dead["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "token")
        .unwrap();
    assert_eq!(token["verdict"], "fail");
    assert_eq!(token["code"], "relogin");
    assert!(token["upstream"]["status"].is_u64(), "{token}");

    let (code, out) = tokio::task::block_in_place(|| run(&["--account", "label-good"]));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("✓ chat"), "{out}");
    let (code, _) = tokio::task::block_in_place(|| run(&["--account", "nobody"]));
    assert_eq!(code, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_route_answers_the_same_report() {
    let env = Env::new(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = crate::common::server::config(
        &dir,
        &env.sim.base_url(),
        "{connect: 2, first_byte: 5, idle: 5, auth: 5}",
        "pool:\n  refresh_check_ms: 3600000\n  quota_refresh_ms: 0\n",
        2,
    );
    let gw =
        crate::common::server::Gateway::spawn(dir, config, gateway::Extensions::default()).await;
    let token = gw.login().await;
    let t = env.sim.add_account(&kind("adm", AuthKind::BuilderId));
    let (status, fed) = gw
        .call(
            &token,
            Method::POST,
            "/v2/accounts/feed",
            Some(json!({"accounts": [{
                "auth_method": "builder_id",
                "label": "adm",
                "refresh_token": t.refresh_token,
                "client_id": t.client_id,
                "client_secret": t.client_secret,
            }]})),
        )
        .await;
    assert!(status == 200 || status == 201, "{fed}");
    let id = fed["created"][0].as_str().unwrap().to_owned();
    let path = format!("/v2/accounts/{id}/diagnose");
    let (status, report) = gw.call(&token, Method::POST, &path, None).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["verdict"], "ok", "{report}");
    assert_eq!(report["account"]["id"], id.as_str());
    let names = strings(&report["steps"], "name");
    for n in [
        "dns.runtime",
        "tls.runtime",
        "token",
        "profile",
        "usage",
        "models",
        "chat",
    ] {
        assert!(names.contains(&n), "{names:?}");
    }
    let (status, _) = gw
        .call(&token, Method::POST, "/v2/accounts/nope/diagnose", None)
        .await;
    assert_eq!(status, 404);
    let (status, body) = gw
        .call(&token, Method::POST, &path, Some(json!({"modle": "x"})))
        .await;
    assert_eq!(status, 400, "{body}");
    gw.stop().await;
}
