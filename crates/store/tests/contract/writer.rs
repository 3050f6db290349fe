//! The request-log batch writer: zero rows lost under concurrent load and on shutdown; a full
//! queue drops and counts instead of waiting.

use std::time::Duration;

use chrono::Utc;
use store::{LogFilter, LogSender, LogWriter, LogWriterReport, NewRequestLog, Store, TokenUsage};
use tokio::task::JoinHandle;

use crate::spawn_writer;
use tokio_util::sync::CancellationToken;

fn row(model: &str, n: u64) -> NewRequestLog {
    NewRequestLog {
        at: Utc::now(),
        client_ip: "127.0.0.1".into(),
        model_requested: model.into(),
        dialect: "openai".into(),
        status: 200,
        tokens: TokenUsage {
            input_tokens: n,
            output_tokens: 0,
        },
        duration_ms: n % 100,
        ..NewRequestLog::default()
    }
}

async fn count(store: &Store, model: &str) -> u64 {
    store
        .count_logs(&LogFilter {
            model: Some(model.into()),
            ..LogFilter::default()
        })
        .await
        .unwrap()
}

/// Sends rows `0..n` of `model` (all accepted) and checks that 50 ms later none is written:
/// the writer holds them (`why`).
async fn send_held(store: &Store, tx: &LogSender, model: &str, n: u64, why: &str) {
    for i in 0..n {
        assert!(tx.try_send(row(model, i)));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(count(store, model).await, 0, "held: {why}");
}

/// Cancels the writer and checks that it wrote all `n` rows of `model` on the way out, dropping
/// and failing none.
async fn shut_down(
    store: &Store,
    shutdown: CancellationToken,
    handle: JoinHandle<LogWriterReport>,
    model: &str,
    n: u64,
) {
    shutdown.cancel();
    let report = handle.await.unwrap();
    assert_eq!((report.written, report.dropped, report.failed), (n, 0, 0));
    assert_eq!(count(store, model).await, n);
}

pub async fn run(store: &Store) {
    // Load: 8 producers × 1000 rows while the writer runs; nothing dropped, everything written.
    let (tx, handle, shutdown) = spawn_writer(store, 20_000, 250, Duration::from_millis(20));
    let producers: Vec<_> = (0..8u64)
        .map(|p| {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut accepted = 0u64;
                for i in 0..1000u64 {
                    accepted += u64::from(tx.try_send(row("writer-load", p * 1000 + i)));
                    if i % 50 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                accepted
            })
        })
        .collect();
    let mut accepted = 0;
    for p in producers {
        accepted += p.await.unwrap();
    }
    assert_eq!(accepted, 8000);
    // Let some batches land while running, then shut down with rows possibly still queued.
    tokio::time::sleep(Duration::from_millis(30)).await;
    shut_down(store, shutdown, handle, "writer-load", 8000).await;
    assert_eq!(tx.written(), 8000);
    // After shutdown the queue is closed: a send is refused and counted, never blocks.
    assert!(!tx.try_send(row("writer-late", 1)));
    assert_eq!(tx.dropped(), 1);

    // Shutdown flush: a long interval and large batch mean nothing is written until cancel.
    let (tx, handle, shutdown) = spawn_writer(store, 5000, 100_000, Duration::from_hours(1));
    send_held(
        store,
        &tx,
        "writer-shutdown",
        3000,
        "until batch size, interval or shutdown",
    )
    .await;
    shut_down(store, shutdown, handle, "writer-shutdown", 3000).await;

    // A full batch is written at once, not at the next interval: the writer sleeps until the
    // tick or until a sender sees `batch_size` rows waiting (it is not woken per row).
    let (tx, handle, shutdown) = spawn_writer(store, 1000, 50, Duration::from_hours(1));
    send_held(store, &tx, "writer-batch", 49, "49 rows: below the batch").await;
    assert!(tx.try_send(row("writer-batch", 49)));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    // The writer counts a batch just after its commit, so the rows can be seen a moment before
    // the count: wait for both.
    while count(store, "writer-batch").await < 50 || tx.written() < 50 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a full batch waited for the interval"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(tx.written(), 50);
    shutdown.cancel();
    assert_eq!(handle.await.unwrap().written, 50);

    // Full queue: with the writer unable to run in between (current-thread runtime, no await),
    // exactly `capacity` rows are accepted and the rest dropped and counted; the accepted rows
    // are all written. Also: the writer stops when every sender is dropped.
    let (tx, handle) = LogWriter::spawn(store.clone(), 10, CancellationToken::new());
    let accepted = (0..100)
        .filter(|i| tx.try_send(row("writer-full", *i)))
        .count();
    assert_eq!(accepted, 10);
    assert_eq!(
        (tx.dropped(), tx.queue_depth(), tx.capacity()),
        (90, 10, 10)
    );
    drop(tx);
    let report = handle.await.unwrap();
    assert_eq!((report.written, report.dropped), (10, 90));
    assert_eq!(count(store, "writer-full").await, 10);
}
