//! Tasks a test runs beside itself. clippy.toml bans a bare `tokio::spawn` because in the server
//! an untracked task can outlive shutdown; a test's task ends with the test (joined, or dropped
//! with the test's runtime), so tests start theirs here, where that is said once.

use std::future::Future;

use tokio::task::JoinHandle;

/// `tokio::spawn` for test code.
#[expect(
    clippy::disallowed_methods,
    reason = "test code: the task ends with the test (joined or dropped with its runtime)"
)]
pub fn spawn<F>(task: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(task)
}
