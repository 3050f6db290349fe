//! The controller against the real gateway library: real sockets on 127.0.0.1, a real SQLite
//! database in a temporary folder.

use std::time::{Duration, Instant};

use super::*;

fn config(dir: &tempfile::TempDir, port: u16) -> Config {
    let mut c = Config {
        data_dir: Some(dir.path().to_path_buf()),
        ..Config::default()
    };
    c.server.port = port;
    c.server.shutdown_grace_secs = 1;
    c
}

fn recorder() -> (OnChange, Arc<Mutex<Vec<Status>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    (
        Arc::new(move |s: &Status| sink.lock().unwrap().push(s.clone())),
        seen,
    )
}

async fn wait_healthy(ctl: &Controller) -> Status {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = ctl.status();
        if matches!(
            s,
            Status::Running {
                healthy: Some(true),
                ..
            }
        ) {
            return s;
        }
        assert!(Instant::now() < deadline, "never became healthy: {s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_stop_start_serves_healthz_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let (on_change, seen) = recorder();
    let ctl = Controller::new(config(&dir, 0), on_change);
    assert_eq!(ctl.status(), Status::Stopped { port: 0 });

    ctl.start(None).await;
    let Status::Running {
        port,
        default_password,
        ..
    } = wait_healthy(&ctl).await
    else {
        unreachable!()
    };
    assert_ne!(port, 0, "the real bound port is reported");
    assert!(
        default_password,
        "a fresh database has the seed admin password"
    );
    assert!(health::healthz(port, Duration::from_secs(2)).await);
    assert!(
        dir.path().join("encryption.key").exists(),
        "data lives in the data folder"
    );

    // A second start while running changes nothing.
    assert!(ctl.start(None).await.is_running());

    assert_eq!(ctl.stop().await, Status::Stopped { port });
    assert!(
        !health::healthz(port, Duration::from_secs(2)).await,
        "listener closed after stop"
    );

    ctl.start(None).await;
    let again = wait_healthy(&ctl).await;
    assert!(again.is_running());
    ctl.stop().await;
    assert!(matches!(ctl.status(), Status::Stopped { .. }));

    let seen = seen.lock().unwrap();
    assert!(
        matches!(seen.first(), Some(Status::Starting { port: 0 })),
        "{seen:?}"
    );
    assert!(seen.iter().any(|s| s.password_warning().is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_port_is_a_status_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().port();
    let (on_change, _) = recorder();
    let ctl = Controller::new(config(&dir, busy), on_change);

    let status = ctl.start(None).await;
    let Status::Failed {
        port,
        message,
        port_busy,
    } = &status
    else {
        panic!("expected Failed, got {status:?}")
    };
    assert_eq!(*port, busy);
    assert!(*port_busy);
    assert!(message.contains("already in use"), "{message}");
    // Stopping a gateway that never started is harmless.
    assert_eq!(ctl.stop().await, status);

    // Another port works, and becomes the port for later starts.
    ctl.start(Some(0)).await;
    wait_healthy(&ctl).await;
    ctl.stop().await;
    drop(taken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_fails_after_binding_reports_why_and_can_be_retried() {
    let dir = tempfile::tempdir().unwrap();
    // The data folder is a file: the gateway binds, then cannot create its database.
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let mut cfg = config(&dir, 0);
    cfg.data_dir = Some(not_a_dir);
    let (on_change, seen) = recorder();
    let ctl = Controller::new(cfg, on_change);

    for attempt in 1..=2 {
        ctl.start(None).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        let message = loop {
            if let Status::Failed {
                message, port_busy, ..
            } = ctl.status()
            {
                assert!(!port_busy);
                break message;
            }
            assert!(Instant::now() < deadline, "attempt {attempt}: never failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(message.contains("data folder"), "{message}");
    }
    let starts = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| matches!(s, Status::Starting { .. }))
        .count();
    assert_eq!(
        starts, 2,
        "the second start retried instead of being ignored"
    );
    assert!(
        matches!(ctl.stop().await, Status::Failed { .. }),
        "stop keeps the reason"
    );
}
