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
    // The bench account is a Builder ID account: on the runtime host (the default) it sends the
    // service profile ARN, which the legacy host would refuse (R17).
    let body = serde_json::json!({"profileArn": amazonq_sim::catalog::BUILDER_ID_ARN,
        "conversationState": {"chatTriggerType": "MANUAL", "currentMessage": {"userInputMessage": {
        "content": format!("#bench frames={} interval={} bytes={}", a.frames, a.interval_ms, a.bytes)}}}})
    .to_string();
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicU64::new(1));
    let sampler = {
        let (addr, peak, sampling) = (a.addr.clone(), peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) == 1 {
                if let Ok(v) = get_json(&addr, "/__sim/stats").await {
                    peak.fetch_max(v["streams_active"].as_u64().unwrap_or(0), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(a.streams);
    for i in 0..a.streams {
        let (addr, token, body) = (a.addr.clone(), a.token.clone(), body.clone());
        let delay = Duration::from_millis(a.ramp_ms * i as u64 / a.streams.max(1) as u64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            one(addr, token, body).await
        }));
    }
    let mut ok = 0usize;
    let mut failed = 0usize;
    let mut bytes = 0u64;
    let mut ttfb: Vec<Duration> = Vec::new();
    let mut durations: Vec<Duration> = Vec::new();
    for t in tasks {
        match t.await? {
            Ok(o) => {
                ok += 1;
                bytes += o.bytes;
                ttfb.push(o.first_byte);
                durations.push(o.total);
            }
            Err(e) => {
                failed += 1;
                eprintln!("stream failed: {e:#}");
            }
        }
    }
    let wall = started.elapsed();
    sampling.store(0, Ordering::Relaxed);
    let _ = sampler.await;
    let after = get_json(&a.addr, "/__sim/stats").await?;
    let frames = after["frames"].as_u64().unwrap_or(0) - before["frames"].as_u64().unwrap_or(0);
    let ticks = cpu_ticks(&after)? - cpu_ticks(&before)?;
    let cpu_ms = ticks * 10;
    ttfb.sort();
    durations.sort();
    let pct = |v: &[Duration], p: f64| {
        v.get(((v.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    let expected_ms = a.interval_ms * (a.frames.saturating_sub(1)) as u64;
    println!(
        "streams: {} ok, {} failed (requested {})",
        ok, failed, a.streams
    );
    println!(
        "peak concurrent streams (sampled): {}",
        peak.load(Ordering::Relaxed)
    );
    println!(
        "frames sent by sim: {frames} (expected {})",
        a.streams * a.frames
    );
    println!("bytes received: {bytes}");
    println!(
        "wall: {:.2} s; per-stream duration p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (ideal {expected_ms} ms)",
        wall.as_secs_f64(),
        pct(&durations, 0.5).as_secs_f64() * 1e3,
        pct(&durations, 0.99).as_secs_f64() * 1e3,
        pct(&durations, 1.0).as_secs_f64() * 1e3
    );
    println!(
        "time to first byte: p50 {:.1} ms, p99 {:.1} ms",
        pct(&ttfb, 0.5).as_secs_f64() * 1e3,
        pct(&ttfb, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "sim CPU (utime+stime): {cpu_ms} ms over {:.2} s = {:.1}% of one core",
        wall.as_secs_f64(),
        cpu_ms as f64 / wall.as_secs_f64() / 10.0
    );
    if frames > 0 {
        println!(
            "sim CPU per frame: {:.2} µs",
            cpu_ms as f64 * 1000.0 / frames as f64
        );
    }
    if failed > 0 {
        bail!("{failed} streams failed");
    }
    Ok(())
}
