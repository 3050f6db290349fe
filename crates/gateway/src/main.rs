//! `claude-server`: parses the command line, initialises logging and calls the library.
//!
//! ```text
//! claude-server [--config PATH] [serve]          run the gateway (default)
//! claude-server --demo                          run against the built-in simulator (demo mode)
//! claude-server backup --to FILE                 consistent online copy of the SQLite database
//! claude-server accounts import FILE             import accounts (any supported document,
//!                                                 kiro-cli's data.sqlite3 included)
//! claude-server accounts export FILE             write this project's export document
//! claude-server doctor [--account ID|LABEL] [--model M] [--json]
//!                                                 diagnose accounts step by step (exit 0 all
//!                                                 ok/warn, 1 a step failed, 2 usage error)
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use gateway::config::Config;

/// jemalloc instead of glibc malloc (issue 11 "M"). glibc keeps freed memory in its per-thread
/// arenas, so after a burst of streams the gateway stayed at its peak RSS, and the tokenizer's
/// start-up parse left ≈ 20 MiB of garbage resident. jemalloc's background threads purge freed pages
/// while the process is idle (decay 0.5 s, set at build time in `.cargo/config.toml`). mimalloc was
/// tried: it purges only inside later allocator calls, so an idle process kept what it had freed
/// (bench/README.md "Memory"). Not on Windows, where jemalloc does not build: the system
/// allocator serves there (its memory arc is not measured).
#[cfg(all(not(windows), feature = "jemalloc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Debug, Parser)]
#[command(name = "claude-server", version = gateway::VERSION, about = "OpenAI and Anthropic APIs over Amazon Q accounts")]
struct Cli {
    /// Configuration file (default: config.yaml beside the binary).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Demo mode: built-in simulator as upstream, demo accounts, data in DATA_DIR/demo/.
    // Never the real AWS hosts, never the production database (see `gateway::demo`).
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway (the default).
    Serve,
    /// Write a consistent online backup of the SQLite database.
    Backup {
        /// Target file (must not exist).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Import or export accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Check that accounts work: host reach, token, profile, usage, models and one chat turn.
    Doctor {
        /// Only this account (id or label); default: every account.
        #[arg(long, value_name = "ID|LABEL")]
        account: Option<String>,
        /// Model of the test chat turn (default: the account's default model).
        #[arg(long, value_name = "MODEL")]
        model: Option<String>,
        /// Machine-readable output (the schema is documented in the README).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AccountsCommand {
    /// Import accounts from a JSON document (export, list, Kiro token file, Q CLI pair).
    Import {
        /// The document.
        file: PathBuf,
    },
    /// Export all accounts, secrets included, to a JSON file (mode 0600).
    Export {
        /// Target file.
        file: PathBuf,
    },
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    init_tracing(config.debug);
    // One TLS provider for every outbound client (reqwest is built without one).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if cli.demo {
        runtime.block_on(serve_demo(config))?;
        return Ok(ExitCode::SUCCESS);
    }
    runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config))
}

/// Logging to stderr, with the filter behind a reload handle so the `debugLog` setting can raise
/// the gateway's own crates to debug at run time (`gateway::log_level`).
fn init_tracing(debug: bool) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::{EnvFilter, fmt, reload};
    let default = if debug {
        "debug,hyper=info,sqlx=warn"
    } else {
        "info,sqlx=warn"
    };
    let base = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| EnvFilter::try_new(v).is_ok())
        .unwrap_or_else(|| default.to_owned());
    let (filter, handle) = reload::Layer::new(EnvFilter::new(&base));
    tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                // No colour codes in journald / log files.
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        )
        .init();
    gateway::log_level::install(
        move |directives| {
            if let Err(e) = handle.reload(EnvFilter::new(directives)) {
                tracing::warn!(error = %e, "could not change the log level");
            }
        },
        &base,
    );
}

