//! The command line. The same flags serve two purposes:
//! - options for a fresh start (`--port`, `--data-dir`, `--hidden`);
//! - commands for the instance that is already running (`--gateway-start`, `--gateway-stop`,
//!   `--show`, `--quit`): a second launch hands its arguments to the first one through the
//!   single-instance channel (D-Bus on Linux) and exits, so these are the app's IPC, used by the
//!   e2e test and handy in scripts.

use std::path::PathBuf;

use clap::Parser;

/// Command line of `claude-api-desktop`.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "claude-api-desktop",
    version = gateway::VERSION,
    about = "Claude API Server: the claude-api gateway in a tray app, with its console in a window"
)]
pub struct Cli {
    /// Port of the gateway on 127.0.0.1 (default: env PORT, else server.port of the data
    /// folder's config.yaml, else 62311).
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Data folder (default: env DATA_DIR, else the platform's application-data folder).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Start in the tray without opening the window (used for start at login).
    #[arg(long)]
    pub hidden: bool,
    /// Running instance: start its gateway.
    #[arg(long, group = "remote")]
    pub gateway_start: bool,
    /// Running instance: stop its gateway.
    #[arg(long, group = "remote")]
    pub gateway_stop: bool,
    /// Running instance: show and focus its window.
    #[arg(long, group = "remote")]
    pub show: bool,
    /// Running instance: stop the gateway and quit.
    #[arg(long, group = "remote")]
    pub quit: bool,
}

/// What a second launch asks the running instance to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    /// Start the gateway.
    GatewayStart,
    /// Stop the gateway.
    GatewayStop,
    /// Show and focus the window (a plain second launch).
    Show,
    /// Quit.
    Quit,
}

impl Cli {
    /// The remote command these flags name, if any.
    pub fn remote(&self) -> Option<Remote> {
        if self.gateway_start {
            Some(Remote::GatewayStart)
        } else if self.gateway_stop {
            Some(Remote::GatewayStop)
        } else if self.quit {
            Some(Remote::Quit)
        } else if self.show {
            Some(Remote::Show)
        } else {
            None
        }
    }
}

/// What the running instance does for a second launch's `argv` (executable first). Unparsable
/// arguments and a plain launch both mean "show the window": a second launch focuses the first.
pub fn remote_from_argv(argv: &[String]) -> Remote {
    Cli::try_parse_from(argv)
        .ok()
        .and_then(|cli| cli.remote())
        .unwrap_or(Remote::Show)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<String> {
        std::iter::once("claude-api-desktop")
            .chain(args.iter().copied())
            .map(String::from)
            .collect()
    }

    #[test]
    fn second_launch_flags_map_to_remote_commands() {
        assert_eq!(
            remote_from_argv(&argv(&["--gateway-stop"])),
            Remote::GatewayStop
        );
        assert_eq!(
            remote_from_argv(&argv(&["--gateway-start"])),
            Remote::GatewayStart
        );
        assert_eq!(remote_from_argv(&argv(&["--quit"])), Remote::Quit);
        assert_eq!(
            remote_from_argv(&argv(&[])),
            Remote::Show,
            "plain launch focuses"
        );
        assert_eq!(remote_from_argv(&argv(&["--bogus"])), Remote::Show);
        assert_eq!(remote_from_argv(&[]), Remote::Show);
    }

    #[test]
    fn remote_flags_are_exclusive_and_options_parse() {
        assert!(Cli::try_parse_from(argv(&["--quit", "--gateway-stop"])).is_err());
        let cli = Cli::try_parse_from(argv(&[
            "--port",
            "8080",
            "--data-dir",
            "/tmp/x",
            "--hidden",
        ]))
        .unwrap();
        assert_eq!(cli.port, Some(8080));
        assert_eq!(cli.data_dir, Some(PathBuf::from("/tmp/x")));
        assert!(cli.hidden);
        assert_eq!(cli.remote(), None);
    }
}
