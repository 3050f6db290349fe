//! The two load shapes of the driver (performance-anchors.md §4.1 item 3):
//! * [`run_streams`]: N concurrent streaming requests started over a ramp, one connection each;
//!   reports time to first frame, inter-frame gaps, lost frames, stalls and tool reassembly.
//! * [`run_load`]: closed-loop non-stream requests on C keep-alive connections, bounded by a
//!   request count or a duration; reports latency percentiles and throughput.
//!
//! Every loop is bounded (count, duration, per-stream timeout); targets are given by the caller.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::frames::{Observed, Parser, Protocol};
use crate::http1::{Conn, HttpError};
use crate::stats::{Summary, summarize};

/// Where and what to send.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// The encoded request ([`crate::http1::encode_post`]).
    pub request: Arc<Vec<u8>>,
    pub proto: Protocol,
}

/// Streaming run settings.
#[derive(Debug, Clone)]
pub struct StreamOpts {
    pub streams: usize,
    /// Stream starts are spread evenly over this window (a SYN burst is not what is measured).
    pub ramp: Duration,
    pub timeout: Duration,
    pub expect_frames: Option<u64>,
    pub expect_text_bytes: Option<u64>,
    /// Expected tool arguments, in call order, compared byte for byte.
    pub expect_tools: Vec<String>,
    /// A gap longer than this is a stall.
    pub stall: Duration,
}

/// Result of [`run_streams`].
#[derive(Debug, Default, Serialize)]
pub struct StreamReport {
    pub streams: usize,
    pub ok: usize,
    pub failed: usize,
    pub statuses: BTreeMap<u16, usize>,
    pub error_samples: Vec<String>,
    pub frames: u64,
    pub frames_expected: u64,
    pub lost_frames: u64,
    pub text_mismatch: usize,
    pub stalls: u64,
    pub tool_checked: usize,
    pub tool_exact: usize,
    pub ttft_us: Summary,
    pub gap_us: Summary,
    pub stream_us: Summary,
    pub wall_ms: u64,
}

struct StreamResult {
    status: u16,
    error: Option<String>,
    obs: Observed,
    sent: Instant,
    end: Instant,
}

async fn one_stream(target: &Target, timeout: Duration) -> StreamResult {
    let mut obs = Observed::default();
    let start = Instant::now();
    let mut status = 0;
    let mut sent = start;
    let res = tokio::time::timeout(timeout, async {
        let mut conn = Conn::connect(target.addr).await?;
        let (head, t) = conn.send(&target.request).await?;
        status = head.status;
        sent = t;
        let mut parser = Parser::new(target.proto);
        conn.read_body(&head, |b, at| parser.push(b, at, &mut obs))
            .await?;
        Ok::<_, HttpError>(())
    })
    .await;
    let error = match res {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("timed out after {timeout:?}")),
    };
    StreamResult {
        status,
        error,
        obs,
        sent,
        end: Instant::now(),
    }
}

/// Runs `opts.streams` concurrent streams and checks each one.
pub async fn run_streams(target: &Target, opts: &StreamOpts) -> StreamReport {
    let t0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let step = if opts.streams > 1 {
        opts.ramp / u32::try_from(opts.streams - 1).unwrap_or(u32::MAX)
    } else {
        Duration::ZERO
    };
    for i in 0..opts.streams {
        let target = target.clone();
        let timeout = opts.timeout;
        let at = t0 + step * u32::try_from(i).unwrap_or(u32::MAX);
        tasks.spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            one_stream(&target, timeout).await
        });
    }
    let mut report = StreamReport {
        streams: opts.streams,
        ..StreamReport::default()
    };
    let (mut ttft, mut gaps, mut durations) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(joined) = tasks.join_next().await {
        let r = match joined {
            Ok(r) => r,
            Err(e) => {
                report.failed += 1;
                report.error_samples.push(format!("task: {e}"));
                continue;
            }
        };
        tally(&mut report, opts, target.proto, &r);
        if let Some(first) = r.obs.first_frame {
            ttft.push(micros(first.duration_since(r.sent)));
        }
        durations.push(micros(r.end.duration_since(r.sent)));
        gaps.extend_from_slice(&r.obs.gaps_us);
    }
    report.ttft_us = summarize(&mut ttft);
    report.gap_us = summarize(&mut gaps);
    report.stream_us = summarize(&mut durations);
    report.wall_ms = micros(t0.elapsed()) / 1000;
    report
}

