//! The main window: the embedded console while the gateway is healthy, otherwise the local status
//! page (`ui/index.html`: starting, stopped, or why it failed — e.g. a busy port, with a field to
//! choose another). The title always carries the health and the admin-password warning.
//! Closing the window hides it; the app keeps running in the tray.

use std::sync::Mutex;

use tauri::{
    AppHandle, Manager as _, Url, WebviewUrl, WebviewWindow, WebviewWindowBuilder, WindowEvent,
};

use crate::status::{Status, console_url};

const LABEL: &str = "main";

/// The status page's own URL (platform-specific scheme), captured when the window is built.
struct StatusPage(Mutex<Option<Url>>);

/// Builds the main window, hidden when `hidden` (start at login).
pub fn build(app: &AppHandle, status: &Status, hidden: bool) -> tauri::Result<()> {
    let window = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
        .title(status.window_title())
        .inner_size(1200.0, 820.0)
        .min_inner_size(720.0, 520.0)
        .visible(!hidden)
        .build()?;
    app.manage(StatusPage(Mutex::new(window.url().ok())));
    let w = window.clone();
    window.on_window_event(move |event| {
        if let WindowEvent::CloseRequested { api, .. } = event {
            api.prevent_close();
            if let Err(e) = w.hide() {
                tracing::warn!(error = %e, "hiding the window");
            }
        }
    });
    Ok(())
}

fn main_window(app: &AppHandle) -> Option<WebviewWindow> {
    app.get_webview_window(LABEL)
}

/// Shows, unminimizes and focuses the window (tray "Open console", a second launch).
pub fn show(app: &AppHandle) {
    let Some(w) = main_window(app) else { return };
    let results = [w.show(), w.unminimize(), w.set_focus()];
    for e in results.into_iter().filter_map(Result::err) {
        tracing::warn!(error = %e, "showing the window");
    }
}

/// Follows a status change: title, and console vs status page.
pub fn refresh(app: &AppHandle, status: &Status) {
    let Some(w) = main_window(app) else { return };
    if let Err(e) = w.set_title(&status.window_title()) {
        tracing::warn!(error = %e, "setting the window title");
    }
    let current = w.url().ok();
    let page = status_page(app);
    let target = match status {
        Status::Running {
            port,
            healthy: Some(true),
            ..
        } if !current.as_ref().is_some_and(|u| is_console(u, *port)) => {
            Url::parse(&console_url(*port)).ok()
        }
        // Starting, or a failed probe: keep what is shown (a probe can fail transiently).
        Status::Running { .. } => None,
        _ => match (&current, page) {
            (Some(now), Some(page)) if same_site(now, &page) => None,
            (_, page) => page,
        },
    };
    if let Some(url) = target {
        tracing::info!(%url, "window navigates");
        if let Err(e) = w.navigate(url) {
            tracing::warn!(error = %e, "navigating the window");
        }
    }
}

fn status_page(app: &AppHandle) -> Option<Url> {
    app.try_state::<StatusPage>()
        .and_then(|p| p.0.lock().ok().and_then(|u| u.clone()))
}

/// Scheme, host and port equal (`Url::origin` is opaque, never equal, for `tauri://`).
fn same_site(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port() == b.port()
}

/// True for a page served by the gateway on `port` (any console route).
fn is_console(url: &Url, port: u16) -> bool {
    url.scheme() == "http" && url.host_str() == Some("127.0.0.1") && url.port() == Some(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_urls_are_recognised_by_origin() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(is_console(&u("http://127.0.0.1:62311/"), 62311));
        assert!(is_console(&u("http://127.0.0.1:62311/accounts?x=1"), 62311));
        assert!(!is_console(&u("http://127.0.0.1:62312/"), 62311));
        assert!(!is_console(&u("tauri://localhost/index.html"), 62311));
        assert!(!is_console(&u("http://tauri.localhost/index.html"), 62311));
        assert!(same_site(
            &u("tauri://localhost/index.html"),
            &u("tauri://localhost/")
        ));
        assert!(!same_site(
            &u("tauri://localhost/"),
            &u("http://127.0.0.1:62311/")
        ));
    }
}
