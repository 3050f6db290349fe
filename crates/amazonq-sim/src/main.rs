//! `amazonq-sim` binary: `amazonq-sim --listen 127.0.0.1:PORT [--config FILE] [--legacy-q]`.
//! Prints its base URLs (the first line names the main listener, the second the legacy `q.*`
//! listener), serves until SIGINT/SIGTERM, then shuts down gracefully.

use std::io::Write as _;

use amazonq_sim::{SimConfig, Simulator};
use clap::Parser;

/// Simulator of Amazon Q, AWS SSO OIDC and Kiro auth (loopback use).
#[derive(Debug, Parser)]
#[command(name = "amazonq-sim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:62399")]
    listen: String,
    /// YAML/JSON config file (accounts, models, limits, rules, pacing); see sim.example.yaml.
    #[arg(long)]
    config: Option<String>,
    /// The main listener plays the legacy q.* host instead of runtime + management (config key
    /// `host_mode: legacy_q`).
    #[arg(long)]
    legacy_q: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut config = match &args.config {
        Some(p) => SimConfig::from_file(p)?,
        None => SimConfig::default(),
    };
    config.listen = Some(args.listen.clone());
    if args.legacy_q {
        config.host_mode = amazonq_sim::HostMode::LegacyQ;
    }
    let mode = config.host_mode;
    let accounts = config.accounts.len();
    let sim = Simulator::start(config).await?;
    banner(&sim, mode, accounts)?;
    wait_for_signal().await?;
    eprintln!("amazonq-sim: shutting down");
    // In-flight streams get a grace period; a stalled one (fault `stall`) must not block exit.
    if tokio::time::timeout(std::time::Duration::from_secs(5), sim.shutdown())
        .await
        .is_err()
    {
        eprintln!("amazonq-sim: streams still open after 5 s, exiting anyway");
    }
    Ok(())
}

/// The base URLs on stdout: machine-readable first two lines, then a human summary.
fn banner(
    sim: &amazonq_sim::SimHandle,
    mode: amazonq_sim::HostMode,
    accounts: usize,
) -> std::io::Result<()> {
    let (base, legacy) = (sim.base_url(), sim.legacy_q_url());
    let mut out = std::io::stdout().lock();
    writeln!(out, "amazonq-sim listening on {base}")?;
    writeln!(out, "amazonq-sim legacy q on {legacy}")?;
    writeln!(
        out,
        "  oidc:       {base}  (/client/register, /device_authorization, /token)"
    )?;
    writeln!(
        out,
        "  kiro auth:  {base}  (/refreshToken, /login, /oauth/token)"
    )?;
    match mode {
        amazonq_sim::HostMode::Runtime => writeln!(
            out,
            "  runtime + management: {base}  (POST / with X-Amz-Target, POST /generateAssistantResponse)"
        )?,
        amazonq_sim::HostMode::LegacyQ => writeln!(
            out,
            "  legacy q:   {base}  (POST / with X-Amz-Target, POST /generateAssistantResponse)"
        )?,
    }
    writeln!(
        out,
        "  legacy q:   {legacy}  (always the q.* rules, same accounts)"
    )?;
    writeln!(
        out,
        "  control:    {base}/__sim/  ({accounts} configured accounts)"
    )?;
    for a in sim.accounts() {
        writeln!(out, "  account {} ({:?})", a.id, a.kind)?;
    }
    out.flush()
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}
