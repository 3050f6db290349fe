//! Selection and health of the account pool against `amazonq-sim` on 127.0.0.1 (issue 4 "Must
//! show"): per-account caps under load over 100+ accounts, throttle cooldowns, bans, sticky
//! sessions, the wait queue, failover before the first event, pacing and model entitlement.

mod hosts;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::pool::*;
use crate::common::task::spawn;
use amazonq_sim::{AccountSpec, SimConfig};
use gateway::pool::AccountOps;
use gateway::pool::{Outcome, PoolConfig, PoolError, PoolRequest, UpstreamConfig};
use store::AccountStatus;

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
        tasks.push(spawn(async move {
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
    for (id, p) in &peak {
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
            throttle_first: u32::from(i % 10 == 0),
            ..spec(format!("thr-{i:03}"))
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
async fn all_busy_after_the_queue_timeout() {
    let env = Env::new(SimConfig::default()).await;
    env.add(spec("busy-1"), 1).await;
    let (pool, sup) = env
        .pool(PoolConfig {
            queue_timeout_ms: 150,
            ..fast()
        })
        .await;
    let held = pool.send(request("#sleep 50\n#say slow")).await.unwrap();
    let started = std::time::Instant::now();
    match pool.send(request("#say x")).await {
        Err(PoolError::AllBusy { retry_after, .. }) => assert!(retry_after > Duration::ZERO),
        other => panic!("expected AllBusy, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(140));
    drop(held);
    run(&pool, request("#say again")).await.unwrap();
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_errors_and_first_byte_timeouts_fail_over_before_the_first_event() {
    let env = Env::new(SimConfig::default()).await;
    env.add_many(2, 2, |i| spec(format!("fo-{i}"))).await;
    let mut upstream = UpstreamConfig::single_host(&env.sim.base_url());
    upstream.timeouts.first_byte = Duration::from_millis(300);
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
        started.elapsed() < Duration::from_secs(2),
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
    env.add(spec("pace-1"), 4).await;
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
    let waiter = spawn({
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
                entitlement: amazonq_sim::Entitlement {
                    models: Some(vec!["claude-haiku-4.5".into()]),
                    ..amazonq_sim::Entitlement::default()
                },
                ..spec("ent-haiku")
            },
            4,
        )
        .await;
    let full = env.add(spec("ent-full"), 4).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooldowns_grow_exponentially_and_reset_after_a_success() {
    let env = Env::new(SimConfig::default()).await;
    let id = env
        .add(
            AccountSpec {
                throttle_first: 3,
                ..spec("backoff")
            },
            2,
        )
        .await;
    let (pool, sup) = env
        .pool(PoolConfig {
            cooldown_base_ms: 200,
            cooldown_max_ms: 10_000,
            ..fast()
        })
        .await;
    for expected in [200, 400, 800] {
        match pool.send(request("#say x")).await {
            Err(PoolError::Upstream {
                class: amazonq::error::ErrorClass::Throttled { .. },
                status,
                ..
            }) => {
                assert_eq!(status, Some(429));
            }
            other => panic!("expected the throttle to reach the caller, got {other:?}"),
        }
        let a = env.store.get_account(&id).await.unwrap().unwrap();
        assert_eq!(a.status, AccountStatus::CoolingDown);
        let reason = a.status_reason.unwrap();
        assert!(reason.contains(&format!("{expected} ms")), "{reason}");
        // While cooling down, the account is not called.
        let calls = env.chat_calls(&id);
        tokio::time::sleep(Duration::from_millis(expected / 2)).await;
        assert_eq!(env.chat_calls(&id), calls);
        tokio::time::sleep(Duration::from_millis(expected / 2 + 30)).await;
    }
    run(&pool, request("#say fine")).await.unwrap();
    assert_eq!(pool.status(&id), Some(AccountStatus::Active));
    sup.shutdown(Duration::from_secs(2)).await;
}

/// Issue 17 item 7: a monthly-quota error keeps the account exhausted until the usage API's reset
/// date (even though its figures show credits left), and a request that no account can serve
/// within the queue timeout is answered at once with the right class, never after it as "busy".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hopeless_requests_are_answered_at_once_with_the_reason() {
    let env = Env::new(SimConfig::default()).await;
    // Nothing configured at all.
    let (pool, sup) = env.pool(fast()).await;
    assert!(matches!(
        pool.send(request("#say x")).await,
        Err(PoolError::NotConfigured)
    ));
    sup.shutdown(Duration::from_secs(2)).await;

    let only = env.add(spec("q-only"), 2).await;
    let (pool, sup) = env.pool(fast()).await;
    fault_any_chat(&env.sim, "monthly-quota");
    match pool.send(request("#say spent")).await {
        Err(PoolError::Upstream { class, .. }) => assert!(
            matches!(class, amazonq::error::ErrorClass::QuotaExhausted { .. }),
            "{class:?}"
        ),
        other => panic!("expected the upstream quota error, got {other:?}"),
    }
    assert_eq!(pool.status(&only), Some(AccountStatus::Exhausted));
    // The usage API's next reset becomes the hold end (the figures show credits left).
    let reset = {
        let t0 = std::time::Instant::now();
        loop {
            let a = env.store.get_account(&only).await.unwrap().unwrap();
            if let Some(reset) = a.quota.and_then(|q| q.resets_at)
                && a.status_reason
                    .as_deref()
                    .is_some_and(|r| r.ends_with(&format!("(until {})", reset.to_rfc3339())))
            {
                assert_eq!(a.status, AccountStatus::Exhausted);
                break reset;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "reset date never learned: {:?}",
                a.status_reason
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    assert!(reset > chrono::Utc::now() + chrono::Duration::hours(1));
    // The next request: at once (queue timeout 10 s), quota class, the reset date, no upstream call.
    let started = std::time::Instant::now();
    match pool.send(request("#say again")).await {
        Err(PoolError::QuotaExhausted { resets_at }) => assert_eq!(resets_at, Some(reset)),
        other => panic!("expected QuotaExhausted, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited for the queue timeout"
    );
    assert_eq!(
        env.chat_calls(&only),
        1,
        "the exhausted account was called again"
    );
    // A periodic quota check with credits left does not lift a quota error before its reset.
    pool.fetch_usage(&only).await.unwrap();
    assert_eq!(pool.status(&only), Some(AccountStatus::Exhausted));
    sup.shutdown(Duration::from_secs(2)).await;

    // Every other account unusable: 503 material saying why.
    env.disable(&only).await;
    let (pool, sup) = env.pool(fast()).await;
    match pool.send(request("#say x")).await {
        Err(PoolError::NoAccounts(Some(why))) => assert!(why.contains("1 disabled"), "{why}"),
        other => panic!("expected NoAccounts, got {other:?}"),
    }
    sup.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cooldown_past_the_queue_timeout_is_answered_at_once() {
    let env = Env::new(SimConfig::default()).await;
    env.add(spec("cool-only"), 2).await;
    let (pool, sup) = env
        .pool(PoolConfig {
            queue_timeout_ms: 400,
            cooldown_base_ms: 3_000,
            ..fast()
        })
        .await;
    fault_any_chat(&env.sim, "throttled");
    assert!(pool.send(request("#say x")).await.is_err());
    let started = std::time::Instant::now();
    match pool.send(request("#say y")).await {
        Err(PoolError::AllBusy {
            retry_after,
            cooling_down,
        }) => {
            assert!(cooling_down);
            assert!(
                retry_after > Duration::from_secs(1) && retry_after <= Duration::from_secs(3),
                "{retry_after:?}"
            );
        }
        other => panic!("expected AllBusy, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "waited for the queue timeout"
    );
    sup.shutdown(Duration::from_secs(2)).await;
}
