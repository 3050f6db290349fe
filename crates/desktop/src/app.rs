//! The running app's shared state and the actions every front (tray, status page, second launch)
//! triggers: start/stop the gateway, show the window, quit. Status changes fan out from here to the
//! tray ([`crate::tray`]) and the window ([`crate::window`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tauri::{AppHandle, Manager as _};

use crate::cli::Remote;
use crate::gateway_ctl::Controller;
use crate::status::Status;

/// Managed state (`app.state::<Arc<Desktop>>()`).
pub struct Desktop {
    /// The in-process gateway.
    pub ctl: Arc<Controller>,
    /// The data folder (database, encryption key, optional config.yaml).
    pub data_dir: PathBuf,
    quitting: AtomicBool,
}

impl Desktop {
    /// Wraps the controller.
    pub fn new(ctl: Arc<Controller>, data_dir: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            ctl,
            data_dir,
            quitting: AtomicBool::new(false),
        })
    }
}

/// The app's state; `None` only during start-up, before `setup` managed it.
pub fn desktop(app: &AppHandle) -> Option<Arc<Desktop>> {
    app.try_state::<Arc<Desktop>>().map(|s| Arc::clone(&s))
}

/// Every status change: update the tray and the window. Renders the *current* status rather than
/// the one notified, so two changes racing each other cannot leave the UI on the older one.
pub fn on_status(app: &AppHandle, notified: &Status) {
    let status = desktop(app).map_or_else(|| notified.clone(), |d| d.ctl.status());
    crate::tray::refresh(app, &status);
    crate::window::refresh(app, &status);
}

/// Starts the gateway in the background (tray, status page, `--gateway-start`).
pub fn start_gateway(app: &AppHandle, port: Option<u16>) {
    if let Some(d) = desktop(app) {
        tauri::async_runtime::spawn(async move {
            d.ctl.start(port).await;
        });
    }
}

/// Stops the gateway in the background (tray, status page, `--gateway-stop`).
pub fn stop_gateway(app: &AppHandle) {
    if let Some(d) = desktop(app) {
        tauri::async_runtime::spawn(async move {
            d.ctl.stop().await;
        });
    }
}

/// Stops the gateway gracefully, then exits the process (tray "Quit", `--quit`, SIGTERM/SIGINT).
/// A second request while quitting is ignored.
pub fn quit(app: &AppHandle) {
    let Some(d) = desktop(app) else {
        app.exit(0);
        return;
    };
    if d.quitting.swap(true, Ordering::SeqCst) {
        return;
    }
    tracing::info!("quitting: stopping the gateway");
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        d.ctl.stop().await;
        app.exit(0);
    });
}

/// True once [`quit`] ran (the exit handler then lets the process end).
pub fn is_quitting(app: &AppHandle) -> bool {
    desktop(app).is_some_and(|d| d.quitting.load(Ordering::SeqCst))
}

/// Runs what a second launch asked for.
pub fn remote(app: &AppHandle, command: Remote) {
    tracing::info!(?command, "command from a second launch");
    match command {
        Remote::GatewayStart => start_gateway(app, None),
        Remote::GatewayStop => stop_gateway(app),
        Remote::Show => crate::window::show(app),
        Remote::Quit => quit(app),
    }
}

/// Opens a folder in the platform's file manager. `NO_BROWSER` does not apply: it is about web
/// browsers, and this is an explicit click.
pub fn open_folder(path: &std::path::Path) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(program).arg(path).spawn() {
        // Reap the child from a thread so it does not linger as a zombie.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => tracing::warn!(error = %e, %program, "cannot open the data folder"),
    }
}
