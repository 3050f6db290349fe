//! The account pool against `amazonq-sim` on 127.0.0.1 (issue 4 "Must show"): caps under load
//! over 100+ accounts, throttle cooldowns, bans, single-flight refresh under 200 concurrent
//! requests, rotated refresh tokens across a restart, device login, sticky sessions, the
//! bearer-invalid refresh-and-retry and `invalid_grant` → `needs_login`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amazonq::types::GenerateAssistantResponseRequest;
use amazonq_sim::{AccountSpec, LogFilter, SimConfig, SimHandle, Simulator};
use gateway::pool::{
    Outcome, Pool, PoolConfig, PoolDeps, PoolError, PoolRequest, UpstreamSettings,
};
use gateway::state::{AccountOps, DeviceLoginRequest};
use gateway::tasks::Supervisor;
use store::{
    AccountStatus, AuthMethod, Cipher, ClientRegistration, NewAccount, Secret, Store, StoreConfig,
};

const KEY: [u8; 32] = [7; 32];

async fn open_store(path: &Path) -> Store {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    Store::connect(StoreConfig::new(url, Cipher::from_key_bytes(&KEY).unwrap()))
        .await
        .unwrap()
}

/// Short timings so every test finishes in seconds.
fn fast() -> PoolConfig {
    PoolConfig {
        queue_timeout_ms: 10_000,
        cooldown_base_ms: 1_000,
        cooldown_max_ms: 5_000,
        transient_pause_ms: 200,
        refresh_skew_ms: 1,
        refresh_jitter_ms: 0,
        refresh_check_ms: 3_600_000,
        request_skew_ms: 60_000,
        refresh_retry_ms: 60_000,
        quota_refresh_ms: 0,
        reload_ms: 3_600_000,
        device_time_unit_ms: 50,
        ..PoolConfig::default()
    }
}

struct Env {
    sim: SimHandle,
    store: Store,
    dir: tempfile::TempDir,
}

impl Env {
    async fn new(config: SimConfig) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = Simulator::start(config).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(&dir.path().join("pool.sqlite3")).await;
        Self { sim, store, dir }
    }

    /// Creates `spec` in the simulator and the matching account in the store.
    async fn add(&self, spec: AccountSpec, cap: u32) -> String {
        let t = self.sim.add_account(&spec);
        let method = match spec.kind {
            amazonq_sim::AuthKind::Social => AuthMethod::Social,
            amazonq_sim::AuthKind::Idc => AuthMethod::Idc,
            amazonq_sim::AuthKind::BuilderId => AuthMethod::BuilderId,
        };
        let mut new = NewAccount::new(method, Secret::new(t.refresh_token));
        new.id = Some(t.account.clone());
        new.label = Some(format!("label-{}", t.account));
        new.access_token = Some(Secret::new(t.access_token));
        new.expires_at = chrono::DateTime::from_timestamp_millis(t.expires_at_ms);
        new.max_concurrency = cap;
        new.profile_arn = t.profile_arn;
        if let (Some(id), Some(secret)) = (t.client_id, t.client_secret) {
            new.client = Some(ClientRegistration {
                client_id: id,
                client_secret: Secret::new(secret),
                expires_at: None,
            });
        }
        self.store.create_account(new).await.unwrap();
        t.account
    }

    async fn add_many(
        &self,
        n: usize,
        cap: u32,
        spec: impl Fn(usize) -> AccountSpec,
    ) -> Vec<String> {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            ids.push(self.add(spec(i), cap).await);
        }
        ids
    }

    async fn pool(&self, cfg: PoolConfig) -> (Pool, Supervisor) {
        self.pool_with(cfg, UpstreamSettings::single_host(&self.sim.base_url()))
            .await
    }

    async fn pool_with(&self, cfg: PoolConfig, upstream: UpstreamSettings) -> (Pool, Supervisor) {
        let sup = Supervisor::new();
        let pool = Pool::start(
            PoolDeps::memory(self.store.clone(), sup.clone()),
            cfg,
            upstream,
        )
        .await
        .unwrap();
        (pool, sup)
    }

    fn chat_calls(&self, account: &str) -> usize {
        self.sim
            .requests(&LogFilter {
                operation: Some("chat".into()),
                account: Some(account.into()),
                since: None,
            })
            .len()
    }
}

fn spec(id: String) -> AccountSpec {
    AccountSpec {
        id,
        ..AccountSpec::default()
    }
}

