//! Background work: every loop is a named task under one [`Supervisor`] with a cancellation token
//! (shared/ARCHITECTURE.md §Boundaries; house style rule 16). Bare `tokio::spawn` (and
//! `Handle::spawn`) is not used elsewhere in the gateway: `clippy.toml` bans both.
//!
//! A task is an async closure that receives a child [`CancellationToken`] and returns when it is
//! cancelled. If it returns an error (or returns early) while the server is running, the supervisor
//! logs the name and reason and restarts it after a back-off, so one transient database error does
//! not silently stop retention or cache reloads.
//!
//! Shutdown order (driven by `lib.rs`): stop accepting → drain streams (bounded) → [`Supervisor::
//! shutdown`] cancels and awaits every task (bounded) → flush the log writer → close the pools.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Error a task reports when it stops unexpectedly.
pub type TaskError = String;

/// Owns the background tasks.
#[derive(Debug, Clone)]
pub struct Supervisor {
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Default for Supervisor {
    fn default() -> Self {
        Self::new()
    }
}

impl Supervisor {
    /// An empty supervisor.
    pub fn new() -> Self {
        Self {
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
        }
    }

    /// The token every task observes.
    pub fn token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Starts `name`, restarting it (after `backoff`) whenever it stops before cancellation.
    pub fn spawn<F, Fut>(&self, name: &'static str, backoff: Duration, mut make: F)
    where
        F: FnMut(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), TaskError>> + Send + 'static,
    {
        let cancel = self.cancel.clone();
        self.tracker.spawn(async move {
            tracing::debug!(task = name, "task started");
            loop {
                let result = make(cancel.child_token()).await;
                if cancel.is_cancelled() {
                    tracing::debug!(task = name, "task stopped");
                    return;
                }
                match result {
                    Ok(()) => tracing::warn!(task = name, "task returned early; restarting"),
                    Err(e) => tracing::error!(task = name, error = %e, "task failed; restarting"),
                }
                metrics::counter!("gateway_task_restarts_total", "task" => name).increment(1);
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
            }
        });
    }

    /// Runs one short-lived `fut` named `name` under the supervisor (a publish, a lock or lease
    /// renewal): shutdown cancels it at its next await and waits for it like every other task.
    pub fn spawn_detached<Fut>(&self, name: &'static str, fut: Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        let cancel = self.cancel.clone();
        self.tracker.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => tracing::debug!(task = name, "detached task cancelled"),
                () = fut => {}
            }
        });
    }

    /// Runs `fut` named `name` to its end under the supervisor, for bookkeeping that must not be
    /// cut in half (a finished turn's outcome, a lock release from a `Drop`): shutdown does not
    /// cancel it but waits for it (bounded) before the store closes. Outside a runtime (the
    /// process is ending) `fut` is dropped unrun.
    pub fn spawn_tracked<Fut>(&self, name: &'static str, fut: Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        if tokio::runtime::Handle::try_current().is_err() {
            tracing::debug!(task = name, "no runtime left; tracked task dropped");
            return;
        }
        self.tracker.spawn(fut);
    }

    /// Runs `tick` every `period` until cancelled (errors are logged, the loop goes on).
    pub fn spawn_interval<F, Fut>(&self, name: &'static str, period: Duration, tick: F)
    where
        F: Fn() -> Fut + Send + Sync + Clone + 'static,
        Fut: Future<Output = Result<(), TaskError>> + Send + 'static,
    {
        self.spawn(name, period, move |cancel| {
            let tick = tick.clone();
            async move {
                let mut interval = tokio::time::interval(period);
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        () = cancel.cancelled() => return Ok(()),
                        _ = interval.tick() => {
                            if let Err(e) = tick().await {
                                tracing::warn!(task = name, error = %e, "periodic task tick failed");
                            }
                        }
                    }
                }
            }
        });
    }

    /// Cancels every task and waits up to `bound` for them to finish.
    pub async fn shutdown(&self, bound: Duration) -> bool {
        self.cancel.cancel();
        self.tracker.close();
        let finished = tokio::time::timeout(bound, self.tracker.wait())
            .await
            .is_ok();
        if !finished {
            tracing::warn!(?bound, "background tasks did not stop in time");
        }
        finished
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn restarts_failed_task_and_stops_on_shutdown() {
        let sup = Supervisor::new();
        let runs = Arc::new(AtomicU32::new(0));
        let r = Arc::clone(&runs);
        sup.spawn("flaky", Duration::from_millis(5), move |cancel| {
            let r = Arc::clone(&r);
            async move {
                if r.fetch_add(1, Ordering::SeqCst) < 2 {
                    return Err("boom".to_string());
                }
                cancel.cancelled().await;
                Ok(())
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert!(sup.shutdown(Duration::from_secs(1)).await);
    }

    #[tokio::test]
    async fn interval_ticks() {
        let sup = Supervisor::new();
        let ticks = Arc::new(AtomicU32::new(0));
        let t = Arc::clone(&ticks);
        sup.spawn_interval("tick", Duration::from_millis(10), move || {
            let t = Arc::clone(&t);
            async move {
                t.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        tokio::time::sleep(Duration::from_millis(55)).await;
        assert!(sup.shutdown(Duration::from_secs(1)).await);
        assert!(ticks.load(Ordering::SeqCst) >= 3);
    }
}
