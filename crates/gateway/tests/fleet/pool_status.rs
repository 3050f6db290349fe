//! Account status changes found by one instance reach the other at once in fleet mode (issue 8
//! "cooldowns, `exhausted`/`banned` states … are shared"; issue 17 item 3: every change within
//! 1 s): two pools on one database, each with its own Redis change notifier and cooldown store on
//! the shared Redis (127.0.0.1:6379, a test-own key prefix), the periodic reload set to an hour so
//! only the announcement can carry the change. Operator edits are made as the admin API makes
//! them: store the change, then announce `accounts` on the instance that made it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::faults;
use crate::common::fleet::{SHARED_REDIS, clear_prefix, unique_prefix};
use crate::common::pool::{Env, fast, request, run, spec, spent};
use crate::common::task::spawn;
use amazonq_sim::SimConfig;
use gateway::change::{Change, ChangeNotifier};
use gateway::fleet::{Redis, RedisCooldownStore, RedisNotifier, RedisRefreshLock};
use gateway::pool::AccountOps;
use gateway::pool::{Pool, PoolDeps, UpstreamConfig};
use gateway::tasks::Supervisor;
use store::AccountStatus;

struct Instance {
    pool: Pool,
    notifier: Arc<dyn ChangeNotifier>,
    sup: Supervisor,
}

async fn instance(env: &Env, prefix: &str) -> Instance {
    let sup = Supervisor::new();
    let redis = Redis::new(SHARED_REDIS, Some(prefix)).unwrap();
    let notifier: Arc<dyn ChangeNotifier> = Arc::new(RedisNotifier::start(redis.clone(), &sup));
    let deps = PoolDeps {
        cooldowns: Arc::new(RedisCooldownStore::new(redis.clone())),
        refresh_lock: Arc::new(RedisRefreshLock::new(redis, Duration::from_secs(10))),
        notifier: Some(Arc::clone(&notifier)),
        ..PoolDeps::memory(env.store.clone(), sup.clone())
    };
    let mut cfg = fast();
    // Only the announcement can carry a change within this test.
    cfg.reload_ms = 3_600_000;
    let upstream = UpstreamConfig::single_host(&env.sim.base_url());
    let pool = Pool::start(deps, cfg, upstream).await.unwrap();
    Instance {
        pool,
        notifier,
        sup,
    }
}

/// Waits until `to` hears what `from` publishes (both subscribers are connected).
async fn linked(from: &Instance, to: &Instance) {
    let mut rx = to.notifier.subscribe();
    for _ in 0..100 {
        from.notifier.publish(Change::Settings);
        if tokio::time::timeout(Duration::from_millis(100), async {
            loop {
                if matches!(rx.recv().await, Ok(Change::Settings)) {
                    return;
                }
            }
        })
        .await
        .is_ok()
        {
            return;
        }
    }
    panic!("the two instances never heard each other over Redis");
}

