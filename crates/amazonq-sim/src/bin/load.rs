//! `amazonq-sim-load`: load driver for the simulator's benchmark mode (issue 3 "Benchmark").
//!
//! Opens N concurrent raw HTTP/1.1 connections to a running simulator, each asking for
//! `#bench frames=F interval=I bytes=B`, reads every stream to EOF, samples `/__sim/stats` while
//! running (peak concurrent streams) and reports the simulator's own CPU time per frame from the
//! utime+stime delta it exposes (its `/proc/self/stat`, USER_HZ = 100). Plain tokio sockets keep
//! the driver's own overhead low and independent of the code under test.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, Parser)]
#[command(name = "amazonq-sim-load")]
struct Args {
    /// Simulator address (host:port).
    #[arg(long, default_value = "127.0.0.1:62399")]
    addr: String,
    #[arg(long, default_value = "bench-token")]
    token: String,
    #[arg(long, default_value_t = 1000)]
    streams: usize,
    #[arg(long, default_value_t = 500)]
    frames: usize,
    #[arg(long, default_value_t = 20)]
    interval_ms: u64,
    #[arg(long, default_value_t = 16)]
    bytes: usize,
    /// Spread connection starts over this many ms.
    #[arg(long, default_value_t = 1000)]
    ramp_ms: u64,
}

/// Minimal HTTP GET returning the body (for `/__sim/stats`).
async fn get_json(addr: &str, path: &str) -> anyhow::Result<serde_json::Value> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    let text = String::from_utf8_lossy(&out);
    let (_, body) = text.split_once("\r\n\r\n").context("no body")?;
    // Content-Length responses from axum: the body is plain JSON.
    Ok(serde_json::from_str(body.trim())?)
}

fn cpu_ticks(v: &serde_json::Value) -> anyhow::Result<u64> {
    Ok(v["cpu_utime_ticks"].as_u64().context("utime")?
        + v["cpu_stime_ticks"].as_u64().context("stime")?)
}

struct Outcome {
    bytes: u64,
    first_byte: Duration,
    total: Duration,
}

async fn one(addr: String, token: String, body: String) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let mut s = TcpStream::connect(&addr).await?;
    s.set_nodelay(true)?;
    let req = format!(
        "POST /generateAssistantResponse HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0u64;
    let mut first = None;
    let mut head = Vec::new();
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        if first.is_none() {
            first = Some(started.elapsed());
        }
        if head.len() < 16 {
            head.extend_from_slice(&buf[..n.min(16)]);
        }
        total += n as u64;
    }
    if !head.starts_with(b"HTTP/1.1 200") {
        bail!("bad response: {}", String::from_utf8_lossy(&head));
    }
    Ok(Outcome {
        bytes: total,
        first_byte: first.unwrap_or_default(),
        total: started.elapsed(),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let before = get_json(&a.addr, "/__sim/stats").await?;
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicU64::new(1));
    // Structured tasks: the sampler and the streams end with this function (a `JoinSet` aborts
    // what is left when it is dropped).
    let mut sampler = tokio::task::JoinSet::new();
    sampler.spawn(sample_peak(
        a.addr.clone(),
        Arc::clone(&peak),
        Arc::clone(&sampling),
    ));
    let started = Instant::now();
    let results = run_streams(&a).await?;
    let wall = started.elapsed();
    sampling.store(0, Ordering::Relaxed);
    while sampler.join_next().await.is_some() {}
    let after = get_json(&a.addr, "/__sim/stats").await?;
    let run = Run {
        results,
        wall,
        peak: peak.load(Ordering::Relaxed),
        frames: after["frames"].as_u64().unwrap_or(0) - before["frames"].as_u64().unwrap_or(0),
        cpu_ms: (cpu_ticks(&after)? - cpu_ticks(&before)?) * 10,
    };
    run.report(&a, &mut std::io::stdout().lock())?;
    if run.results.failed > 0 {
        bail!("{} streams failed", run.results.failed);
    }
    Ok(())
}

