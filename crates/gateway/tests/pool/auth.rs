//! Tokens and logins of the account pool against `amazonq-sim` on 127.0.0.1 (issue 4 "Must
//! show"): single-flight refresh under 200 concurrent requests, rotated refresh tokens across a
//! restart, the bearer-invalid refresh-and-retry, `invalid_grant` → `needs_login`, monthly quota,
//! device login and background validation.

use std::collections::HashMap;
use std::time::Duration;

use crate::common::faults;
use crate::common::pool::*;
use crate::common::task::spawn;
use amazonq_sim::{AccountSpec, SimConfig};
use gateway::pool::{AccountOps, DeviceLoginRequest};
use gateway::pool::{Outcome, PoolConfig, PoolError};
use store::{AccountStatus, AuthMethod};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_tokens_are_refreshed_exactly_once_per_account_under_200_concurrent_requests() {
    let env = Env::new(SimConfig::default()).await;
    // Access tokens live 30 s: inside the 60 s request margin, so every first use must refresh.
    let ids = env
        .add_many(100, 2, |i| expiring(format!("exp-{i:03}"), 30))
        .await;
    let before: HashMap<String, String> = env
        .store
        .all_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.credentials.refresh_token.expose().to_owned()))
        .collect();
    // Tokens minted by the refresh live an hour.
    hour_long_tokens(&env, &ids);
    let (pool, sup) = env.pool(fast()).await;
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let pool = pool.clone();
        tasks.push(spawn(async move {
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
            a.credentials.refresh_token.expose(),
            before[id],
            "{id}: rotated refresh token not persisted"
        );
        assert!(
            a.credentials.expires_at.unwrap() > chrono::Utc::now() + chrono::Duration::minutes(30)
        );
        assert!(a.last_refresh_at.is_some());
    }
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_refresh_token_survives_a_restart() {
    let env = Env::new(SimConfig::default()).await;
    let id = env.add(spec("rot-1"), 2).await;
    let social = env
        .add(
            AccountSpec {
                kind: amazonq_sim::AuthKind::Social,
                ..spec("rot-social")
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
    assert_ne!(
        second.credentials.refresh_token.expose(),
        first.credentials.refresh_token.expose()
    );
    assert_eq!(env2.sim.refresh_calls(&id).unwrap(), 2);
    assert_eq!(env2.sim.refresh_calls(&social).unwrap(), 2);
    let (account, _) = run(&pool, request("#say after restart")).await.unwrap();
    assert!(account == id || account == social);
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_invalid_gets_one_forced_refresh_and_one_retry() {
    let env = Env::new(SimConfig::default()).await;
    let id = env.add(spec("bearer-1"), 2).await;
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
    let dead = env.add(expiring("dead-1", 10), 2).await;
    let ok = env.add(spec("alive-1"), 2).await;
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
    env.disable(&ok).await;
    pool.reload().await.unwrap();
    assert!(matches!(
        pool.send(request("#say x")).await,
        Err(PoolError::NoAccounts(_))
    ));
    assert_eq!(env.sim.refresh_calls(&dead).unwrap(), 1);
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monthly_quota_marks_the_account_exhausted_until_the_reset() {
    let env = Env::new(SimConfig::default()).await;
    let spent = env.add(spent("quota-0", 3), 2).await;
    let fine = env.add(spec("quota-1"), 2).await;
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
async fn device_login_completes_or_is_denied_or_expires_through_the_pool() {
    let env = Env::new(device_sim()).await;
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
    assert!(a.credentials.client.is_some());
    // The new account serves requests and can refresh with the stored registration.
    let (account, text) = run(&pool, request("#say via device")).await.unwrap();
    assert_eq!(
        (account.as_str(), text.as_str()),
        (id.as_str(), "via device")
    );
    AccountOps::refresh(&pool, &id).await.unwrap();
    // An IAM Identity Center login learns its profile ARN and API region.
    let idc = pool
        .start_device_login(DeviceLoginRequest {
            region: Some("us-east-1".into()),
            start_url: Some("https://d-1234567890.awsapps.com/start".into()),
        })
        .await
        .unwrap();
    // The user signs in as an IAM Identity Center user (the simulator refuses profile listing
    // to Builder ID tokens, as the management host does).
    env.sim.add_account(&AccountSpec {
        kind: amazonq_sim::AuthKind::Idc,
        ..spec("device-idc")
    });
    env.sim
        .approve_device(&idc.user_code, Some("device-idc"))
        .unwrap();
    let done = wait_device(&pool, &idc.auth_id, "completed").await;
    let a = env
        .store
        .get_account(&done.account_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.auth_method, AuthMethod::Idc);
    assert_eq!(
        a.settings.start_url.as_deref(),
        Some("https://d-1234567890.awsapps.com/start")
    );
    assert!(
        a.settings
            .profile_arn
            .as_deref()
            .is_some_and(|arn| arn.contains(":profile/")),
        "{:?}",
        a.settings.profile_arn
    );
    assert_eq!(a.settings.api_region, "us-east-1");
    // Denied and unknown logins.
    let second = pool
        .start_device_login(DeviceLoginRequest::default())
        .await
        .unwrap();
    env.sim.deny_device(&second.user_code).unwrap();
    let denied = wait_device(&pool, &second.auth_id, "denied").await;
    assert!(denied.account_id.is_none());
    let third = pool
        .start_device_login(DeviceLoginRequest::default())
        .await
        .unwrap();
    env.sim.expire_device(&third.user_code).unwrap();
    let expired = wait_device(&pool, &third.auth_id, "expired").await;
    assert!(expired.error.is_some_and(|e| e.contains("expired")));
    assert!(pool.device_login_status("nope").await.is_err());
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fed_accounts_are_validated_in_the_background() {
    let env = Env::new(SimConfig::default()).await;
    let (pool, sup) = env.pool(fast()).await;
    let good = env.add(spec("feed-ok"), 2).await;
    let bad = env.add(spec("feed-bad"), 2).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_refresher_renews_tokens_before_they_expire() {
    let env = Env::new(SimConfig::default()).await;
    // Tokens live 2 minutes: inside the 5-minute skew, so the refresher takes them all.
    let ids = env
        .add_many(30, 2, |i| expiring(format!("bg-{i:02}"), 120))
        .await;
    hour_long_tokens(&env, &ids);
    let cfg = PoolConfig {
        refresh_skew_ms: 300_000,
        refresh_jitter_ms: 1_000,
        refresh_check_ms: 100,
        refresh_concurrency: 4,
        ..fast()
    };
    let (_pool, sup) = env.pool(cfg).await;
    for _ in 0..250 {
        if ids.iter().all(|id| env.sim.refresh_calls(id).unwrap() == 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Several more passes: fresh tokens are left alone.
    tokio::time::sleep(Duration::from_millis(400)).await;
    for id in &ids {
        assert_eq!(env.sim.refresh_calls(id).unwrap(), 1, "{id}");
        let a = env.store.get_account(id).await.unwrap().unwrap();
        assert!(
            a.credentials.expires_at.unwrap() > chrono::Utc::now() + chrono::Duration::minutes(30)
        );
        assert_eq!(env.chat_calls(id), 0);
    }
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_are_refreshed_periodically_and_mark_spent_accounts_exhausted() {
    let env = Env::new(SimConfig::default()).await;
    let ids = env
        .add_many(3, 2, |i| AccountSpec {
            limits: amazonq_sim::Limits {
                monthly_limit: Some(50),
                ..amazonq_sim::Limits::default()
            },
            usage: 7,
            ..spec(format!("q-{i}"))
        })
        .await;
    let spent = env.add(spent("q-spent", 5), 2).await;
    let (pool, sup) = env
        .pool(PoolConfig {
            quota_refresh_ms: 200,
            ..fast()
        })
        .await;
    let mut all = Vec::new();
    for _ in 0..250 {
        all = env.store.all_accounts().await.unwrap();
        if all.iter().all(|a| a.quota.is_some() && a.models.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for a in all.iter().filter(|a| ids.contains(&a.id)) {
        let q = a.quota.clone().unwrap();
        assert_eq!((q.used, q.limit), (7.0, 50.0), "{}", a.id);
        assert!(q.resets_at.unwrap() > chrono::Utc::now());
        assert_eq!(a.status, AccountStatus::Active);
    }
    assert_eq!(pool.status(&spent), Some(AccountStatus::Exhausted));
    for _ in 0..10 {
        assert_ne!(run(&pool, request("#say ok")).await.unwrap().0, spent);
    }
    assert_eq!(env.chat_calls(&spent), 0);
    // Credits come back (new month, top-up): the next quota fetch makes the account active.
    let patch = amazonq_sim::AccountPatch {
        usage: Some(0),
        ..Default::default()
    };
    env.sim.patch_account(&spent, &patch).unwrap();
    let a = AccountOps::fetch_usage(&pool, &spent).await.unwrap();
    assert_eq!(a.status, AccountStatus::Active);
    assert_eq!(pool.status(&spent), Some(AccountStatus::Active));
    let mut used = false;
    for _ in 0..10 {
        used |= run(&pool, request("#say ok")).await.unwrap().0 == spent;
    }
    assert!(used, "the recovered account was not used again");
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_polling_honours_interval_and_slow_down() {
    let env = Env::new(device_sim()).await;
    // One protocol second = 50 ms here.
    let (pool, sup) = env.pool(fast()).await;
    let started = pool
        .start_device_login(DeviceLoginRequest::default())
        .await
        .unwrap();
    faults::queue(&env.sim, "oidc", "auth-slow-down", 1);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    env.sim.approve_device(&started.user_code, None).unwrap();
    for _ in 0..200 {
        if pool
            .device_login_status(&started.auth_id)
            .await
            .unwrap()
            .status
            == "completed"
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        pool.device_login_status(&started.auth_id)
            .await
            .unwrap()
            .status,
        "completed"
    );
    let polls: Vec<i64> = env
        .sim
        .all_requests()
        .into_iter()
        .filter(|e| {
            e.path == "/token"
                && e.json.as_ref().is_some_and(|j| {
                    j["grantType"]
                        .as_str()
                        .is_some_and(|g| g.contains("device_code"))
                })
        })
        .map(|e| e.at_ms)
        .collect();
    assert!(polls.len() >= 3, "{polls:?}");
    // First poll after one interval (50 ms); after slow_down every gap is interval + 5 (300 ms).
    let gaps: Vec<i64> = polls.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().all(|g| *g >= 280),
        "polled faster than interval + 5 after slow_down: {gaps:?}"
    );
    assert!(gaps.len() <= 5, "too many polls: {gaps:?}");
    sup.shutdown(Duration::from_secs(2)).await;
}

/// A simulator whose device codes ask for polling every second and never answer `slow_down` on
/// their own (a test queues it where it wants one).
fn device_sim() -> SimConfig {
    let mut config = SimConfig::default();
    config.oidc.device_interval_s = 1;
    config.oidc.enforce_slow_down = false;
    config
}