/// Runs `command`; the exit code is the command's verdict (`doctor`), else success.
async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => serve(config).await.map(|()| ExitCode::SUCCESS),
        Command::Backup { to } => {
            let store = gateway::open_store(&config).await?;
            store
                .backup_sqlite_to(&to)
                .await
                .with_context(|| format!("backup to {}", to.display()))?;
            store.close().await?;
            eprintln!("backup written to {}", to.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Accounts(AccountsCommand::Import { file }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let doc: serde_json::Value = if gateway::api::admin::kiro_cli::is_sqlite(&bytes) {
                gateway::api::admin::kiro_cli::read_db(&bytes).await?
            } else {
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not JSON", file.display()))?
            };
            let store = gateway::open_store(&config).await?;
            let entries = gateway::api::admin::transfer::decode(&doc)?;
            let result = gateway::api::admin::transfer::store_all(&store, entries).await;
            store.close().await?;
            for r in &result.rejected {
                eprintln!("entry {}: {}", r.index, r.error);
            }
            eprintln!(
                "imported {} account(s), rejected {}",
                result.created.len(),
                result.rejected.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor {
            account,
            model,
            json,
        } => {
            let code = doctor(&config, account.as_deref(), model, json).await?;
            Ok(ExitCode::from(code))
        }
        Command::Accounts(AccountsCommand::Export { file }) => {
            let store = gateway::open_store(&config).await?;
            let doc = gateway::api::admin::transfer::export(&store).await?;
            store.close().await?;
            write_private(&file, &serde_json::to_vec_pretty(&doc)?)?;
            let n = doc["accounts"].as_array().map_or(0, Vec::len);
            eprintln!(
                "exported {n} account(s) to {} (contains secrets)",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `doctor`: diagnoses the configured accounts with the server's own config, database and
/// refresh coordination (Redis in fleet mode), without the pool's background tasks. Returns the
/// exit code: 0 every step ok/warn, 1 some step failed, 2 usage error (unknown account, none).
async fn doctor(
    config: &Config,
    account: Option<&str>,
    model: Option<String>,
    json: bool,
) -> anyhow::Result<u8> {
    let store = gateway::open_store(config).await?;
    let supervisor = gateway::tasks::Supervisor::new();
    let seams = gateway::fleet::Seams::from_config(config, store.clone(), &supervisor)?;
    let pool = gateway::pool::Pool::open(seams.pool, config.pool.clone(), config.upstream.clone())
        .await
        .context("loading the accounts")?;
    let ids = match account {
        Some(key) => {
            let Some(id) = pool.resolve_account(key) else {
                eprintln!("doctor: no account has the id or label {key:?}");
                return Ok(2);
            };
            vec![id]
        }
        None => pool.account_ids(),
    };
    if ids.is_empty() {
        eprintln!(
            "doctor: no account is configured (add one in the console or with `accounts import`)"
        );
        return Ok(2);
    }
    let options = gateway::pool::DiagnoseOptions { model };
    let mut reports = Vec::with_capacity(ids.len());
    for id in &ids {
        if let Some(r) = pool.diagnose(id, &options).await {
            if !json {
                // The report is the command's output: stdout, written explicitly.
                write!(std::io::stdout().lock(), "{}", r.to_text())?;
            }
            reports.push(r);
        }
    }
    supervisor.shutdown(std::time::Duration::from_secs(5)).await;
    store.close().await?;
    let failed = reports
        .iter()
        .any(|r| r.verdict == gateway::pool::Verdict::Fail);
    if json {
        let verdict = gateway::pool::Report::overall_of(&reports);
        let doc = serde_json::json!({"verdict": verdict, "reports": reports});
        writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&doc)?
        )?;
    }
    Ok(u8::from(failed))
}

/// `--demo`: serve with the in-process simulator as the upstream (see `gateway::demo`).
async fn serve_demo(config: Config) -> anyhow::Result<()> {
    let (config, demo) = gateway::demo::start(&config).await?;
    eprintln!(
        "DEMO MODE: upstream is the built-in simulator at {} (no AWS account used)",
        demo.upstream_url()
    );
    let result = serve(config).await;
    demo.shutdown().await;
    result
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let addr = config.listen_addr();
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr} (server.host/server.port, env PORT)"))?;
    let port = listener.local_addr()?.port();
    eprintln!("claude-server {}", gateway::VERSION);
    eprintln!("  console:  http://localhost:{port}/");
    eprintln!("  API:      http://localhost:{port}/v1");
    eprintln!(
        "  data:     {} ({})",
        config.data_dir().display(),
        config.database_type().as_str()
    );
    match &config.source {
        Some(path) => eprintln!("  config:   {}", path.display()),
        None => eprintln!("  config:   built-in defaults (no config.yaml found)"),
    }
    let console = format!("http://localhost:{port}/");
    if gateway::config::browser::should_open_browser(
        config.no_browser,
        std::env::consts::OS,
        |name| std::env::var(name).ok(),
    ) {
        gateway::config::browser::open(&console);
    }
    gateway::serve(listener, config, gateway::signal::shutdown()).await
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}
