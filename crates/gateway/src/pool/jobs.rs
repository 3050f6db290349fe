//! One-shot background jobs of the pool (validating fed accounts, polling a device login,
//! fetching a quota after a quota error), run by one supervised task with bounded concurrency —
//! the gateway never spawns bare tasks (house style: everything under the supervisor, stopped on
//! shutdown).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;

use crate::tasks::Supervisor;

type Job = BoxFuture<'static, ()>;

/// The receiving end, shared across restarts of the runner.
pub(crate) type JobReceiver = Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Job>>>;

/// Submits jobs.
pub(crate) struct Jobs {
    tx: mpsc::UnboundedSender<Job>,
}

impl Jobs {
    pub fn new() -> (Self, JobReceiver) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, Arc::new(tokio::sync::Mutex::new(rx)))
    }

    /// Queues a job; dropped silently once the runner is gone (shutdown).
    pub fn submit(&self, job: impl Future<Output = ()> + Send + 'static) {
        if self.tx.send(Box::pin(job)).is_err() {
            tracing::debug!("pool job dropped: runner stopped");
        }
    }
}

/// Starts the runner: at most `concurrency` jobs at once; cancelled jobs are dropped.
pub(crate) fn spawn_runner(sup: &Supervisor, rx: JobReceiver, concurrency: usize) {
    sup.spawn("pool-jobs", Duration::from_secs(1), move |cancel| {
        let rx = Arc::clone(&rx);
        async move {
            let mut rx = rx.lock().await;
            let mut running: FuturesUnordered<Job> = FuturesUnordered::new();
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return Ok(()),
                    job = rx.recv(), if running.len() < concurrency => match job {
                        Some(job) => running.push(job),
                        None => return Ok(()),
                    },
                    Some(()) = running.next(), if !running.is_empty() => {}
                }
            }
        }
    });
}
