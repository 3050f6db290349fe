//! The Redis-backed seams against the shared Redis on 127.0.0.1:6379 (each test under its own
//! key prefix), and their documented fallback when Redis cannot be reached (fleet/mod.rs).

use std::time::Duration;

use gateway::change::{Change, ChangeNotifier};
use gateway::fleet::{
    Redis, RedisConcurrencyLimiter, RedisCooldownStore, RedisNotifier, RedisRateLimiter,
    RedisRefreshLock, RedisStickyStore,
};
use gateway::limits::{ConcurrencyLimiter, RateDecision, RateLimiter};
use gateway::pool::{CooldownStore, RefreshLock, StickyStore};
use gateway::tasks::Supervisor;

use crate::common::fleet::{SHARED_REDIS, unique_prefix};
use crate::common::task::spawn;

fn redis(prefix: &str) -> Redis {
    Redis::new(SHARED_REDIS, Some(prefix)).unwrap()
}

#[tokio::test]
async fn rate_limit_is_shared_between_handles() {
    let p = unique_prefix();
    let a = RedisRateLimiter::new(redis(&p));
    let b = RedisRateLimiter::new(redis(&p));
    let w = Duration::from_mins(1);
    crate::common::fleet::avoid_window_edge(w).await;
    let mut allowed = 0;
    for i in 0..10 {
        let l = if i % 2 == 0 { &a } else { &b };
        if matches!(
            l.hit("ip:1.2.3.4", 4, w).await,
            RateDecision::Allowed { .. }
        ) {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 4);
    match a.hit("ip:1.2.3.4", 4, w).await {
        RateDecision::Limited { retry_after } => assert!(retry_after <= w),
        RateDecision::Allowed { .. } => panic!("over the limit"),
    }
    // another bucket is independent
    assert!(matches!(
        b.hit("ip:5.6.7.8", 4, w).await,
        RateDecision::Allowed { remaining: 3 }
    ));
    crate::common::fleet::clear_prefix(&p).await;
}

#[tokio::test]
async fn leases_cap_across_handles_and_expire_without_renewal() {
    let p = unique_prefix();
    let a = RedisConcurrencyLimiter::new(redis(&p), Duration::from_millis(600));
    let b = RedisConcurrencyLimiter::new(redis(&p), Duration::from_millis(600));
    let p1 = a.try_acquire("account:x", 2).await.unwrap();
    let p2 = b.try_acquire("account:x", 2).await.unwrap();
    assert!(a.try_acquire("account:x", 2).await.is_none());
    assert!(b.try_acquire("account:x", 2).await.is_none());
    // held leases are renewed: still full after several lifetimes
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(b.try_acquire("account:x", 2).await.is_none());
    assert_eq!(a.in_flight("account:x"), 2);
    drop(p1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let p3 = b.try_acquire("account:x", 2).await.unwrap();
    // A "crashed" holder: its lease exists in Redis but nobody renews it.
    let crashed = crate::common::fleet::raw_add_lease(&p, "account:y", 600).await;
    assert!(crashed);
    assert!(a.try_acquire("account:y", 1).await.is_none());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(a.try_acquire("account:y", 1).await.is_some());
    drop((p2, p3));
    crate::common::fleet::clear_prefix(&p).await;
}

#[tokio::test]
async fn min_interval_holds_across_handles() {
    let p = unique_prefix();
    let gap = Duration::from_millis(400);
    let a = RedisConcurrencyLimiter::new(redis(&p), Duration::from_secs(5))
        .with_min_interval(gap, Duration::ZERO);
    let b = RedisConcurrencyLimiter::new(redis(&p), Duration::from_secs(5))
        .with_min_interval(gap, Duration::ZERO);
    let t0 = std::time::Instant::now();
    let first = a.try_acquire("account:m", 5).await.unwrap();
    drop(first);
    // free slots, but too soon after the last start — on either handle
    assert!(b.try_acquire("account:m", 5).await.is_none());
    assert!(a.try_acquire("account:m", 5).await.is_none());
    // other kinds of keys are not paced
    let _k1 = b.try_acquire("key:x", 5).await.unwrap();
    let _k2 = b.try_acquire("key:x", 5).await.unwrap();
    let second = loop {
        if let Some(p) = b.try_acquire("account:m", 5).await {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(t0.elapsed() >= gap);
    drop(second);
    crate::common::fleet::clear_prefix(&p).await;
}

#[tokio::test]
async fn refresh_lock_is_exclusive_across_handles() {
    let p = unique_prefix();
    let a = std::sync::Arc::new(RedisRefreshLock::new(redis(&p), Duration::from_secs(5)));
    let b = std::sync::Arc::new(RedisRefreshLock::new(redis(&p), Duration::from_secs(5)));
    assert!(a.shared());
    let inside = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let max = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let l = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (inside, max) = (inside.clone(), max.clone());
        tasks.push(spawn(async move {
            let _g = l.lock("acc-1").await;
            let n = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            max.fetch_max(n, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(60)).await;
            inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }));
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(10), t)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(max.load(std::sync::atomic::Ordering::SeqCst), 1);
    // fencing numbers only grow: 8 acquisitions → counter 8
    assert_eq!(
        crate::common::fleet::raw_get(&p, "fence:acc-1")
            .await
            .as_deref(),
        Some("8")
    );
    crate::common::fleet::clear_prefix(&p).await;
}

#[tokio::test]
async fn sticky_and_cooldowns_are_shared() {
    let p = unique_prefix();
    let (sa, sb) = (
        RedisStickyStore::new(redis(&p)),
        RedisStickyStore::new(redis(&p)),
    );
    sa.set("session-1", "acc-7").await;
    assert_eq!(sb.get("session-1").await.as_deref(), Some("acc-7"));
    assert_eq!(sb.get("session-2").await, None);
    let (ca, cb) = (
        RedisCooldownStore::new(redis(&p)),
        RedisCooldownStore::new(redis(&p)),
    );
    let until = chrono::Utc::now().timestamp_millis() + 5_000;
    ca.set("acc-7", until).await;
    assert_eq!(cb.get("acc-7").await, Some(until));
    assert_eq!(cb.get("acc-8").await, None);
    crate::common::fleet::clear_prefix(&p).await;
}

#[tokio::test]
async fn changes_reach_other_instances_not_self_twice() {
    let p = unique_prefix();
    let sup = Supervisor::new();
    let a = RedisNotifier::start(redis(&p), &sup);
    let b = RedisNotifier::start(redis(&p), &sup);
    let mut rx_a = a.subscribe();
    let mut rx_b = b.subscribe();
    // let both subscriptions reach Redis
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.publish(Change::Blocklist);
    let got = tokio::time::timeout(Duration::from_secs(1), rx_b.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, Change::Blocklist);
    assert_eq!(rx_a.recv().await.unwrap(), Change::Blocklist);
    // a's own message, echoed by Redis, is not delivered a second time
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rx_a.try_recv().is_err());
    sup.shutdown(Duration::from_secs(2)).await;
    crate::common::fleet::clear_prefix(&p).await;
}

#[tokio::test]
async fn unreachable_redis_falls_back_to_per_instance_limits() {
    // A loopback port nobody listens on.
    let port = crate::common::fleet::free_port();
    let r = Redis::new(&format!("redis://127.0.0.1:{port}"), Some("down")).unwrap();
    let rl = RedisRateLimiter::new(r.clone());
    let w = Duration::from_mins(1);
    crate::common::fleet::avoid_window_edge(w).await;
    let mut allowed = 0;
    for _ in 0..5 {
        if matches!(
            rl.hit("ip:9.9.9.9", 3, w).await,
            RateDecision::Allowed { .. }
        ) {
            allowed += 1;
        }
    }
    // never an open door: the limit still holds, counted locally
    assert_eq!(allowed, 3);
    assert!(!r.is_up());
    let c = RedisConcurrencyLimiter::new(r.clone(), Duration::from_secs(5));
    let _p = c.try_acquire("account:z", 1).await.unwrap();
    assert!(c.try_acquire("account:z", 1).await.is_none());
    assert_eq!(c.in_flight("account:z"), 1);
    let lock = RedisRefreshLock::new(r, Duration::from_secs(5));
    let g = tokio::time::timeout(Duration::from_secs(3), lock.lock("a"))
        .await
        .unwrap();
    drop(g);
}

#[test]
fn deploy_fleet_examples_parse_and_select_fleet_mode() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/fleet");
    let mut prefixes = Vec::new();
    for name in ["instance-a.yaml", "instance-b.yaml"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let c = gateway::Config::from_yaml(&text, name).unwrap();
        assert!(c.redis.url.is_some(), "{name} must enable fleet mode");
        assert!(
            !c.security.trusted_proxies.is_empty(),
            "{name}: nginx must be trusted"
        );
        prefixes.push((
            c.redis.key_prefix.clone(),
            c.database_url().expose().to_owned(),
        ));
    }
    assert_eq!(
        prefixes[0], prefixes[1],
        "both instances share database and key prefix"
    );
    let nginx = std::fs::read_to_string(dir.join("nginx-claude-api-fleet.conf")).unwrap();
    for needed in [
        "proxy_buffering off",
        "proxy_read_timeout 300s",
        "upstream claude_api_fleet",
    ] {
        assert!(nginx.contains(needed), "{needed}");
    }
}
