//! Account status changes found by one instance reach the other at once in fleet mode (issue 8
//! "cooldowns, `exhausted`/`banned` states … are shared"): two pools on one database, each with
//! its own Redis change notifier on the shared Redis (127.0.0.1:6379, a test-own key prefix), the
//! periodic reload set to an hour so only the announcement can carry the change.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod fleet_support;
mod pool_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use amazonq_sim::{AccountSpec, SimConfig};
use fleet_support::{SHARED_REDIS, clear_prefix, unique_prefix};
use gateway::fleet::{Redis, RedisCooldownStore, RedisNotifier};
use gateway::pool::{Pool, PoolDeps, UpstreamSettings};
use gateway::state::{Change, ChangeNotifier};
use gateway::tasks::Supervisor;
use pool_support::{Env, fast, request, run, spec};
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
        cooldowns: Arc::new(RedisCooldownStore::new(redis)),
        notifier: Some(Arc::clone(&notifier)),
        ..PoolDeps::memory(env.store.clone(), sup.clone())
    };
    let mut cfg = fast();
    // Only the announcement can carry a change within this test.
    cfg.reload_ms = 3_600_000;
    let upstream = UpstreamSettings::single_host(&env.sim.base_url());
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

async fn wait_status(pool: &Pool, id: &str, want: AccountStatus) -> Duration {
    let t0 = Instant::now();
    while pool.status(id) != Some(want) {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
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
    let victim = env.add(spec("fs-victim".into()), 2).await;
    let spent = env
        .add(
            AccountSpec {
                id: "fs-spent".into(),
                monthly_limit: Some(3),
                usage: 3,
                ..AccountSpec::default()
            },
            2,
        )
        .await;
    let fine = env.add(spec("fs-fine".into()), 2).await;
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
