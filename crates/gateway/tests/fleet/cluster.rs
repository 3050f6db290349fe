//! Two `claude-server` processes in fleet mode (issue 8 "Must show"), sharing PostgreSQL or
//! MariaDB and Redis, with an in-process `amazonq-sim` as upstream: global IP rate limit, IP
//! block propagation, a per-account concurrency cap under concurrent load, 100 expiring accounts
//! refreshed exactly once fleet-wide (also 100 fed accounts hit by a burst at once), a killed
//! instance's leases expiring while the other keeps serving, Redis stopped/restarted mid-run
//! (per-instance fallback, then recovery), a quota error on one instance answered at once on
//! both, and account edits through one instance's admin API applied by the other within 1 s.

use crate::common::pool::spec;
use crate::common::server::get_text;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::common::fleet::{
    Db, Engine, Node, NodeConfig, OwnRedis, SHARED_REDIS, add_account, avoid_window_edge, chat,
    http, seed_settings, unique_prefix,
};
use crate::common::task::spawn;
use amazonq_sim::{SimConfig, SimHandle, Simulator};
use serde_json::json;

/// One scenario as two tests, on PostgreSQL and on MariaDB (each on a throw-away database).
macro_rules! on_both_engines {
    ($scenario:ident: $postgres:ident, $mariadb:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            $scenario(Engine::Postgres).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $mariadb() {
            $scenario(Engine::MariaDb).await;
        }
    };
}

/// Fields drop in order: on a failed assertion the processes die before the database is dropped.
struct Fleet {
    nodes: Vec<Node>,
    sim: SimHandle,
    db: Db,
    store: store::Store,
    prefix: String,
    redis_url: String,
    http: reqwest::Client,
}

/// A simulator and a throw-away database on `engine` with the fleet settings seeded
/// (`ip_limit`: the per-IP requests per minute, none when `None`).
async fn sim_and_db(engine: Engine, ip_limit: Option<u32>) -> (SimHandle, Db, store::Store) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let db = Db::create(engine).await;
    let store = db.store().await;
    seed_settings(&store, ip_limit).await;
    (sim, db, store)
}

impl Fleet {
    async fn start(
        sim: SimHandle,
        db: Db,
        store: store::Store,
        redis_url: &str,
        lease_ttl_ms: u64,
        pool_yaml: &str,
    ) -> Self {
        let prefix = unique_prefix();
        let http = http();
        let sim_url = sim.base_url();
        let mut nodes = Vec::new();
        for _ in 0..2 {
            nodes.push(Node::start(&NodeConfig {
                db_url: &db.url,
                sim_url: &sim_url,
                redis_url,
                prefix: &prefix,
                lease_ttl_ms,
                pool_yaml,
            }));
        }
        for n in &mut nodes {
            n.wait_ready(&http).await;
        }
        Self {
            sim,
            db,
            store,
            nodes,
            prefix,
            redis_url: redis_url.to_owned(),
            http,
        }
    }

    async fn finish(mut self) {
        for n in &mut self.nodes {
            n.kill();
        }
        self.store.close().await.unwrap();
        self.db.drop_db().await;
        crate::common::fleet::clear_prefix_at(&self.redis_url, &self.prefix).await;
    }

    fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(Node::log_text)
            .collect::<Vec<_>>()
            .join("\n----\n")
    }
}

