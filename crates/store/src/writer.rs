//! The request-log batch writer (issue 7 "Request log": "written through a bounded channel by one
//! batch writer, never on the request path; when the channel is full, rows are dropped and
//! counted, never blocking requests; shutdown flushes").
//!
//! Requests hand rows to [`LogSender::try_send`], which never waits. One task collects rows and
//! writes them with [`Store::insert_logs_batch`] when `batch_size` rows are waiting or
//! `flush_interval` has passed. On shutdown it closes the channel (later sends count as dropped),
//! drains what is queued, and writes everything before its `JoinHandle` completes.
//!
//! The writer does not wait on the channel itself: a receiver parked in `recv` is woken by every
//! send, which cost one task wake-up and poll per request on the request path's core (issue 19
//! bench, bench/README.md "Fixes, round 3"). It sleeps until the interval tick or until a sender
//! sees a full batch waiting ([`Notify`]), then drains the channel with `try_recv`. When every
//! sender is gone it notices at the next tick.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::{NewRequestLog, Store};

/// Tuning for [`LogWriter::spawn_with`].
#[derive(Clone, Copy, Debug)]
pub struct LogWriterConfig {
    /// Channel capacity: rows waiting beyond this are dropped (and counted).
    pub capacity: usize,
    /// Rows per database write.
    pub batch_size: usize,
    /// Longest a row waits before being written when traffic is light.
    pub flush_interval: Duration,
    /// Attempts per batch before it is given up (counted as failed).
    pub max_attempts: u32,
}

impl LogWriterConfig {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity,
            ..Self::default()
        }
    }
}

impl Default for LogWriterConfig {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            batch_size: 200,
            flush_interval: Duration::from_millis(500),
            max_attempts: 3,
        }
    }
}

#[derive(Default)]
struct Counters {
    dropped: AtomicU64,
    written: AtomicU64,
    failed: AtomicU64,
}

/// The request path's handle. Cheap to clone.
#[derive(Clone)]
pub struct LogSender {
    tx: mpsc::Sender<NewRequestLog>,
    counters: Arc<Counters>,
    /// Wakes the writer once `batch` rows are waiting.
    ready: Arc<Notify>,
    /// `batch_size`, at most the channel capacity (a smaller channel could never hold a batch).
    batch: usize,
}

impl std::fmt::Debug for LogSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSender")
            .field("queue_depth", &self.queue_depth())
            .field("dropped", &self.dropped())
            .finish()
    }
}

impl LogSender {
    /// Queues a row without waiting. Returns `false` (and counts a drop) when the queue is full
    /// or the writer has shut down.
    pub fn try_send(&self, log: NewRequestLog) -> bool {
        if self.tx.try_send(log).is_ok() {
            if self.queue_depth() >= self.batch {
                self.ready.notify_one();
            }
            true
        } else {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            false
        }
    }

    /// Rows dropped because the queue was full or closed.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// Rows written to the database so far.
    pub fn written(&self) -> u64 {
        self.counters.written.load(Ordering::Relaxed)
    }

    /// Rows lost because the database refused them `max_attempts` times.
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }

    /// Rows waiting in the channel.
    pub fn queue_depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// The channel capacity.
    pub fn capacity(&self) -> usize {
        self.tx.max_capacity()
    }
}

/// What the writer did, returned when it stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogWriterReport {
    pub written: u64,
    pub dropped: u64,
    pub failed: u64,
}

/// Spawns the writer task.
#[derive(Debug)]
pub struct LogWriter;

impl LogWriter {
    /// A writer with default batching and the given channel capacity. It stops, after flushing,
    /// when `shutdown` is cancelled or every [`LogSender`] is dropped.
    pub fn spawn(
        store: Store,
        capacity: usize,
        shutdown: CancellationToken,
    ) -> (LogSender, JoinHandle<LogWriterReport>) {
        Self::spawn_with(store, LogWriterConfig::with_capacity(capacity), shutdown)
    }

    #[expect(
        clippy::disallowed_methods,
        reason = "the caller owns the task through the returned JoinHandle and awaits it after the \
                  supervisor stopped (the log is flushed last)"
    )]
    pub fn spawn_with(
        store: Store,
        config: LogWriterConfig,
        shutdown: CancellationToken,
    ) -> (LogSender, JoinHandle<LogWriterReport>) {
        let config = LogWriterConfig {
            capacity: config.capacity.max(1),
            batch_size: config.batch_size.max(1),
            max_attempts: config.max_attempts.max(1),
            ..config
        };
        let (tx, rx) = mpsc::channel(config.capacity);
        let counters = Arc::new(Counters::default());
        let ready = Arc::new(Notify::new());
        let sender = LogSender {
            tx,
            counters: Arc::clone(&counters),
            ready: Arc::clone(&ready),
            batch: config.batch_size.min(config.capacity),
        };
        let handle = tokio::spawn(run(store, config, rx, shutdown, counters, ready));
        (sender, handle)
    }
}

async fn run(
    store: Store,
    config: LogWriterConfig,
    mut rx: mpsc::Receiver<NewRequestLog>,
    shutdown: CancellationToken,
    counters: Arc<Counters>,
    ready: Arc<Notify>,
) -> LogWriterReport {
    let mut buf: Vec<NewRequestLog> = Vec::with_capacity(config.batch_size);
    // First tick one interval from now (a plain `interval` fires at once).
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + config.flush_interval,
        config.flush_interval,
    );
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            () = ready.notified() => {}
            _ = tick.tick() => {}
        }
        // Everything waiting now, in batches; a part batch is written too (the tick or a full
        // batch woke us, so the oldest row has waited long enough either way).
        let open = loop {
            match rx.try_recv() {
                Ok(row) => {
                    buf.push(row);
                    if buf.len() >= config.batch_size {
                        flush(&store, &config, &mut buf, &counters).await;
                    }
                }
                Err(TryRecvError::Empty) => break true,
                Err(TryRecvError::Disconnected) => break false,
            }
        };
        flush(&store, &config, &mut buf, &counters).await;
        if !open {
            break; // every sender dropped
        }
    }
    // Shutdown: refuse new rows, then write everything already accepted.
    rx.close();
    while let Some(row) = rx.recv().await {
        buf.push(row);
        if buf.len() >= config.batch_size {
            flush(&store, &config, &mut buf, &counters).await;
        }
    }
    flush(&store, &config, &mut buf, &counters).await;
    let report = LogWriterReport {
        written: counters.written.load(Ordering::Relaxed),
        dropped: counters.dropped.load(Ordering::Relaxed),
        failed: counters.failed.load(Ordering::Relaxed),
    };
    tracing::debug!(?report, "request log writer stopped");
    report
}

async fn flush(
    store: &Store,
    config: &LogWriterConfig,
    buf: &mut Vec<NewRequestLog>,
    counters: &Counters,
) {
    if buf.is_empty() {
        return;
    }
    let n = buf.len() as u64;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match store.insert_logs_batch(buf).await {
            Ok(_) => {
                counters.written.fetch_add(n, Ordering::Relaxed);
                break;
            }
            Err(e) if attempt < config.max_attempts => {
                tracing::warn!(error = %e, attempt, rows = n, "request log batch failed, retrying");
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
            Err(e) => {
                tracing::error!(error = %e, rows = n, "request log batch lost");
                counters.failed.fetch_add(n, Ordering::Relaxed);
                break;
            }
        }
    }
    buf.clear();
}