fn tally(report: &mut StreamReport, opts: &StreamOpts, proto: Protocol, r: &StreamResult) {
    *report.statuses.entry(r.status).or_default() += 1;
    let stall_us = micros(opts.stall);
    report.stalls += r.obs.gaps_us.iter().filter(|&&g| g > stall_us).count() as u64;
    report.frames += r.obs.frames;
    if let Some(n) = opts.expect_frames {
        report.frames_expected += n;
        report.lost_frames += n.saturating_sub(r.obs.frames);
    }
    if let Some(n) = opts.expect_text_bytes
        && r.obs.text.len() as u64 != n
    {
        report.text_mismatch += 1;
    }
    let tools_ok = if opts.expect_tools.is_empty() {
        true
    } else {
        report.tool_checked += 1;
        let got: Vec<&str> = r.obs.tools.iter().map(|(_, a)| a.as_str()).collect();
        let exact = got
            == opts
                .expect_tools
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>();
        if exact {
            report.tool_exact += 1;
        }
        exact
    };
    // SSE streams must end with their protocol's end marker; other bodies end at their length.
    let ended = r.obs.done || matches!(proto, Protocol::Eventstream | Protocol::Plain);
    let ok = r.error.is_none() && r.status == 200 && r.obs.errors == 0 && ended && tools_ok;
    if ok {
        report.ok += 1;
    } else {
        report.failed += 1;
        if report.error_samples.len() < 5 {
            report.error_samples.push(match &r.error {
                Some(e) => format!("status {}: {e}", r.status),
                None => format!(
                    "status {}: frames {} errors {} done {} tools_ok {tools_ok}",
                    r.status, r.obs.frames, r.obs.errors, r.obs.done
                ),
            });
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Non-stream run settings: stop at `total` requests or after `duration`, whichever comes first.
#[derive(Debug, Clone)]
pub struct LoadOpts {
    pub concurrency: usize,
    pub total: Option<u64>,
    pub duration: Option<Duration>,
}

/// Result of [`run_load`].
#[derive(Debug, Default, Serialize)]
pub struct LoadReport {
    pub requests: u64,
    pub ok: u64,
    pub failed: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub error_samples: Vec<String>,
    pub connections: u64,
    pub rps: f64,
    pub latency_us: Summary,
    pub wall_ms: u64,
}

#[derive(Default)]
struct Worker {
    lat: Vec<u64>,
    statuses: BTreeMap<u16, u64>,
    errors: Vec<String>,
    failed: u64,
    connections: u64,
}

async fn load_worker(
    target: Target,
    issued: Arc<AtomicU64>,
    total: u64,
    deadline: Instant,
) -> Worker {
    let mut w = Worker::default();
    let mut conn: Option<Conn> = None;
    while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < total {
        let left = deadline.saturating_duration_since(Instant::now());
        let res = tokio::time::timeout(left.max(Duration::from_secs(1)), async {
            let mut c = if let Some(c) = conn.take() {
                c
            } else {
                w.connections += 1;
                Conn::connect(target.addr).await?
            };
            let (head, sent) = c.send(&target.request).await?;
            c.read_body(&head, |_, _| {}).await?;
            Ok::<_, HttpError>((c, head, sent))
        })
        .await;
        match res {
            Ok(Ok((c, head, sent))) => {
                w.lat.push(micros(sent.elapsed()));
                *w.statuses.entry(head.status).or_default() += 1;
                if !(200..300).contains(&head.status) {
                    w.failed += 1;
                }
                if head.keep_alive {
                    conn = Some(c);
                }
            }
            Ok(Err(e)) => {
                w.failed += 1;
                if w.errors.len() < 5 {
                    w.errors.push(e.to_string());
                }
            }
            Err(_) => {
                w.failed += 1;
                if w.errors.len() < 5 {
                    w.errors.push("timed out".to_owned());
                }
            }
        }
    }
    w
}

/// Closed-loop non-stream load.
pub async fn run_load(target: &Target, opts: &LoadOpts) -> LoadReport {
    let t0 = Instant::now();
    let total = opts.total.unwrap_or(u64::MAX);
    let deadline = t0 + opts.duration.unwrap_or(Duration::from_hours(1));
    let issued = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..opts.concurrency.max(1) {
        tasks.spawn(load_worker(
            target.clone(),
            Arc::clone(&issued),
            total,
            deadline,
        ));
    }
    let mut report = LoadReport::default();
    let mut lat = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok(w) = joined else {
            report.error_samples.push("worker panicked".to_owned());
            continue;
        };
        lat.extend_from_slice(&w.lat);
        for (k, v) in w.statuses {
            *report.statuses.entry(k).or_default() += v;
        }
        report.failed += w.failed;
        report.connections += w.connections;
        for e in w.errors {
            if report.error_samples.len() < 5 {
                report.error_samples.push(e);
            }
        }
    }
    let wall = t0.elapsed();
    report.requests = report.statuses.values().sum::<u64>() + report.failed
        - report
            .statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum::<u64>();
    report.ok = report.requests - report.failed;
    report.latency_us = summarize(&mut lat);
    report.wall_ms = micros(wall) / 1000;
    report.rps = report.ok as f64 / wall.as_secs_f64().max(1e-9);
    report
}