fn body(text: &str) -> GenerateAssistantResponseRequest {
    serde_json::from_value(serde_json::json!({"conversationState": {
        "conversationId": "conv-1",
        "chatTriggerType": "MANUAL",
        "currentMessage": {"userInputMessage": {"content": text, "origin": "CLI", "modelId": "claude-sonnet-4.5"}}
    }}))
    .unwrap()
}

fn request(text: &str) -> PoolRequest {
    PoolRequest {
        body: body(text),
        model: "claude-sonnet-4.5".into(),
        sticky_key: None,
        cancel: None,
    }
}

/// Sends, reads the whole answer, reports success; returns (account, text).
async fn run(pool: &Pool, req: PoolRequest) -> Result<(String, String), PoolError> {
    let mut s = pool.send(req).await?;
    let mut text = String::new();
    while let Some(ev) = s.next_event().await {
        if let amazonq::events::StreamEvent::AssistantResponse { content } = ev.unwrap() {
            text.push_str(&content);
        }
    }
    let id = s.account_id.clone();
    s.finish(Outcome::Success).await;
    Ok((id, text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_never_exceed_any_accounts_cap() {
    let env = Env::new(SimConfig::default()).await;
    // 120 accounts: every third one has cap 1, the rest the default 2.
    let mut caps = HashMap::new();
    for i in 0..120 {
        let cap = if i % 3 == 0 { 1 } else { 2 };
        let id = env.add(spec(format!("cap-{i:03}")), cap).await;
        caps.insert(id, cap);
    }
    let (pool, sup) = env.pool(fast()).await;
    let current: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let peak: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let mut tasks = Vec::new();
    for _ in 0..600 {
        let (pool, current, peak) = (pool.clone(), Arc::clone(&current), Arc::clone(&peak));
        tasks.push(tokio::spawn(async move {
            let mut stream = pool.send(request("#sleep 15\n#say held")).await.unwrap();
            let id = stream.account_id.clone();
            {
                let mut now = current.lock().unwrap();
                let held = now.entry(id.clone()).or_default();
                *held += 1;
                let mut max = peak.lock().unwrap();
                let top = max.entry(id.clone()).or_default();
                *top = (*top).max(*held);
            }
            assert!(pool.inflight(&id) >= 1);
            while let Some(ev) = stream.next_event().await {
                ev.unwrap();
            }
            *current.lock().unwrap().get_mut(&id).unwrap() -= 1;
            stream.finish(Outcome::Success).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let peak = peak.lock().unwrap().clone();
    assert!(
        peak.len() >= 100,
        "load spread over {} accounts only",
        peak.len()
    );
    for (id, p) in peak.iter() {
        assert!(*p <= caps[id], "{id}: {p} concurrent > cap {}", caps[id]);
    }
    assert!(
        peak.values().any(|p| *p == 2),
        "caps of 2 were never used fully"
    );
    for id in caps.keys() {
        assert_eq!(pool.inflight(id), 0, "{id} leaked a lease");
    }
    pool.flush_counters().await;
    let total: u64 = env
        .store
        .all_accounts()
        .await
        .unwrap()
        .iter()
        .map(|a| a.success_count)
        .sum();
    assert_eq!(total, 600);
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_accounts_are_skipped_and_come_back_after_cooldown() {
    let env = Env::new(SimConfig::default()).await;
    // 100 accounts; every tenth answers its first chat call with 429.
    let ids = env
        .add_many(100, 2, |i| AccountSpec {
            id: format!("thr-{i:03}"),
            throttle_first: u32::from(i % 10 == 0),
            ..AccountSpec::default()
        })
        .await;
    let throttled: Vec<&String> = ids.iter().step_by(10).collect();
    let (pool, sup) = env
        .pool(PoolConfig {
            cooldown_base_ms: 1_500,
            ..fast()
        })
        .await;
    // Two rounds over the pool: every request succeeds (failover), throttled accounts cool down.
    for _ in 0..200 {
        let (_, text) = run(&pool, request("#say ok")).await.unwrap();
        assert_eq!(text, "ok");
    }
    for id in &throttled {
        assert_eq!(pool.status(id), Some(AccountStatus::CoolingDown), "{id}");
        assert_eq!(env.chat_calls(id), 1, "{id} used while cooling down");
    }
    let stored = env.store.get_account(throttled[0]).await.unwrap().unwrap();
    assert_eq!(stored.status, AccountStatus::CoolingDown);
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    for _ in 0..200 {
        run(&pool, request("#say ok")).await.unwrap();
    }
    for id in &throttled {
        assert!(env.chat_calls(id) >= 2, "{id} never came back");
        assert_eq!(pool.status(id), Some(AccountStatus::Active), "{id}");
    }
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_account_is_banned_and_never_used_again() {
    let env = Env::new(SimConfig::default()).await;
    let ids = env.add_many(100, 2, |i| spec(format!("ban-{i:03}"))).await;
    let victim = ids[37].clone();
    env.sim.set_suspended(&victim, true).unwrap();
    let (pool, sup) = env.pool(fast()).await;
    for _ in 0..300 {
        let (account, _) = run(&pool, request("#say ok")).await.unwrap();
        assert_ne!(account, victim);
    }
    assert_eq!(pool.status(&victim), Some(AccountStatus::Banned));
    assert_eq!(
        env.chat_calls(&victim),
        1,
        "a banned account was called again"
    );
    let stored = env.store.get_account(&victim).await.unwrap().unwrap();
    assert_eq!(stored.status, AccountStatus::Banned);
    assert!(
        stored
            .status_reason
            .unwrap_or_default()
            .to_lowercase()
            .contains("suspend")
    );
    sup.shutdown(Duration::from_secs(2)).await;
    // A restarted pool reads the ban from the database and still never uses the account.
    let (pool, sup) = env.pool(fast()).await;
    for _ in 0..150 {
        run(&pool, request("#say ok")).await.unwrap();
    }
    assert_eq!(env.chat_calls(&victim), 1);
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_tokens_are_refreshed_exactly_once_per_account_under_200_concurrent_requests() {
    let env = Env::new(SimConfig::default()).await;
    // Access tokens live 30 s: inside the 60 s request margin, so every first use must refresh.
    let ids = env
        .add_many(100, 2, |i| AccountSpec {
            id: format!("exp-{i:03}"),
            access_ttl_s: Some(30),
            ..AccountSpec::default()
        })
        .await;
    let before: HashMap<String, String> = env
        .store
        .all_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.refresh_token.expose().to_owned()))
        .collect();
    // Tokens minted by the refresh live an hour, as real ones do.
    for id in &ids {
        let patch = amazonq_sim::AccountPatch {
            access_ttl_s: Some(3600),
            ..Default::default()
        };
        env.sim.patch_account(id, &patch).unwrap();
    }
    let (pool, sup) = env.pool(fast()).await;
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            run(&pool, request("#sleep 20\n#say ok")).await.unwrap()
        }));
    }
    let mut used = HashMap::<String, u32>::new();
    for t in tasks {
        *used.entry(t.await.unwrap().0).or_default() += 1;
    }
    assert_eq!(used.len(), 100, "every account served");
    for id in &ids {
        assert_eq!(
            env.sim.refresh_calls(id).unwrap(),
            1,
            "{id} refreshed more than once"
        );
        let a = env.store.get_account(id).await.unwrap().unwrap();
        assert_ne!(
            a.refresh_token.expose(),
            before[id],
            "{id}: rotated refresh token not persisted"
        );
        assert!(a.expires_at.unwrap() > chrono::Utc::now() + chrono::Duration::minutes(30));
        assert!(a.last_refresh_at.is_some());
    }
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_refresh_token_survives_a_restart() {
    let env = Env::new(SimConfig::default()).await;
    let id = env.add(spec("rot-1".into()), 2).await;
    let social = env
        .add(
            AccountSpec {
                id: "rot-social".into(),
                kind: amazonq_sim::AuthKind::Social,
                ..AccountSpec::default()
            },
            2,
        )
        .await;
    let (pool, sup) = env.pool(fast()).await;
    let first = AccountOps::refresh(&pool, &id).await.unwrap();
    AccountOps::refresh(&pool, &social).await.unwrap();
    sup.shutdown(Duration::from_secs(2)).await;
    drop(pool);
    // A new store handle and pool over the same SQLite file: the rotated token must work (the old
    // one was revoked by the rotation, so a lost rotation would end in invalid_grant).
    let store = open_store(&env.dir.path().join("pool.sqlite3")).await;
    let env2 = Env {
        sim: env.sim,
        store,
        dir: env.dir,
    };
    let (pool, sup) = env2.pool(fast()).await;
    let second = AccountOps::refresh(&pool, &id).await.unwrap();
    AccountOps::refresh(&pool, &social).await.unwrap();
    assert_eq!(second.status, AccountStatus::Active);
    assert!(second.last_refresh_at >= first.last_refresh_at);
    assert_ne!(second.refresh_token.expose(), first.refresh_token.expose());
    assert_eq!(env2.sim.refresh_calls(&id).unwrap(), 2);
    assert_eq!(env2.sim.refresh_calls(&social).unwrap(), 2);
    let (account, _) = run(&pool, request("#say after restart")).await.unwrap();
    assert!(account == id || account == social);
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_invalid_gets_one_forced_refresh_and_one_retry() {
    let env = Env::new(SimConfig::default()).await;
    let id = env.add(spec("bearer-1".into()), 2).await;
    let (pool, sup) = env.pool(fast()).await;
    // The stored token still looks valid, but the service no longer accepts it.
    env.sim.expire_access(&id).unwrap();
    let s = pool.send(request("#say hi")).await.unwrap();
    assert_eq!(s.account_id, id);
    assert_eq!(s.attempts, 2);
    s.finish(Outcome::Success).await;
    assert_eq!(env.sim.refresh_calls(&id).unwrap(), 1);
    assert_eq!(pool.status(&id), Some(AccountStatus::Active));
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_means_needs_login_without_a_refresh_loop() {
    let env = Env::new(SimConfig::default()).await;
    let dead = env
        .add(
            AccountSpec {
                id: "dead-1".into(),
                access_ttl_s: Some(10),
                ..AccountSpec::default()
            },
            2,
        )
        .await;
    let ok = env.add(spec("alive-1".into()), 2).await;
    env.sim.revoke_refresh(&dead).unwrap();
    let (pool, sup) = env.pool(fast()).await;
    for _ in 0..20 {
        let (account, _) = run(&pool, request("#say ok")).await.unwrap();
        assert_eq!(account, ok);
    }
    assert_eq!(pool.status(&dead), Some(AccountStatus::NeedsLogin));
    assert_eq!(
        env.sim.refresh_calls(&dead).unwrap(),
        1,
        "refresh retried in a loop"
    );
    let stored = env.store.get_account(&dead).await.unwrap().unwrap();
    assert_eq!(stored.status, AccountStatus::NeedsLogin);
    // With the only healthy account gone too, the pool says so instead of looping.
    env.store
        .update_account(
            &ok,
            store::AccountPatch {
                enabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    pool.reload().await.unwrap();
    assert!(matches!(
        pool.send(request("#say x")).await,
        Err(PoolError::NoAccounts(_))
    ));
    assert_eq!(env.sim.refresh_calls(&dead).unwrap(), 1);
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sticky_sessions_stay_on_one_account_and_move_when_it_fails() {
    let env = Env::new(SimConfig::default()).await;
    env.add_many(20, 2, |i| spec(format!("sticky-{i:02}")))
        .await;
    let (pool, sup) = env.pool(fast()).await;
    let sticky = |key: &str| PoolRequest {
        sticky_key: Some(key.into()),
        ..request("#say s")
    };
    let (home, _) = run(&pool, sticky("session-a")).await.unwrap();
    let (other_home, _) = run(&pool, sticky("session-b")).await.unwrap();
    for _ in 0..15 {
        assert_eq!(run(&pool, sticky("session-a")).await.unwrap().0, home);
        // Unrelated traffic in between does not move the session.
        run(&pool, request("#say x")).await.unwrap();
    }
    assert_eq!(run(&pool, sticky("session-b")).await.unwrap().0, other_home);
    env.sim.set_suspended(&home, true).unwrap();
    let (moved, _) = run(&pool, sticky("session-a")).await.unwrap();
    assert_ne!(moved, home);
    assert_eq!(pool.status(&home), Some(AccountStatus::Banned));
    for _ in 0..10 {
        assert_eq!(run(&pool, sticky("session-a")).await.unwrap().0, moved);
    }
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monthly_quota_marks_the_account_exhausted_until_the_reset() {
    let env = Env::new(SimConfig::default()).await;
    let spent = env
        .add(
            AccountSpec {
                id: "quota-0".into(),
                monthly_limit: Some(3),
                usage: 3,
                ..AccountSpec::default()
            },
            2,
        )
        .await;
    let fine = env.add(spec("quota-1".into()), 2).await;
    let (pool, sup) = env.pool(fast()).await;
    for _ in 0..10 {
        assert_eq!(run(&pool, request("#say ok")).await.unwrap().0, fine);
    }
    assert_eq!(pool.status(&spent), Some(AccountStatus::Exhausted));
    // The quota fetch queued after the error learns the reset date from GetUsageLimits.
    let mut resets = None;
    for _ in 0..100 {
        let a = env.store.get_account(&spent).await.unwrap().unwrap();
        if let Some(q) = a.quota.filter(|q| q.resets_at.is_some()) {
            resets = q.resets_at;
            assert!(q.used >= q.limit);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(resets.unwrap() > chrono::Utc::now());
    assert_eq!(env.chat_calls(&spent), 1);
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_busy_after_the_queue_timeout() {
    let env = Env::new(SimConfig::default()).await;
    env.add(spec("busy-1".into()), 1).await;
    let (pool, sup) = env
        .pool(PoolConfig {
            queue_timeout_ms: 150,
            ..fast()
        })
        .await;
    let held = pool.send(request("#sleep 50\n#say slow")).await.unwrap();
    let started = std::time::Instant::now();
    match pool.send(request("#say x")).await {
        Err(PoolError::AllBusy { retry_after }) => assert!(retry_after > Duration::ZERO),
        other => panic!("expected AllBusy, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(140));
    drop(held);
    run(&pool, request("#say again")).await.unwrap();
    sup.shutdown(Duration::from_secs(2)).await;
}

async fn wait_device(pool: &Pool, auth_id: &str, until: &str) -> gateway::state::DeviceLoginStatus {
    for _ in 0..200 {
        let s = pool.device_login_status(auth_id).await.unwrap();
        if s.status == until {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("device login never reached {until}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_login_completes_through_the_pool_and_can_be_denied() {
    let mut config = SimConfig::default();
    config.oidc.device_interval_s = 1;
    config.oidc.enforce_slow_down = false;
    let env = Env::new(config).await;
    let (pool, sup) = env.pool(fast()).await;
    assert!(pool.is_empty());
    let started = pool
        .start_device_login(DeviceLoginRequest::default())
        .await
        .unwrap();
    assert!(!started.user_code.is_empty());
    assert!(
        started
            .verification_uri_complete
            .contains(&started.user_code)
    );
    assert_eq!(
        pool.device_login_status(&started.auth_id)
            .await
            .unwrap()
            .status,
        "pending"
    );
    env.sim
        .approve_device(&started.user_code, Some("device-acct"))
        .unwrap();
    let done = wait_device(&pool, &started.auth_id, "completed").await;
    let id = done.account_id.unwrap();
    let a = env.store.get_account(&id).await.unwrap().unwrap();
    assert_eq!(a.auth_method, AuthMethod::BuilderId);
    assert!(a.client_id.is_some());
    // The new account serves requests and can refresh with the stored registration.
    let (account, text) = run(&pool, request("#say via device")).await.unwrap();
    assert_eq!(
        (account.as_str(), text.as_str()),
        (id.as_str(), "via device")
    );
    AccountOps::refresh(&pool, &id).await.unwrap();
    // Denied and unknown logins.
    let second = pool
        .start_device_login(DeviceLoginRequest::default())
        .await
        .unwrap();
    env.sim.deny_device(&second.user_code).unwrap();
    let denied = wait_device(&pool, &second.auth_id, "denied").await;
    assert!(denied.account_id.is_none());
    assert!(pool.device_login_status("nope").await.is_err());
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fed_accounts_are_validated_in_the_background() {
    let env = Env::new(SimConfig::default()).await;
    let (pool, sup) = env.pool(fast()).await;
    let good = env.add(spec("feed-ok".into()), 2).await;
    let bad = env.add(spec("feed-bad".into()), 2).await;
    env.sim.revoke_refresh(&bad).unwrap();
    pool.validate_new(vec![good.clone(), bad.clone()]);
    let mut models = None;
    for _ in 0..200 {
        models = env.store.get_account(&good).await.unwrap().unwrap().models;
        if pool.status(&bad) == Some(AccountStatus::NeedsLogin) && models.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(pool.status(&bad), Some(AccountStatus::NeedsLogin));
    assert_eq!(pool.status(&good), Some(AccountStatus::Active));
    assert_eq!(env.sim.refresh_calls(&good).unwrap(), 1);
    assert!(models.is_some_and(|m| m.contains(&"claude-sonnet-4.5".to_owned())));
    sup.shutdown(Duration::from_secs(2)).await;
}

fn fault_any_chat(sim: &SimHandle, spec: &str) {
    sim.queue_fault(amazonq_sim::QueuedFault {
        faults: vec![spec.to_owned()],
        account: None,
        operation: Some("chat".into()),
        count: 1,
    })
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_errors_and_first_byte_timeouts_fail_over_before_the_first_event() {
    let env = Env::new(SimConfig::default()).await;
    env.add_many(2, 2, |i| spec(format!("fo-{i}"))).await;
    let upstream = UpstreamSettings {
        first_byte_timeout: Duration::from_millis(300),
        ..UpstreamSettings::single_host(&env.sim.base_url())
    };
    let (pool, sup) = env.pool_with(fast(), upstream).await;
    fault_any_chat(&env.sim, "internal");
    let s = pool.send(request("#say after 500")).await.unwrap();
    assert_eq!(s.attempts, 2);
    let first = s.account_id.clone();
    s.finish(Outcome::Success).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    fault_any_chat(&env.sim, "delay-first:3000");
    let started = std::time::Instant::now();
    let (account, text) = run(&pool, request("#say after stall")).await.unwrap();
    assert_eq!(text, "after stall");
    assert!(
        started.elapsed() < Duration::from_millis(2_000),
        "waited for the stalled account"
    );
    assert!(account == first || account.starts_with("fo-"));
    // A client error is not retried elsewhere.
    fault_any_chat(&env.sim, "improperly-formed");
    match pool.send(request("#say bad")).await {
        Err(PoolError::Upstream {
            attempts, status, ..
        }) => assert_eq!((attempts, status), (1, Some(400))),
        other => panic!("expected a client error, got {other:?}"),
    }
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_requests_can_be_cancelled_and_min_interval_paces_an_account() {
    let env = Env::new(SimConfig::default()).await;
    env.add(spec("pace-1".into()), 4).await;
    let cfg = PoolConfig {
        min_interval_ms: 200,
        min_interval_jitter_ms: 50,
        ..fast()
    };
    let (pool, sup) = env.pool(cfg).await;
    let started = std::time::Instant::now();
    for _ in 0..3 {
        run(&pool, request("#say paced")).await.unwrap();
    }
    // Three starts on one account: at least two minimum intervals between them.
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    let cancel = tokio_util::sync::CancellationToken::new();
    let req = PoolRequest {
        cancel: Some(cancel.clone()),
        ..request("#say never")
    };
    let waiter = tokio::spawn({
        let pool = pool.clone();
        async move { pool.send(req).await.map(|s| s.account_id.clone()) }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    cancel.cancel();
    assert!(matches!(waiter.await.unwrap(), Err(PoolError::Cancelled)));
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_entitled_accounts_get_a_model() {
    let env = Env::new(SimConfig::default()).await;
    let haiku_only = env
        .add(
            AccountSpec {
                id: "ent-haiku".into(),
                models: Some(vec!["claude-haiku-4.5".into()]),
                ..AccountSpec::default()
            },
            4,
        )
        .await;
    let full = env.add(spec("ent-full".into()), 4).await;
    let (pool, sup) = env.pool(fast()).await;
    // Learn both accounts' model lists the way validation does.
    pool.validate_new(vec![haiku_only.clone(), full.clone()]);
    for _ in 0..200 {
        let known = env
            .store
            .all_accounts()
            .await
            .unwrap()
            .iter()
            .all(|a| a.models.is_some());
        if known {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stored = env.store.get_account(&haiku_only).await.unwrap().unwrap();
    assert_eq!(stored.models, Some(vec!["claude-haiku-4.5".to_owned()]));
    for _ in 0..10 {
        assert_eq!(run(&pool, request("#say sonnet")).await.unwrap().0, full);
    }
    let mut seen = std::collections::HashSet::new();
    for _ in 0..10 {
        let req = PoolRequest {
            body: body_with_model("#say haiku", "claude-haiku-4.5"),
            model: "claude-haiku-4.5".into(),
            ..request("")
        };
        seen.insert(run(&pool, req).await.unwrap().0);
    }
    assert_eq!(seen.len(), 2, "haiku traffic should use both accounts");
    // A model no account lists is left to the upstream, not refused as "no accounts".
    let mut req = request("#say legacy");
    req.model = "CLAUDE_SONNET_4_5_20250929_V1_0".into();
    assert!(!matches!(
        pool.send(req).await,
        Err(PoolError::NoAccounts(_))
    ));
    sup.shutdown(Duration::from_secs(2)).await;
}

fn body_with_model(text: &str, model: &str) -> GenerateAssistantResponseRequest {
    serde_json::from_value(serde_json::json!({"conversationState": {
        "conversationId": "conv-1",
        "chatTriggerType": "MANUAL",
        "currentMessage": {"userInputMessage": {"content": text, "origin": "CLI", "modelId": model}}
    }}))
    .unwrap()
}
