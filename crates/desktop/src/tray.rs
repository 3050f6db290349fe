//! The tray icon and its menu (issue 9): status and admin-password lines, open console, copy the
//! API base URL, start/stop the gateway, open the data folder, start at login, quit.
//!
//! Linux shows the menu through libayatana-appindicator, which has no click events: every action
//! is a menu item, so the tray works the same on all three platforms.

use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager as _};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_clipboard_manager::ClipboardExt as _;

use crate::app;
use crate::status::{Status, api_base_url};

const TRAY_ID: &str = "main";

/// The items whose text or state follows the gateway.
pub struct TrayItems {
    status: MenuItem<tauri::Wry>,
    warning: MenuItem<tauri::Wry>,
    start: MenuItem<tauri::Wry>,
    stop: MenuItem<tauri::Wry>,
}

/// Builds the tray icon and its menu, and manages [`TrayItems`].
pub fn build(app: &AppHandle, status: &Status) -> tauri::Result<()> {
    let items = TrayItems {
        status: MenuItem::with_id(app, "status", status.summary(), false, None::<&str>)?,
        warning: MenuItem::with_id(app, "warning", warning_text(status), false, None::<&str>)?,
        start: MenuItem::with_id(
            app,
            "start",
            "Start gateway",
            !status.is_running(),
            None::<&str>,
        )?,
        stop: MenuItem::with_id(
            app,
            "stop",
            "Stop gateway",
            status.is_running(),
            None::<&str>,
        )?,
    };
    let autostart_on = app.autolaunch().is_enabled().unwrap_or(false);
    let menu = Menu::with_items(
        app,
        &[
            &items.status,
            &items.warning,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "open", "Open console", true, None::<&str>)?,
            &MenuItem::with_id(app, "copy", "Copy API base URL", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &items.start,
            &items.stop,
            &MenuItem::with_id(app, "data", "Open data folder", true, None::<&str>)?,
            &CheckMenuItem::with_id(
                app,
                "autostart",
                "Start at login",
                true,
                autostart_on,
                None::<&str>,
            )?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip(status.summary())
        .on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    app.manage(items);
    Ok(())
}

fn warning_text(status: &Status) -> &'static str {
    match status.password_warning() {
        Some(_) => {
            "\u{26a0} Admin password is still \u{201c}admin\u{201d}: change it in the console"
        }
        None if status.is_running() => "Admin password: set",
        None => "Admin password: (gateway not running)",
    }
}

/// Follows a status change.
pub fn refresh(app: &AppHandle, status: &Status) {
    if let Some(items) = app.try_state::<TrayItems>() {
        let results = [
            items.status.set_text(status.summary()),
            items.warning.set_text(warning_text(status)),
            items.start.set_enabled(!status.is_running()),
            items.stop.set_enabled(status.is_running()),
        ];
        for e in results.into_iter().filter_map(Result::err) {
            tracing::warn!(error = %e, "updating the tray menu");
        }
    }
    if let Some(tray) = app.tray_by_id(TRAY_ID)
        && let Err(e) = tray.set_tooltip(Some(status.summary()))
    {
        tracing::warn!(error = %e, "updating the tray tooltip");
    }
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        "open" => crate::window::show(app),
        "copy" => {
            if let Some(d) = app::desktop(app) {
                let url = api_base_url(d.ctl.status().port());
                if let Err(e) = app.clipboard().write_text(url) {
                    tracing::warn!(error = %e, "copying the API base URL");
                }
            }
        }
        "start" => app::start_gateway(app, None),
        "stop" => app::stop_gateway(app),
        "data" => {
            if let Some(d) = app::desktop(app) {
                app::open_folder(&d.data_dir);
            }
        }
        "autostart" => toggle_autostart(app),
        "quit" => app::quit(app),
        _ => {}
    }
}

fn toggle_autostart(app: &AppHandle) {
    let launcher = app.autolaunch();
    let result = if launcher.is_enabled().unwrap_or(false) {
        launcher.disable()
    } else {
        launcher.enable()
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "changing start at login");
    }
}
