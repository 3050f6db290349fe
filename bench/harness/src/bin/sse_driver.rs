//! `sse-driver`: the benchmark's load and streaming client ([`bench::driver`]). Prints one JSON
//! report on stdout.
//!
//! ```text
//! sse-driver stream --addr 127.0.0.1:P --path /v1/messages --body-file b.json --proto anthropic \
//!     --header 'content-type: application/json' --streams 500 --ramp-ms 1000 --expect-frames 500
//! sse-driver load --addr 127.0.0.1:P --path / --body-file q.json --proto plain --concurrency 1 --total 2000
//! ```

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bench::driver::{self, Expect, LoadOpts, StreamOpts, Target};
use bench::frames::Protocol;
use bench::http1::encode_post;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sse-driver",
    about = "Load and SSE/event-stream benchmark client"
)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Concurrent streams: TTFT, gaps, lost frames, tool reassembly.
    Stream {
        #[command(flatten)]
        req: Req,
        #[arg(long, default_value_t = 1)]
        streams: usize,
        #[arg(long, default_value_t = 1000)]
        ramp_ms: u64,
        #[arg(long, default_value_t = 120)]
        timeout_s: u64,
        #[arg(long)]
        expect_frames: Option<u64>,
        #[arg(long)]
        expect_text_bytes: Option<u64>,
        /// File holding one tool call's expected arguments (repeat for several calls, in order).
        #[arg(long)]
        expect_tool: Vec<PathBuf>,
        #[arg(long, default_value_t = 200)]
        stall_ms: u64,
    },
    /// Closed-loop non-stream requests on keep-alive connections.
    Load {
        #[command(flatten)]
        req: Req,
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        #[arg(long)]
        total: Option<u64>,
        #[arg(long)]
        duration_s: Option<f64>,
    },
}

#[derive(Debug, Args)]
struct Req {
    #[arg(long)]
    addr: SocketAddr,
    #[arg(long)]
    path: String,
    #[arg(long)]
    body_file: PathBuf,
    /// `Name: value`, repeatable.
    #[arg(long)]
    header: Vec<String>,
    #[arg(long, value_enum)]
    proto: Protocol,
}

impl Req {
    fn target(&self) -> anyhow::Result<Target> {
        let body = std::fs::read(&self.body_file)
            .with_context(|| format!("reading {}", self.body_file.display()))?;
        let headers = self
            .header
            .iter()
            .map(|h| {
                h.split_once(':')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .with_context(|| format!("header `{h}` is not `Name: value`"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Target {
            addr: self.addr,
            request: Arc::new(encode_post(
                &self.addr.to_string(),
                &self.path,
                &headers,
                &body,
            )),
            proto: self.proto,
        })
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // One thread: the driver shares the rig core with the simulator and must stay cheap.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let json = rt.block_on(async {
        match cli.mode {
            Mode::Stream {
                req,
                streams,
                ramp_ms,
                timeout_s,
                expect_frames,
                expect_text_bytes,
                expect_tool,
                stall_ms,
            } => {
                let tools = expect_tool
                    .iter()
                    .map(|p| {
                        std::fs::read_to_string(p)
                            .with_context(|| format!("reading {}", p.display()))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let opts = StreamOpts {
                    streams,
                    ramp: Duration::from_millis(ramp_ms),
                    timeout: Duration::from_secs(timeout_s),
                    expect: Expect {
                        frames: expect_frames,
                        text_bytes: expect_text_bytes,
                        tools,
                    },
                    stall: Duration::from_millis(stall_ms),
                };
                let r = driver::run_streams(&req.target()?, &opts).await;
                anyhow::Ok(serde_json::to_string_pretty(&r)?)
            }
            Mode::Load {
                req,
                concurrency,
                total,
                duration_s,
            } => {
                anyhow::ensure!(
                    total.is_some() || duration_s.is_some(),
                    "load needs --total or --duration-s (every run is bounded)"
                );
                let opts = LoadOpts {
                    concurrency,
                    total,
                    duration: duration_s.map(Duration::from_secs_f64),
                };
                let r = driver::run_load(&req.target()?, &opts).await;
                anyhow::Ok(serde_json::to_string_pretty(&r)?)
            }
        }
    })?;
    writeln!(std::io::stdout().lock(), "{json}")?;
    Ok(())
}
