//! The log writer under real parallel load (multi-threaded runtime, SQLite file database): a
//! small queue overflows and shutdown lands while producers are still sending. The invariant
//! "every row `try_send` accepted is in the database, every refused one is counted as dropped"
//! must hold exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use store::{LogFilter, NewRequestLog};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_rows_all_land_and_refusals_are_counted() {
    let (dir, url) = crate::temp_sqlite("load.sqlite3");
    let store = crate::connect(&url).await;

    let (tx, handle, shutdown) = crate::spawn_writer(&store, 256, 128, Duration::from_millis(10));
    let accepted = Arc::new(AtomicU64::new(0));
    let attempted = Arc::new(AtomicU64::new(0));
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let tx = tx.clone();
            let accepted = Arc::clone(&accepted);
            let attempted = Arc::clone(&attempted);
            tokio::spawn(async move {
                for i in 0..20_000u64 {
                    let row = NewRequestLog {
                        at: Utc::now(),
                        client_ip: format!("127.0.0.{p}"),
                        model_requested: "load".into(),
                        dialect: "openai".into(),
                        status: 200,
                        duration_ms: i,
                        ..NewRequestLog::default()
                    };
                    attempted.fetch_add(1, Ordering::SeqCst);
                    if tx.try_send(row) {
                        accepted.fetch_add(1, Ordering::SeqCst);
                    }
                    // Paced so shutdown (at 150 ms) lands while every producer is still sending.
                    if i % 64 == 0 {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            })
        })
        .collect();
    // Shut down mid-stream: producers keep sending into a closed queue.
    tokio::time::sleep(Duration::from_millis(150)).await;
    shutdown.cancel();
    let report = handle.await.unwrap();
    for p in producers {
        p.await.unwrap();
    }
    let accepted = accepted.load(Ordering::SeqCst);
    let attempted = attempted.load(Ordering::SeqCst);
    let stored = store
        .count_logs(&LogFilter {
            model: Some("load".into()),
            ..LogFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(attempted, 80_000);
    assert!(accepted > 0, "the writer accepted nothing");
    assert_eq!(report.failed, 0);
    assert_eq!(stored, accepted, "an accepted row was lost");
    assert_eq!(report.written, accepted);
    assert_eq!(
        tx.dropped(),
        attempted - accepted,
        "every refusal is counted"
    );
    assert!(
        tx.dropped() > 0,
        "expected overflow or post-shutdown refusals with a 256-row queue"
    );
    eprintln!(
        "accepted {accepted} of {attempted}; dropped {}",
        tx.dropped()
    );
    store.close().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
