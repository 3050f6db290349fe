//! Commands the local status page (`ui/index.html`) invokes. Only that page can call them: the
//! console is a remote `http://127.0.0.1` page and the capability file grants it no IPC.

use serde::Serialize;
use tauri::{AppHandle, State};

use std::sync::Arc;

use crate::app::Desktop;
use crate::status::{Status, api_base_url};

/// Everything the status page renders.
#[derive(Debug, Serialize)]
pub struct View {
    /// The gateway's state.
    pub status: Status,
    /// One line describing it.
    pub summary: String,
    /// The admin-password warning, when it applies.
    pub warning: Option<&'static str>,
    /// The API base URL for clients.
    pub api_base_url: String,
    /// The data folder.
    pub data_dir: String,
    /// App version.
    pub version: &'static str,
}

fn view(d: &Desktop, status: Status) -> View {
    View {
        summary: status.summary(),
        warning: status.password_warning(),
        api_base_url: api_base_url(status.port()),
        data_dir: d.data_dir.display().to_string(),
        version: gateway::VERSION,
        status,
    }
}

/// The current state.
#[tauri::command]
pub fn status(desktop: State<'_, Arc<Desktop>>) -> View {
    view(&desktop, desktop.ctl.status())
}

/// Starts the gateway, on `port` when given (the status page's "use another port").
#[tauri::command]
pub async fn start_gateway(
    desktop: State<'_, Arc<Desktop>>,
    port: Option<u16>,
) -> Result<View, String> {
    let status = desktop.ctl.start(port).await;
    Ok(view(&desktop, status))
}

/// Stops the gateway.
#[tauri::command]
pub async fn stop_gateway(desktop: State<'_, Arc<Desktop>>) -> Result<View, String> {
    let status = desktop.ctl.stop().await;
    Ok(view(&desktop, status))
}

/// Opens the data folder in the file manager.
#[tauri::command]
pub fn open_data_folder(desktop: State<'_, Arc<Desktop>>) {
    crate::app::open_folder(&desktop.data_dir);
}

/// Quits the app (stopping the gateway first).
#[tauri::command]
pub fn quit(app: AppHandle) {
    crate::app::quit(&app);
}
