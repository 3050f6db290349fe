//! `claude-api-desktop`: the claude-api gateway as a tray app with its console in a window
//! (issue 9, Tauri v2). The gateway runs in-process through `gateway::serve` — the same library
//! and seam `claude-server` uses — on 127.0.0.1; see README.md for the design.
//!
//! Start-up: parse the command line → single-instance check (a second launch forwards its
//! arguments to the first and exits; see `cli.rs`) → resolve the data folder and configuration →
//! tray + window → start the gateway. Quit: stop the gateway gracefully, then exit.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod app;
mod cli;
mod commands;
mod gateway_ctl;
mod health;
mod settings;
mod status;
mod tray;
mod window;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser as _;
use tauri::{Manager as _, RunEvent};

use crate::cli::{Cli, Remote};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    // One TLS provider for the gateway's outbound clients (reqwest is built without one).
    let _ = rustls::crypto::ring::default_provider().install_default();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("claude-api-desktop: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Plain text when redirected to a file (the e2e test greps the log).
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[expect(
    clippy::disallowed_methods,
    reason = "`tauri::generate_context!` expands to Tauri's own `std::process::exit` call; the ban is \
              about this project's code, which has none here"
)]
fn run(cli: Cli) -> anyhow::Result<()> {
    let app = tauri::Builder::default()
        // First plugin: a second instance must hand over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            app::remote(app, cli::remote_from_argv(&argv));
        }))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(tauri_plugin_clipboard_manager::init())
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::start_gateway,
            commands::stop_gateway,
            commands::open_data_folder,
            commands::quit,
        ])
        .setup(move |app| setup(app, &cli))
        .build(tauri::generate_context!())?;
    app.run(|app, event| match event {
        // Hiding the window never exits; only Quit does (with the gateway stopped first).
        RunEvent::ExitRequested { api, code, .. } if code.is_none() && !app::is_quitting(app) => {
            api.prevent_exit();
        }
        RunEvent::Exit => {
            // Safety net for exits that did not go through `app::quit`: stop the gateway here.
            if let Some(d) = app::desktop(app) {
                tauri::async_runtime::block_on(d.ctl.stop());
            }
        }
        _ => {}
    });
    Ok(())
}

#[expect(
    clippy::disallowed_methods,
    reason = "a remote command with no instance to receive it: Tauri's setup hook cannot set the exit \
              code, and nothing has started yet (the single-instance lock is released first)"
)]
fn setup(app: &mut tauri::App, cli: &Cli) -> Result<(), Box<dyn std::error::Error>> {
    // Reaching setup means no other instance is running.
    if let Some(command) = cli.remote().filter(|r| *r != Remote::Show) {
        eprintln!("claude-api-desktop: no running instance to send {command:?} to");
        tauri_plugin_single_instance::destroy(app);
        std::process::exit(3);
    }
    let platform_dir = app.path().app_data_dir()?;
    let data_dir = settings::data_dir(
        cli.data_dir.as_deref(),
        std::env::var("DATA_DIR").ok(),
        platform_dir,
    );
    let config = settings::gateway_config(&data_dir, cli.port, |k| std::env::var(k).ok())?;
    tracing::info!(data_dir = %data_dir.display(), port = config.server.port, "claude-api-desktop starting");

    let handle = app.handle().clone();
    let ctl = gateway_ctl::Controller::new(
        config,
        Arc::new(move |status| app::on_status(&handle, status)),
    );
    let desktop = app::Desktop::new(Arc::clone(&ctl), data_dir);
    app.manage(desktop);
    let status = ctl.status();
    tray::build(app.handle(), &status)?;
    window::build(app.handle(), &status, cli.hidden)?;
    spawn_signal_handler(app.handle().clone());
    app::start_gateway(app.handle(), None);
    Ok(())
}

/// SIGINT/SIGTERM quit like the tray's Quit (gateway stopped gracefully first).
fn spawn_signal_handler(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        gateway::signal::shutdown().await;
        app::quit(&app);
    });
}