/// Samples the simulator's open streams (`GET /__sim/stats`) and keeps the maximum.
fn watch_streams(sim: &SimHandle, http: &reqwest::Client) -> (Arc<AtomicU64>, Arc<AtomicBool>) {
    let max = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (m, s, http) = (max.clone(), stop.clone(), http.clone());
    let url = format!("{}/__sim/stats", sim.base_url());
    spawn(async move {
        while !s.load(Ordering::Relaxed) {
            if let Ok(r) = http.get(&url).send().await
                && let Ok(v) = r.json::<serde_json::Value>().await
            {
                m.fetch_max(v["streams_active"].as_u64().unwrap_or(0), Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    (max, stop)
}

async fn limits_block_and_concurrency(engine: Engine) {
    let (sim, db, store) = sim_and_db(engine, Some(6)).await;
    let acc = spec("cap2");
    add_account(&sim, &store, &acc, 2, None).await;
    let fleet = Fleet::start(sim, db, store, SHARED_REDIS, 5_000, "").await;
    let (node_a, node_b) = (&fleet.nodes[0], &fleet.nodes[1]);

    // 1. A global IP rate limit: 6 per minute from one address, whichever instance it hits.
    // Client addresses here are only `X-Forwarded-For` values from the trusted loopback peer
    // (RFC 5737 documentation ranges); every connection goes to 127.0.0.1.
    avoid_window_edge(Duration::from_mins(1)).await;
    let mut ok = 0;
    let mut limited = 0;
    for i in 0..10 {
        let node = if i % 2 == 0 { node_a } else { node_b };
        match chat(&fleet.http, node, "192.0.2.11", "hi", false).await {
            (200, _) => ok += 1,
            (429, _) => limited += 1,
            (s, body) => panic!("unexpected {s}: {body}\n{}", fleet.logs()),
        }
    }
    assert_eq!((ok, limited), (6, 4), "{}", fleet.logs());

    // 2. An IP block made on A is enforced by B within one second.
    assert_eq!(
        chat(&fleet.http, node_b, "198.51.100.22", "hi", false)
            .await
            .0,
        200
    );
    let token = admin_token(&fleet).await;
    let resp = fleet
        .http
        .post(node_a.url("/v2/ips/block"))
        .bearer_auth(&token)
        .json(&json!({"ip": "198.51.100.22", "reason": "fleet test"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let t0 = Instant::now();
    assert_eq!(
        chat(&fleet.http, node_a, "198.51.100.22", "hi", false)
            .await
            .0,
        403
    );
    loop {
        let (status, body) = chat(&fleet.http, node_b, "198.51.100.22", "hi", false).await;
        if status == 403 {
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "B still serves a blocked IP after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let propagation = t0.elapsed();
    eprintln!("{engine:?}: IP block enforced by the other instance after {propagation:?}");
    assert!(propagation < Duration::from_secs(1));
    // other addresses are unaffected
    assert_eq!(
        chat(&fleet.http, node_b, "198.51.100.23", "hi", false)
            .await
            .0,
        200
    );

    // 3. The account's cap (2) holds across both instances under concurrent load.
    let (max, stop) = watch_streams(&fleet.sim, &fleet.http);
    let mut tasks = Vec::new();
    for i in 0..12 {
        let http = fleet.http.clone();
        let url = fleet.nodes[i % 2].url("/v1/chat/completions");
        tasks.push(spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(crate::common::fleet::API_KEY)
                .header("x-forwarded-for", format!("203.0.113.{}", 100 + i))
                .json(&json!({"model": "claude-sonnet-4.5", "stream": true,
                    "messages": [{"role": "user", "content": "#say a\n#sleep 300\n#say b"}]}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            (status, body)
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("[DONE]"), "{body}");
    }
    stop.store(true, Ordering::Relaxed);
    let peak = max.load(Ordering::Relaxed);
    eprintln!("{engine:?}: peak concurrent upstream streams on the cap-2 account: {peak}");
    assert_eq!(peak, 2, "cap 2 must hold fleet-wide and be reached");
    fleet.finish().await;
}

on_both_engines!(
    limits_block_and_concurrency:
    postgres_global_limits_block_and_cap,
    mariadb_global_limits_block_and_cap
);

/// Polls `count` every 100 ms until all 100 accounts are `what`; fails after a minute, showing
/// the instances' logs.
async fn all_100(f: &Fleet, what: &str, count: impl AsyncFn() -> usize) {
    let t0 = Instant::now();
    loop {
        let n = count().await;
        if n == 100 {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_mins(1),
            "{n}/100 {what}\n{}",
            f.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn refresh_exactly_once(engine: Engine) {
    let (sim, db, store) = sim_and_db(engine, None).await;
    let mut ids = Vec::new();
    for i in 0..100 {
        let acc = spec(format!("exp-{i:03}"));
        // Expiring in 2 minutes: due for the background refresher (skew 5 minutes) on both.
        ids.push(add_account(&sim, &store, &acc, 2, Some(chrono::Duration::minutes(2))).await);
    }
    let pool = "  refresh_skew_ms: 300000\n  refresh_jitter_ms: 0\n  refresh_check_ms: 200\n  \
                refresh_concurrency: 8\n";
    let f = Fleet::start(sim, db, store, SHARED_REDIS, 10_000, pool).await;
    let t0 = Instant::now();
    all_100(&f, "refreshed", async || {
        ids.iter()
            .filter(|id| f.sim.refresh_calls(id).unwrap() > 0)
            .count()
    })
    .await;
    eprintln!("{engine:?}: 100 accounts refreshed in {:?}", t0.elapsed());
    // Several more refresher ticks on both instances: nobody refreshes again.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for id in &ids {
        assert_eq!(
            f.sim.refresh_calls(id).unwrap(),
            1,
            "{id} refreshed more than once"
        );
    }
    let logged = f
        .sim
        .all_requests()
        .iter()
        .filter(|e| e.path.contains("/token") || e.path.contains("/refreshToken"))
        .count();
    assert_eq!(logged, 100, "refresh requests in the simulator log");
    // The fresh tokens are in the shared database.
    for id in &ids {
        let a = f.store.get_account(id).await.unwrap().unwrap();
        assert!(
            a.credentials.expires_at.unwrap() > chrono::Utc::now() + chrono::Duration::minutes(30)
        );
    }
    // And both instances serve with them (no second refresh on the request path).
    for n in &f.nodes {
        assert_eq!(chat(&f.http, n, "203.0.113.41", "hi", false).await.0, 200);
    }
    assert_eq!(
        ids.iter()
            .map(|id| f.sim.refresh_calls(id).unwrap())
            .sum::<u64>(),
        100
    );
    f.finish().await;
}

on_both_engines!(
    refresh_exactly_once:
    postgres_hundred_accounts_refreshed_once,
    mariadb_hundred_accounts_refreshed_once
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_instance_leases_expire_and_the_other_serves() {
    let (sim, db, store) = sim_and_db(Engine::MariaDb, None).await;
    let acc = spec("solo");
    add_account(&sim, &store, &acc, 1, None).await;
    let mut f = Fleet::start(sim, db, store, SHARED_REDIS, 1_500, "").await;
    let key = gateway::pool::lease_key("solo");
    // A long stream on A holds the only slot.
    let http = f.http.clone();
    let url = f.nodes[0].url("/v1/chat/completions");
    let long = spawn(async move {
        let r = http
            .post(url)
            .bearer_auth(crate::common::fleet::API_KEY)
            .json(&json!({"model": "claude-sonnet-4.5", "stream": true,
                "messages": [{"role": "user", "content": "#say start\n#sleep 30000\n#say end"}]}))
            .send()
            .await
            .unwrap();
        // Keep reading: dropping the response would end the stream (and free the lease).
        r.text().await
    });
    let t0 = Instant::now();
    while f.sim.stats().streams.streams_active < 1 {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "{:?}\n{}",
            f.sim
                .all_requests()
                .iter()
                .map(|e| (&e.decision.operation, e.status))
                .collect::<Vec<_>>(),
            f.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        crate::common::fleet::live_leases(&f.redis_url, &f.prefix, &key).await,
        1
    );
    // Renewed while the stream runs: still held after two lease lifetimes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        crate::common::fleet::live_leases(&f.redis_url, &f.prefix, &key).await,
        1
    );
    f.nodes[0].kill();
    let killed = Instant::now();
    let _ = long.await;
    // B is blocked by the dead instance's lease only until it expires.
    let (s, body) = chat(&f.http, &f.nodes[1], "203.0.113.61", "hi", false).await;
    let waited = killed.elapsed();
    assert_eq!(s, 200, "{body}\n{}", f.logs());
    println!("served by the survivor {waited:?} after the kill (lease 1.5 s)");
    assert!(
        waited < Duration::from_secs(4),
        "lease did not expire in time: {waited:?}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        crate::common::fleet::live_leases(&f.redis_url, &f.prefix, &key).await,
        0
    );
    assert!(f.nodes[1].is_running());
    assert_eq!(
        chat(&f.http, &f.nodes[1], "203.0.113.62", "hi", false)
            .await
            .0,
        200
    );
    f.finish().await;
}

/// Sends `n` requests from `ip`, round-robin over `nodes`; counts the 200s (429s are expected).
async fn count_ok(f: &Fleet, ip: &str, nodes: &[usize], n: usize) -> usize {
    let mut ok = 0;
    for i in 0..n {
        let node = &f.nodes[nodes[i % nodes.len()]];
        match chat(&f.http, node, ip, "hi", false).await {
            (200, _) => ok += 1,
            (429, _) => {}
            (s, body) => panic!("unexpected {s}: {body}\n{}", f.logs()),
        }
    }
    ok
}

/// `(gateway_fleet_redis_up == 1, sum of gateway_fleet_fallback_total over every seam)`.
async fn redis_state(http: &reqwest::Client, node: &Node) -> (bool, u64) {
    let text = get_text(http, &node.url("/metrics")).await;
    let value = |l: &str| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok());
    let up = text
        .lines()
        .find(|l| l.starts_with("gateway_fleet_redis_up"))
        .and_then(value)
        == Some(1.0);
    let fallbacks = text
        .lines()
        .filter(|l| l.starts_with("gateway_fleet_fallback_total"))
        .filter_map(value)
        .sum::<f64>();
    // A counter: a whole number.
    (up, fallbacks as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stop_and_restart_degrades_then_recovers() {
    let mut redis = OwnRedis::start();
    let (sim, db, store) = sim_and_db(Engine::Postgres, Some(4)).await;
    let acc = spec("r1");
    add_account(&sim, &store, &acc, 4, None).await;
    let mut f = Fleet::start(sim, db, store, &redis.url(), 5_000, "").await;

    // Up: 4 per minute fleet-wide.
    avoid_window_edge(Duration::from_mins(1)).await;
    assert_eq!(count_ok(&f, "203.0.113.51", &[0, 1], 8).await, 4);

    // Down: each instance keeps limiting on its own (never an open door) and keeps serving.
    redis.stop();
    avoid_window_edge(Duration::from_mins(1)).await;
    assert_eq!(
        count_ok(&f, "203.0.113.52", &[0], 6).await,
        4,
        "{}",
        f.logs()
    );
    assert_eq!(
        count_ok(&f, "203.0.113.52", &[1], 6).await,
        4,
        "{}",
        f.logs()
    );
    for n in &mut f.nodes {
        assert!(n.is_running());
    }
    for n in &f.nodes {
        assert_eq!(n.metric(&f.http, "gateway_fleet_redis_up").await, Some(0.0));
        assert!(
            n.metric(&f.http, "gateway_fleet_fallback_total")
                .await
                .unwrap_or(0.0)
                >= 1.0
        );
        assert!(
            n.log_text().contains("REDIS UNAVAILABLE"),
            "{}",
            n.log_text()
        );
    }

    // Back: the next calls reconnect and the limit is fleet-wide again. `redis_up` alone is not
    // enough to start counting: one seam (the change subscriber) may reconnect first while the
    // shared connection still fails once and sends the rate limiter back to its local window for
    // another probe period. So wait until, on both instances at once, Redis is up and a whole
    // request went through without any fallback.
    redis.restart();
    let t0 = Instant::now();
    let mut settled = [false, false];
    let mut round = 0u32;
    while !settled.iter().all(|s| *s) {
        for (i, n) in f.nodes.iter().enumerate() {
            let (_, before) = redis_state(&f.http, n).await;
            let _ = chat(&f.http, n, &format!("198.51.100.{}", 100 + i), "hi", false).await;
            let (up, after) = redis_state(&f.http, n).await;
            settled[i] = up && after == before;
        }
        round += 1;
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "no recovery after {round} rounds ({settled:?})\n{}",
            f.logs()
        );
        if !settled.iter().all(|s| *s) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    println!("recovered {:?} after the restart", t0.elapsed());
    avoid_window_edge(Duration::from_mins(1)).await;
    assert_eq!(count_ok(&f, "203.0.113.53", &[0, 1], 8).await, 4);
    for n in &f.nodes {
        assert!(n.log_text().contains("reachable again"));
    }
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_interval_holds_across_instances() {
    let (sim, db, store) = sim_and_db(Engine::Postgres, None).await;
    let acc = spec("paced");
    add_account(&sim, &store, &acc, 4, None).await;
    let pool = "  min_interval_ms: 400\n  min_interval_jitter_ms: 0\n";
    let fleet = Fleet::start(sim, db, store, SHARED_REDIS, 5_000, pool).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let http = fleet.http.clone();
        let url = fleet.nodes[i % 2].url("/v1/chat/completions");
        tasks.push(spawn(async move {
            http.post(url)
                .bearer_auth(crate::common::fleet::API_KEY)
                .json(&json!({"model": "claude-sonnet-4.5",
                    "messages": [{"role": "user", "content": "hi"}]}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let mut starts: Vec<i64> = fleet
        .sim
        .requests(&amazonq_sim::LogFilter {
            operation: Some("chat".into()),
            account: Some("paced".into()),
            ..amazonq_sim::LogFilter::default()
        })
        .iter()
        .map(|e| e.at_ms)
        .collect();
    starts.sort_unstable();
    assert_eq!(starts.len(), 6);
    let gaps: Vec<i64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    println!("gaps between upstream calls on one account across two instances: {gaps:?} ms");
    // 400 ms fleet-wide (a little slack for the distance between lease grant and arrival).
    assert!(gaps.iter().all(|g| *g >= 350), "{gaps:?}");
    fleet.finish().await;
}

/// An admin session on node 0 (default password).
async fn admin_token(f: &Fleet) -> String {
    crate::common::server::admin_login(&f.http, &f.nodes[0].url("")).await
}

/// Waits until node `i` reports `want` for `metric`, at most `within_ms`.
async fn wait_metric(f: &Fleet, i: usize, metric: &str, want: f64, within_ms: u64) {
    let t0 = Instant::now();
    while f.nodes[i].metric(&f.http, metric).await != Some(want) {
        assert!(
            t0.elapsed() < Duration::from_millis(within_ms),
            "node {i}: {metric} not {want} after {within_ms} ms\n{}",
            f.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Issue 17 item 1 with two instances: 100 accounts fed (refresh tokens only) on A, then 200
/// concurrent `/v1/messages` spread over A and B while A validates the new accounts. Every
/// account is refreshed once fleet-wide, counted at the simulator.
async fn fed_burst_refreshes_each_account_once(engine: Engine) {
    let (sim, db, store) = sim_and_db(engine, None).await;
    let tokens = crate::common::burst::accounts(&sim, "fb", 100);
    let f = Fleet::start(sim, db, store, SHARED_REDIS, 10_000, "").await;
    let admin = admin_token(&f).await;
    let r = f
        .http
        .post(f.nodes[0].url("/v2/accounts/feed"))
        .bearer_auth(&admin)
        .json(&crate::common::burst::feed(&tokens))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    // B loads the new accounts on A's change announcement (well before A's validation is done).
    wait_metric(
        &f,
        1,
        "gateway_pool_accounts{status=\"active\"}",
        100.0,
        5_000,
    )
    .await;
    let urls: Vec<String> = f.nodes.iter().map(|n| n.url("/v1/messages")).collect();
    crate::common::burst::burst(&f.http, &urls, Some(crate::common::fleet::API_KEY), 200).await;
    // A's validation ends with each account's quota: wait until it ran for all of them.
    all_100(&f, "validated", async || {
        let accounts = f.store.all_accounts().await.unwrap();
        accounts.iter().filter(|a| a.quota.is_some()).count()
    })
    .await;
    crate::common::burst::refreshed_once(&f.sim, &tokens);
    f.finish().await;
}

/// `POST /v1/messages` on `node`: (status, `retry-after` seconds, body, how long it took).
async fn message(f: &Fleet, node: &Node) -> (u16, Option<i64>, String, Duration) {
    let t0 = Instant::now();
    let r = f
        .http
        .post(node.url("/v1/messages"))
        .header("x-api-key", crate::common::fleet::API_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(
            &json!({"model": "claude-sonnet-4-5-20250929", "max_tokens": 64,
            "messages": [{"role": "user", "content": "#say ok"}]}),
        )
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    (status, retry, r.text().await.unwrap(), t0.elapsed())
}

/// Issue 17 item 7: a monthly-quota error on A makes the account exhausted until the usage
/// API's reset date on both instances, and both answer the next request at once with 429 and
/// the same reset time, instead of A using the account again and B waiting out the queue.
async fn quota_error_answered_at_once_on_both(engine: Engine) {
    let (sim, db, store) = sim_and_db(engine, None).await;
    let acc = spec("fq-1");
    let id = add_account(&sim, &store, &acc, 2, None).await;
    // The default 30 s queue timeout: an answer after it would show.
    let f = Fleet::start(sim, db, store, SHARED_REDIS, 5_000, "").await;
    f.sim.fault_next_chat(None, "monthly-quota").unwrap();
    let (status, _, body, _) = message(&f, &f.nodes[0]).await;
    assert_eq!(status, 429, "{body}");
    // B applies it within a second, and the usage API's reset date becomes the hold end.
    wait_metric(
        &f,
        1,
        "gateway_pool_accounts{status=\"exhausted\"}",
        1.0,
        1_000,
    )
    .await;
    let t0 = Instant::now();
    let reset = loop {
        let a = f.store.get_account(&id).await.unwrap().unwrap();
        if let Some(reset) = a.quota.and_then(|q| q.resets_at)
            && a.status_reason
                .as_deref()
                .is_some_and(|r| r.ends_with(&format!("(until {})", reset.to_rfc3339())))
        {
            break reset;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "{:?}\n{}",
            a.status_reason,
            f.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (i, n) in f.nodes.iter().enumerate() {
        let (status, retry, body, took) = message(&f, n).await;
        assert_eq!(status, 429, "node {i}: {body}");
        assert!(took < Duration::from_secs(3), "node {i} waited {took:?}");
        assert!(body.contains("out of quota until"), "node {i}: {body}");
        let left = (reset - chrono::Utc::now()).num_seconds();
        let retry = retry.unwrap();
        assert!(
            (retry - left).abs() <= 5,
            "node {i}: retry-after {retry}, reset in {left}"
        );
    }
    let chats = f.sim.requests(&amazonq_sim::LogFilter {
        operation: Some("chat".into()),
        account: Some(id.clone()),
        ..amazonq_sim::LogFilter::default()
    });
    assert_eq!(chats.len(), 1, "the exhausted account was called again");
    f.finish().await;
}

on_both_engines!(
    fed_burst_refreshes_each_account_once:
    postgres_fed_burst_on_two_instances_refreshes_each_account_once,
    mariadb_fed_burst_on_two_instances_refreshes_each_account_once
);

on_both_engines!(
    quota_error_answered_at_once_on_both:
    postgres_a_quota_error_on_one_instance_is_answered_at_once_on_both,
    mariadb_a_quota_error_on_one_instance_is_answered_at_once_on_both
);

/// Issue 17 item 3 through the real admin API: disabling, re-enabling and deleting an account on
/// A reaches B within a second (B's account gauges, and B stops or resumes using it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_account_changes_on_one_instance_apply_on_the_other_within_a_second() {
    let (sim, db, store) = sim_and_db(Engine::Postgres, None).await;
    let mut ids = Vec::new();
    for id in ["ad-1", "ad-2"] {
        ids.push(add_account(&sim, &store, &spec(id), 2, None).await);
    }
    let f = Fleet::start(sim, db, store, SHARED_REDIS, 5_000, "").await;
    let admin = admin_token(&f).await;
    let active = "gateway_pool_accounts{status=\"active\"}";
    let disabled = "gateway_pool_accounts{status=\"disabled\"}";
    wait_metric(&f, 1, active, 2.0, 5_000).await;
    let edit = |method: reqwest::Method, body: Option<serde_json::Value>| {
        let mut rb = f
            .http
            .request(method, f.nodes[0].url(&format!("/v2/accounts/{}", ids[0])))
            .bearer_auth(&admin);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        async move {
            let r = rb.send().await.unwrap();
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        }
    };
    let chats_on_first = || {
        f.sim
            .requests(&amazonq_sim::LogFilter {
                operation: Some("chat".into()),
                account: Some(ids[0].clone()),
                ..amazonq_sim::LogFilter::default()
            })
            .len()
    };
    // Four chats from `ip` through B, each served.
    let four_served_by_b = async |ip: &str| {
        for _ in 0..4 {
            let (status, body) = chat(&f.http, &f.nodes[1], ip, "#say ok", false).await;
            assert_eq!(status, 200, "{body}");
        }
    };

    edit(reqwest::Method::PATCH, Some(json!({"enabled": false}))).await;
    wait_metric(&f, 1, disabled, 1.0, 1_000).await;
    let before = chats_on_first();
    four_served_by_b("203.0.113.71").await;
    assert_eq!(chats_on_first(), before, "B used the disabled account");

    edit(reqwest::Method::PATCH, Some(json!({"enabled": true}))).await;
    wait_metric(&f, 1, active, 2.0, 1_000).await;
    four_served_by_b("203.0.113.72").await;
    assert!(
        chats_on_first() > before,
        "B never used the re-enabled account"
    );

    edit(reqwest::Method::DELETE, None).await;
    wait_metric(&f, 1, active, 1.0, 1_000).await;
    f.finish().await;
}