/// Waits until `pool` sees `id` as `want` (`None` = gone); must happen within one second.
async fn wait_status(pool: &Pool, id: &str, want: impl Into<Option<AccountStatus>>) -> Duration {
    let want = want.into();
    let t0 = Instant::now();
    while pool.status(id) != want {
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "{id} is {:?} on the other instance, not {want:?}",
            pool.status(id)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    t0.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn banned_and_exhausted_reach_the_other_instance_at_once() {
    let env = Env::new(SimConfig::default()).await;
    let victim = env.add(spec("fs-victim"), 2).await;
    let spent = env.add(spent("fs-spent", 3), 2).await;
    let fine = env.add(spec("fs-fine"), 2).await;
    env.sim.set_suspended(&victim, true).unwrap();
    let prefix = unique_prefix();
    let a = instance(&env, &prefix).await;
    let b = instance(&env, &prefix).await;
    linked(&a, &b).await;
    linked(&b, &a).await;
    for id in [&victim, &spent] {
        assert_eq!(b.pool.status(id), Some(AccountStatus::Active));
    }

    // Instance A meets the suspension and the used-up quota (and fails over to the good one).
    for _ in 0..6 {
        assert_eq!(run(&a.pool, request("#say ok")).await.unwrap().0, fine);
    }
    assert_eq!(a.pool.status(&victim), Some(AccountStatus::Banned));
    assert_eq!(a.pool.status(&spent), Some(AccountStatus::Exhausted));
    assert_eq!(env.chat_calls(&victim), 1);
    assert_eq!(env.chat_calls(&spent), 1);

    // Instance B applies both without having called either account, long before its reload.
    let banned_after = wait_status(&b.pool, &victim, AccountStatus::Banned).await;
    let exhausted_after = wait_status(&b.pool, &spent, AccountStatus::Exhausted).await;
    println!("B saw banned after {banned_after:?}, exhausted after {exhausted_after:?}");
    for _ in 0..10 {
        assert_eq!(run(&b.pool, request("#say ok")).await.unwrap().0, fine);
    }
    assert_eq!(env.chat_calls(&victim), 1, "B called the banned account");
    assert_eq!(env.chat_calls(&spent), 1, "B called the exhausted account");

    for i in [a, b] {
        i.sup.shutdown(Duration::from_secs(2)).await;
    }
    clear_prefix(&prefix).await;
}

/// Two linked instances on `env` under a fresh prefix.
async fn pair(env: &Env) -> (Instance, Instance, String) {
    let prefix = unique_prefix();
    let a = instance(env, &prefix).await;
    let b = instance(env, &prefix).await;
    linked(&a, &b).await;
    linked(&b, &a).await;
    (a, b, prefix)
}

async fn stop(a: Instance, b: Instance, prefix: &str) {
    for i in [a, b] {
        i.sup.shutdown(Duration::from_secs(2)).await;
    }
    clear_prefix(prefix).await;
}

/// B serves `n` requests; returns the accounts it used.
async fn served_by(pool: &Pool, n: usize) -> std::collections::HashSet<String> {
    let mut used = std::collections::HashSet::new();
    for _ in 0..n {
        used.insert(run(pool, request("#say ok")).await.unwrap().0);
    }
    used
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn needs_login_reaches_the_other_instance_within_a_second() {
    let env = Env::new(SimConfig::default()).await;
    let dead = env.add(spec("fs-dead"), 2).await;
    let fine = env.add(spec("fs-alive"), 2).await;
    let (a, b, prefix) = pair(&env).await;
    env.sim.revoke_refresh(&dead).unwrap();
    // A learns it from the upstream (an operator's "refresh now" meets invalid_grant).
    assert!(a.pool.refresh(&dead).await.is_err());
    assert_eq!(a.pool.status(&dead), Some(AccountStatus::NeedsLogin));
    let after = wait_status(&b.pool, &dead, AccountStatus::NeedsLogin).await;
    println!("B saw needs_login after {after:?}");
    let calls = env.chat_calls(&dead);
    assert_eq!(served_by(&b.pool, 6).await, [fine].into());
    assert_eq!(
        env.chat_calls(&dead),
        calls,
        "B called the account that needs a login"
    );
    stop(a, b, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cooldown_reaches_the_other_instance_within_a_second_and_ends_there_too() {
    let env = Env::new(SimConfig::default()).await;
    let hot = env.add(spec("fs-hot"), 2).await;
    let cold = env.add(spec("fs-cold"), 2).await;
    let (a, b, prefix) = pair(&env).await;
    faults::queue_for(&env.sim, Some(hot.as_str()), "chat", "throttled", 1);
    // A is throttled on `hot` (whichever account it tries first, it ends on `cold`).
    while a.pool.status(&hot) != Some(AccountStatus::CoolingDown) {
        assert_eq!(run(&a.pool, request("#say ok")).await.unwrap().0, cold);
    }
    let after = wait_status(&b.pool, &hot, AccountStatus::CoolingDown).await;
    println!("B saw cooling_down after {after:?}");
    let calls = env.chat_calls(&hot);
    assert_eq!(served_by(&b.pool, 4).await, [cold.clone()].into());
    assert_eq!(env.chat_calls(&hot), calls, "B called the cooling account");
    // The cooldown (1 s here) ends on both: B uses `hot` again without any reload.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(served_by(&b.pool, 4).await.contains(&hot));
    stop(a, b, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_enable_and_delete_reach_the_other_instance_within_a_second() {
    let env = Env::new(SimConfig::default()).await;
    let off = env.add(spec("fs-off"), 2).await;
    let gone = env.add(spec("fs-gone"), 2).await;
    let stay = env.add(spec("fs-stay"), 2).await;
    let (a, b, prefix) = pair(&env).await;
    let announce = |i: &Instance| i.notifier.publish(Change::Accounts);
    let enabled = |on: bool| store::AccountPatch {
        enabled: Some(on),
        ..Default::default()
    };

    env.store
        .update_account(&off, enabled(false))
        .await
        .unwrap();
    announce(&a);
    wait_status(&b.pool, &off, AccountStatus::Disabled).await;
    env.store.delete_account(&gone).await.unwrap();
    announce(&a);
    wait_status(&b.pool, &gone, None).await;
    assert_eq!(served_by(&b.pool, 6).await, [stay.clone()].into());

    // Re-enabled: B uses it again within a second.
    env.store.update_account(&off, enabled(true)).await.unwrap();
    announce(&a);
    wait_status(&b.pool, &off, AccountStatus::Active).await;
    assert!(served_by(&b.pool, 6).await.contains(&off));
    stop(a, b, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_reaches_the_other_instance_within_a_second() {
    let env = Env::new(SimConfig::default()).await;
    let id = env.add(spec("fs-edit"), 1).await;
    let (a, b, prefix) = pair(&env).await;
    // B holds the account's only slot.
    let held = b.pool.lease("", None).await.unwrap();
    assert_eq!(held.account_id(), id);
    // The operator raises its cap on A: B can take a second lease within a second (the waiting
    // lease is woken by the reload the announcement triggers).
    env.store
        .update_account(
            &id,
            store::AccountPatch {
                max_concurrency: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let t0 = Instant::now();
    a.notifier.publish(Change::Accounts);
    let second = tokio::time::timeout(Duration::from_secs(1), b.pool.lease("", None))
        .await
        .expect("the new cap did not reach B within a second")
        .unwrap();
    println!("B applied the edit after {:?}", t0.elapsed());
    assert_eq!(second.account_id(), id);
    drop((held, second));
    stop(a, b, &prefix).await;
}

/// Issue 17 item 2 at the pool level: two instances refresh one account without a shared lock
/// (as while Redis is down), the first one slowly. With a rotation grace window the slow refresh
/// succeeds too but finds the newer token stored and adopts it (compare-and-set); without one
/// the upstream refuses the rotated-away token and the slow instance adopts the stored successor
/// instead of declaring the account `needs_login`. Either way the first stored token survives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_refresh_finishing_after_a_faster_one_keeps_the_newer_token() {
    for grace_ms in [10_000, 0] {
        let mut config = SimConfig::default();
        config.oidc.rotation_grace_ms = grace_ms;
        let env = Env::new(config).await;
        let id = env.add(spec(format!("race-{grace_ms}")), 2).await;
        let (a, sup_a) = env.pool(fast()).await;
        let (b, sup_b) = env.pool(fast()).await;
        faults::queue(&env.sim, "oidc", "auth-delay:500", 1);
        let slow = {
            let (a, id) = (a.clone(), id.clone());
            spawn(async move { a.refresh(&id).await })
        };
        tokio::time::sleep(Duration::from_millis(150)).await;
        let first = b.refresh(&id).await.unwrap();
        let slow = slow.await.unwrap();
        assert!(slow.is_ok(), "grace {grace_ms}: {slow:?}");
        let stored = env.store.get_account(&id).await.unwrap().unwrap();
        assert_eq!(
            stored.credentials.refresh_token.expose(),
            first.credentials.refresh_token.expose(),
            "grace {grace_ms}: the slow refresh overwrote the newer token"
        );
        assert_eq!(
            a.status(&id),
            Some(AccountStatus::Active),
            "grace {grace_ms}"
        );
        assert_eq!(env.sim.refresh_calls(&id).unwrap(), 2);
        // Both serve with the surviving pair, without refreshing again.
        run(&a, request("#say ok")).await.unwrap();
        run(&b, request("#say ok")).await.unwrap();
        assert_eq!(env.sim.refresh_calls(&id).unwrap(), 2);
        for sup in [sup_a, sup_b] {
            sup.shutdown(Duration::from_secs(2)).await;
        }
    }
}