/// The request every stream sends.
fn bench_body(a: &Args) -> String {
    // The bench account is a Builder ID account: on the runtime host (the default) it sends the
    // service profile ARN, which the legacy host would refuse (R17).
    serde_json::json!({"profileArn": amazonq_sim::catalog::BUILDER_ID_ARN,
        "conversationState": {"chatTriggerType": "MANUAL", "currentMessage": {"userInputMessage": {
        "content": format!("#bench frames={} interval={} bytes={}", a.frames, a.interval_ms, a.bytes)}}}})
    .to_string()
}

/// Samples the simulator's concurrent streams into `peak` while `sampling` is 1.
async fn sample_peak(addr: String, peak: Arc<AtomicU64>, sampling: Arc<AtomicU64>) {
    while sampling.load(Ordering::Relaxed) == 1 {
        if let Ok(v) = get_json(&addr, "/__sim/stats").await {
            peak.fetch_max(v["streams_active"].as_u64().unwrap_or(0), Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// What the streams saw.
#[derive(Default)]
struct Results {
    ok: usize,
    failed: usize,
    bytes: u64,
    ttfb: Vec<Duration>,
    durations: Vec<Duration>,
}

/// Opens every stream (starts spread over `ramp_ms`) and reads each to its end.
async fn run_streams(a: &Args) -> anyhow::Result<Results> {
    let body = bench_body(a);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..a.streams {
        let (addr, token, body) = (a.addr.clone(), a.token.clone(), body.clone());
        let delay = Duration::from_millis(a.ramp_ms * i as u64 / a.streams.max(1) as u64);
        tasks.spawn(async move {
            tokio::time::sleep(delay).await;
            one(addr, token, body).await
        });
    }
    let mut r = Results::default();
    while let Some(done) = tasks.join_next().await {
        match done? {
            Ok(o) => {
                r.ok += 1;
                r.bytes += o.bytes;
                r.ttfb.push(o.first_byte);
                r.durations.push(o.total);
            }
            Err(e) => {
                r.failed += 1;
                eprintln!("stream failed: {e:#}");
            }
        }
    }
    r.ttfb.sort();
    r.durations.sort();
    Ok(r)
}

/// One load run, measured.
struct Run {
    results: Results,
    wall: Duration,
    peak: u64,
    frames: u64,
    cpu_ms: u64,
}

impl Run {
    /// The report on `out` (the command's output).
    fn report(&self, a: &Args, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let r = &self.results;
        // The `p` quantile of sorted durations, in milliseconds.
        let ms_at = |v: &[Duration], p: f64| {
            v.get(((v.len() as f64 - 1.0) * p) as usize)
                .copied()
                .unwrap_or_default()
                .as_secs_f64()
                * 1e3
        };
        let [d50, d99, dmax] = [0.5, 0.99, 1.0].map(|p| ms_at(&r.durations, p));
        let [t50, t99] = [0.5, 0.99].map(|p| ms_at(&r.ttfb, p));
        let wall = self.wall.as_secs_f64();
        let expected_ms = a.interval_ms * (a.frames.saturating_sub(1)) as u64;
        writeln!(
            out,
            "streams: {} ok, {} failed (requested {})",
            r.ok, r.failed, a.streams
        )?;
        writeln!(out, "peak concurrent streams (sampled): {}", self.peak)?;
        writeln!(
            out,
            "frames sent by sim: {} (expected {})",
            self.frames,
            a.streams * a.frames
        )?;
        writeln!(out, "bytes received: {}", r.bytes)?;
        writeln!(
            out,
            "wall: {wall:.2} s; per-stream duration p50 {d50:.0} ms, p99 {d99:.0} ms, max {dmax:.0} ms (ideal {expected_ms} ms)",
        )?;
        writeln!(out, "time to first byte: p50 {t50:.1} ms, p99 {t99:.1} ms")?;
        writeln!(
            out,
            "sim CPU (utime+stime): {} ms over {wall:.2} s = {:.1}% of one core",
            self.cpu_ms,
            self.cpu_ms as f64 / wall / 10.0
        )?;
        if self.frames > 0 {
            writeln!(
                out,
                "sim CPU per frame: {:.2} µs",
                self.cpu_ms as f64 * 1000.0 / self.frames as f64
            )?;
        }
        Ok(())
    }
}
