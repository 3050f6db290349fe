//! Issue 11 S4 budget "selection ≤ 5 µs": the CPU cost of one account selection — lease acquire
//! and release through [`Pool::lease`], the path of every request's first attempt (sticky lookup,
//! the strategy's pick, the shared-cooldown check, the per-account lease, release and wake-up) —
//! on a 100-account pool where 5 accounts are cooling down after a throttle and 10 sit at their
//! concurrency cap for the whole run. One benchmark per strategy, plus the sticky-session path.
//!
//! Single-node seams (in memory); no upstream call is made and no token is refreshed. In fleet
//! mode the lease and cooldown checks are Redis round trips: waiting, not selection CPU.

// Set-up failures must abort the run loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use gateway::pool::{
    AccountLease, CooldownStore as _, MemoryCooldownStore, MemoryStickyStore, Pool, PoolConfig,
    PoolDeps, StickyStore as _, Strategy, UpstreamConfig,
};
use gateway::tasks::Supervisor;
use std::sync::Arc;
use store::{AuthMethod, Cipher, NewAccount, Secret, Store, StoreConfig};

const ACCOUNTS: usize = 100;
/// Accounts `0..AT_CAP` have cap 1 and are held by a lease during the whole run.
const AT_CAP: usize = 10;
/// Accounts `AT_CAP..AT_CAP + COOLING` carry a shared throttle cooldown (5 %).
const COOLING: usize = 5;
const MODEL: &str = "claude-sonnet-4.5";
/// A session already assigned to a healthy account (cap 2, one lease free).
const SESSION: &str = "session-bench";

fn id(i: usize) -> String {
    format!("acc-{i:03}")
}

struct Fixture {
    rt: tokio::runtime::Runtime,
    pool: Pool,
    _holds: Vec<AccountLease>,
    _sup: Supervisor,
    _dir: tempfile::TempDir,
}

fn fixture(strategy: Strategy) -> Fixture {
    // One thread, like the gateway under the S-scenarios (one tokio worker on its own core).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let (pool, sup, holds) = rt.block_on(async {
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        let cipher = Cipher::from_key_bytes(&[7; 32]).expect("cipher");
        let store = Store::connect(StoreConfig::new(url, cipher))
            .await
            .expect("store");
        for i in 0..ACCOUNTS {
            let mut new = NewAccount::new(AuthMethod::BuilderId, Secret::new(format!("r-{i}")));
            new.id = Some(id(i));
            new.credentials.access_token = Some(Secret::new(format!("a-{i}")));
            new.credentials.expires_at = Some(chrono::Utc::now() + chrono::Duration::days(1));
            // Cap 1 for the held ones; the rest mix explicit caps and the pool default (0).
            new.settings.max_concurrency = if i < AT_CAP { 1 } else { (i % 2) as u32 * 2 };
            new.settings.weight = 1 + (i % 4) as u32;
            store.create_account(new).await.expect("account");
        }
        let sticky = Arc::new(MemoryStickyStore::default());
        let cooldowns = Arc::new(MemoryCooldownStore::default());
        let until = chrono::Utc::now().timestamp_millis() + 3_600_000;
        for i in AT_CAP..AT_CAP + COOLING {
            cooldowns.set(&id(i), until).await;
        }
        for i in 0..AT_CAP {
            sticky.set(&format!("hold-{i}"), &id(i)).await;
        }
        sticky.set(SESSION, &id(50)).await;
        let sup = Supervisor::new();
        let deps = PoolDeps {
            sticky,
            cooldowns,
            ..PoolDeps::memory(store, sup.clone())
        };
        let cfg = PoolConfig {
            strategy,
            quota_refresh_ms: 0,
            refresh_check_ms: 3_600_000,
            reload_ms: 3_600_000,
            ..PoolConfig::default()
        };
        // Nothing listens there: the benchmark never reaches the upstream.
        let upstream = UpstreamConfig::single_host("http://127.0.0.1:9");
        let pool = Pool::start(deps, cfg, upstream).await.expect("pool");
        let mut holds = Vec::new();
        for i in 0..AT_CAP {
            let lease = pool
                .lease(MODEL, Some(&format!("hold-{i}")))
                .await
                .expect("hold");
            assert_eq!(lease.account_id(), id(i));
            holds.push(lease);
        }
        // Let every cooling account be picked once, so its shared cooldown is known locally (the
        // steady state: a throttled account is found cooling on its first pick, then held).
        for _ in 0..4 * ACCOUNTS {
            let lease = pool.lease(MODEL, None).await.expect("warm-up");
            assert!(!lease.account_id().is_empty());
        }
        (pool, sup, holds)
    });
    Fixture {
        rt,
        pool,
        _holds: holds,
        _sup: sup,
        _dir: dir,
    }
}

/// Time of `iters` selections (acquire + release), measured inside one `block_on`.
fn run(f: &Fixture, iters: u64, sticky: Option<&str>) -> Duration {
    f.rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let lease = f
                .pool
                .lease(MODEL, sticky)
                .await
                .expect("an account is ready");
            black_box(lease.account_id());
            drop(lease);
        }
        start.elapsed()
    })
}

fn select(c: &mut Criterion) {
    let mut group = c.benchmark_group("select");
    for (name, strategy) in [
        ("round_robin", Strategy::RoundRobin),
        ("least_inflight", Strategy::LeastInflight),
        ("weighted_random", Strategy::WeightedRandom),
    ] {
        let f = fixture(strategy);
        group.bench_function(name, |b| b.iter_custom(|iters| run(&f, iters, None)));
        if strategy == Strategy::RoundRobin {
            group.bench_function("sticky_session", |b| {
                b.iter_custom(|iters| run(&f, iters, Some(SESSION)));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, select);
criterion_main!(benches);
