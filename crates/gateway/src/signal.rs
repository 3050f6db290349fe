//! The process's stop signals: the shutdown future `claude-server` (and any other binary
//! embedding the gateway, such as the desktop app) hands to [`crate::serve`].

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM; never, for a signal this platform cannot
/// listen for.
pub async fn shutdown() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
