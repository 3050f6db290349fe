//! Request logs: batch insert, every filter, paging, bodies, stats numbers recomputed here from
//! the inserted rows, and retention cleanup.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use store::{
    Counts, GroupStats, LogFilter, NewRequestLog, Percentiles, StatsRange, Store, TokenUsage,
};

const MODELS: [&str; 2] = ["claude-sonnet-4.5", "claude-4.5-opus-high"];
const ACCOUNTS: [Option<&str>; 3] = [Some("acct-1"), Some("acct-2"), None];

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap()
}

fn row(i: u64, at: DateTime<Utc>) -> NewRequestLog {
    let model = MODELS[(i % 2) as usize];
    let status = if i.is_multiple_of(7) {
        500
    } else if i.is_multiple_of(11) {
        429
    } else {
        200
    };
    let stream = i % 2 == 1;
    NewRequestLog {
        at,
        client_ip: format!("203.0.113.{}", i % 5),
        key_id: Some(
            if i.is_multiple_of(4) {
                "key-a"
            } else {
                "key-b"
            }
            .into(),
        ),
        account_id: ACCOUNTS[(i % 3) as usize].map(str::to_owned),
        model_requested: model.into(),
        model_used: match i % 10 {
            0 => None,
            3 => Some("claude-sonnet-4.5-v2".into()),
            _ => Some(model.into()),
        },
        dialect: if stream { "anthropic" } else { "openai" }.into(),
        stream,
        status,
        error_class: match status {
            500 => Some("upstream_5xx".into()),
            429 => Some("throttled".into()),
            _ => None,
        },
        tokens: TokenUsage {
            input_tokens: 10 + i,
            output_tokens: 2 * i,
        },
        ttfb_ms: stream.then_some(i * 3 + 5),
        duration_ms: (i * 37) % 1000 + 1,
        rules_fired: if i.is_multiple_of(6) {
            vec!["strip_cache_control".into(), "merge_system".into()]
        } else {
            vec![]
        },
        request_body: (i == 42).then(|| r#"{"model":"claude-sonnet-4.5","messages":[]}"#.into()),
        response_body: (i == 42).then(|| "data: {\"x\":\"é\"}".into()),
    }
}

fn nearest_rank(mut v: Vec<u64>) -> Percentiles {
    if v.is_empty() {
        return Percentiles::default();
    }
    v.sort_unstable();
    let n = v.len();
    let at = |p: usize| Some(v[(p * n).div_ceil(100).max(1) - 1]);
    Percentiles {
        p50: at(50),
        p90: at(90),
        p99: at(99),
    }
}

/// The tokens of `rows`, summed.
fn tokens_of(rows: &[NewRequestLog]) -> TokenUsage {
    let mut sum = TokenUsage::default();
    for r in rows {
        sum += r.tokens;
    }
    sum
}

fn groups(
    rows: &[NewRequestLog],
    key: impl Fn(&NewRequestLog) -> Option<String>,
) -> Vec<GroupStats> {
    let mut m: BTreeMap<Option<String>, GroupStats> = BTreeMap::new();
    for r in rows {
        let k = key(r);
        let g = &mut m
            .entry(k.clone())
            .or_insert(GroupStats {
                key: k,
                counts: Counts::default(),
            })
            .counts;
        g.requests += 1;
        g.errors += u64::from(r.status >= 400);
        g.tokens += r.tokens;
    }
    let mut out: Vec<_> = m.into_values().collect();
    // Busiest first, then by key, the `None` group last.
    out.sort_by_key(|g| (Reverse(g.counts.requests), g.key.is_none(), g.key.clone()));
    out
}

#[expect(
    clippy::too_many_lines,
    reason = "the request-log contract run against one engine, in order: later checks read what earlier ones wrote"
)]
pub async fn run(store: &Store) {
    let from = base();
    let to = from + Duration::hours(3);
    let in_range: Vec<NewRequestLog> = (0..120)
        .map(|i| row(i, from + Duration::seconds(90 * i as i64)))
        .collect();
    let old: Vec<NewRequestLog> = (0..10)
        .map(|i| row(i, from - Duration::days(2) + Duration::minutes(i as i64)))
        .collect();
    let at_end: Vec<NewRequestLog> = (0..5).map(|i| row(i, to)).collect();
    assert_eq!(store.insert_logs_batch(&in_range).await.unwrap(), 120);
    assert_eq!(store.insert_logs_batch(&old).await.unwrap(), 10);
    store.insert_log(&at_end[0]).await.unwrap();
    assert_eq!(store.insert_logs_batch(&at_end[1..]).await.unwrap(), 4);
    assert_eq!(store.insert_logs_batch(&[]).await.unwrap(), 0);

    // Filters (all within [from, to) unless stated).
    let f = |edit: &dyn Fn(&mut LogFilter)| {
        let mut lf = LogFilter {
            from: Some(from),
            to: Some(to),
            ..LogFilter::default()
        };
        edit(&mut lf);
        lf
    };
    let count =
        |pred: &dyn Fn(&NewRequestLog) -> bool| in_range.iter().filter(|r| pred(r)).count() as u64;
    assert_eq!(store.count_logs(&LogFilter::default()).await.unwrap(), 135);
    assert_eq!(store.count_logs(&f(&|_| {})).await.unwrap(), 120);
    // (filter, rows it must count), one case per filter field and one combining two.
    let cases: [(LogFilter, u64); 10] = [
        (f(&|l| l.status = Some(500)), count(&|r| r.status == 500)),
        (f(&|l| l.errors_only = true), count(&|r| r.status >= 400)),
        (
            f(&|l| l.model = Some("claude-sonnet-4.5-v2".into())),
            count(&|r| r.model_used.as_deref() == Some("claude-sonnet-4.5-v2")),
        ),
        (
            f(&|l| l.model = Some("claude-4.5-opus-high".into())),
            count(&|r| r.model_requested == "claude-4.5-opus-high"),
        ),
        (f(&|l| l.account_id = Some("acct-1".into())), 40),
        (f(&|l| l.key_id = Some("key-a".into())), 30),
        (f(&|l| l.ip = Some("203.0.113.3".into())), 24),
        (f(&|l| l.q = Some("OPUS".into())), 60),
        (
            f(&|l| l.q = Some("5xx".into())),
            count(&|r| r.status == 500),
        ),
        (
            f(&|l| {
                l.account_id = Some("acct-2".into());
                l.status = Some(200);
            }),
            count(&|r| r.account_id.as_deref() == Some("acct-2") && r.status == 200),
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(store.count_logs(&filter).await.unwrap(), want, "{filter:?}");
    }

    // Paging: newest first, no bodies in lists; one row read back with bodies and every field.
    let p1 = store.list_logs(&f(&|l| l.per_page = 50)).await.unwrap();
    assert_eq!((p1.total, p1.items.len()), (120, 50));
    assert_eq!(p1.items[0].log.at, from + Duration::seconds(90 * 119));
    assert!(p1.items.windows(2).all(|w| w[0].log.at >= w[1].log.at));
    let p3 = store
        .list_logs(&f(&|l| {
            l.per_page = 50;
            l.page = 3;
        }))
        .await
        .unwrap();
    assert_eq!(p3.items.len(), 20);
    assert_eq!(p3.items.last().unwrap().log.at, from);
    let listed42 = p1
        .items
        .iter()
        .chain(
            store
                .list_logs(&f(&|l| {
                    l.per_page = 50;
                    l.page = 2;
                }))
                .await
                .unwrap()
                .items
                .iter(),
        )
        .find(|r| r.log.at == from + Duration::seconds(90 * 42))
        .cloned()
        .unwrap();
    assert!(listed42.log.request_body.is_none() && listed42.log.response_body.is_none());
    let full = store.get_log(listed42.id).await.unwrap().unwrap();
    assert_eq!(full.log, in_range[42]);
    assert_eq!(
        full.log.rules_fired,
        ["strip_cache_control", "merge_system"]
    );
    assert!(store.get_log(-1).await.unwrap().is_none());

    // Stats, checked against numbers computed here from the inserted rows.
    let range = StatsRange { from, to };
    let st = store.log_stats(range).await.unwrap();
    let errors = count(&|r| r.status >= 400);
    assert_eq!(st.total, 120);
    assert_eq!(st.errors, errors);
    assert_eq!(st.success, 120 - errors);
    assert!((st.success_rate - (120 - errors) as f64 / 120.0).abs() < 1e-12);
    assert_eq!(st.tokens, tokens_of(&in_range));
    assert_eq!(
        st.latency_ms,
        nearest_rank(in_range.iter().map(|r| r.duration_ms).collect())
    );
    assert_eq!(
        st.ttfb_ms,
        nearest_rank(in_range.iter().filter_map(|r| r.ttfb_ms).collect())
    );
    assert!(
        st.latency_ms.p50.unwrap() <= st.latency_ms.p90.unwrap()
            && st.latency_ms.p90 <= st.latency_ms.p99
    );
    assert_eq!(
        st.by_model,
        groups(&in_range, |r| Some(
            r.model_used
                .clone()
                .unwrap_or_else(|| r.model_requested.clone())
        ))
    );
    assert_eq!(st.by_model.len(), 3);
    assert_eq!(st.by_account, groups(&in_range, |r| r.account_id.clone()));
    assert_eq!(st.by_account.last().unwrap().key, None);
    let hours: Vec<_> = st
        .by_hour
        .iter()
        .map(|h| (h.hour, h.counts.requests))
        .collect();
    assert_eq!(
        hours,
        [
            (from, 40),
            (from + Duration::hours(1), 40),
            (from + Duration::hours(2), 40)
        ]
    );
    let second_hour = &in_range[40..80];
    assert_eq!(
        st.by_hour[1].counts.errors,
        second_hour.iter().filter(|r| r.status >= 400).count() as u64
    );
    assert_eq!(st.by_hour[1].counts.tokens, tokens_of(second_hour));
    // One row: every percentile is that row.
    let one = store
        .log_stats(StatsRange {
            from,
            to: from + Duration::seconds(1),
        })
        .await
        .unwrap();
    assert_eq!(one.total, 1);
    assert_eq!(
        one.latency_ms,
        Percentiles {
            p50: Some(1),
            p90: Some(1),
            p99: Some(1)
        }
    );
    assert_eq!(
        one.ttfb_ms,
        Percentiles::default(),
        "row 0 is not streamed: no ttfb"
    );
    let empty = store
        .log_stats(StatsRange {
            from: from - Duration::days(30),
            to: from - Duration::days(29),
        })
        .await
        .unwrap();
    assert_eq!(
        (empty.total, empty.success_rate, empty.latency_ms),
        (0, 0.0, Percentiles::default())
    );
    assert!(empty.by_model.is_empty() && empty.by_hour.is_empty());

    // Retention: exactly the old rows go.
    assert_eq!(
        store.cleanup_logs(from - Duration::days(1)).await.unwrap(),
        10
    );
    assert_eq!(
        store.cleanup_logs(from - Duration::days(1)).await.unwrap(),
        0
    );
    assert_eq!(store.count_logs(&LogFilter::default()).await.unwrap(), 125);
    assert_eq!(store.log_stats(range).await.unwrap().total, 120);
}
