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
    /// What each stream must deliver.
    pub expect: Expect,
    /// A gap longer than this is a stall.
    pub stall: Duration,
}

/// What every stream of a run should deliver; an absent or empty item is not checked.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub frames: Option<u64>,
    pub text_bytes: Option<u64>,
    /// Tool arguments, in call order, compared byte for byte.
    pub tools: Vec<String>,
}

impl Expect {
    /// Counts how `obs` falls short of the expectation into `report`; whether its tool calls
    /// are the expected ones (true when none are expected).
    fn check(&self, obs: &Observed, report: &mut StreamReport) -> bool {
        if let Some(n) = self.frames {
            report.frames_expected += n;
            report.lost_frames += n.saturating_sub(obs.frames);
        }
        if let Some(n) = self.text_bytes
            && obs.text.len() as u64 != n
        {
            report.text_mismatch += 1;
        }
        if self.tools.is_empty() {
            return true;
        }
        report.tool_checked += 1;
        let exact = obs.tools.iter().map(|(_, a)| a).eq(&self.tools);
        if exact {
            report.tool_exact += 1;
        }
        exact
    }
}

/// How the requests of a run ended; both reports carry it flattened into their JSON.
#[derive(Debug, Default, Serialize)]
pub struct Outcomes {
    pub ok: u64,
    pub failed: u64,
    /// Responses by HTTP status (0: no response head).
    pub statuses: BTreeMap<u16, u64>,
    /// The first few failure texts.
    pub error_samples: Vec<String>,
}

impl Outcomes {
    /// How many failure texts a report keeps: enough to see the cause, not one per request.
    const SAMPLES: usize = 5;

    /// Counts one failure and keeps its text while there is room.
    fn fail(&mut self, text: impl FnOnce() -> String) {
        self.failed += 1;
        if self.error_samples.len() < Self::SAMPLES {
            self.error_samples.push(text());
        }
    }

    /// Adds another tally (one load worker's) to this one.
    fn merge(&mut self, other: Self) {
        self.ok += other.ok;
        self.failed += other.failed;
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        let room = Self::SAMPLES.saturating_sub(self.error_samples.len());
        self.error_samples
            .extend(other.error_samples.into_iter().take(room));
    }
}

/// Result of [`run_streams`].
#[derive(Debug, Default, Serialize)]
pub struct StreamReport {
    pub streams: usize,
    #[serde(flatten)]
    pub outcomes: Outcomes,
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
                // A task that did not finish is always reported, whatever was sampled before.
                report.outcomes.failed += 1;
                report.outcomes.error_samples.push(format!("task: {e}"));
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
    *report.outcomes.statuses.entry(r.status).or_default() += 1;
    let stall_us = micros(opts.stall);
    report.stalls += r.obs.gaps_us.iter().filter(|&&g| g > stall_us).count() as u64;
    report.frames += r.obs.frames;
    let tools_ok = opts.expect.check(&r.obs, report);
    // SSE streams must end with their protocol's end marker; other bodies end at their length.
    let ended = r.obs.done || matches!(proto, Protocol::Eventstream | Protocol::Plain);
    let ok = r.error.is_none() && r.status == 200 && r.obs.errors == 0 && ended && tools_ok;
    if ok {
        report.outcomes.ok += 1;
    } else {
        report.outcomes.fail(|| match &r.error {
            Some(e) => format!("status {}: {e}", r.status),
            None => format!(
                "status {}: frames {} errors {} done {} tools_ok {tools_ok}",
                r.status, r.obs.frames, r.obs.errors, r.obs.done
            ),
        });
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
    #[serde(flatten)]
    pub outcomes: Outcomes,
    pub connections: u64,
    pub rps: f64,
    pub latency_us: Summary,
    pub wall_ms: u64,
}

#[derive(Default)]
struct Worker {
    lat: Vec<u64>,
    /// `ok` stays 0: the run derives it from the totals.
    outcomes: Outcomes,
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
                *w.outcomes.statuses.entry(head.status).or_default() += 1;
                if !(200..300).contains(&head.status) {
                    w.outcomes.failed += 1;
                }
                if head.keep_alive {
                    conn = Some(c);
                }
            }
            Ok(Err(e)) => w.outcomes.fail(|| e.to_string()),
            Err(_) => w.outcomes.fail(|| "timed out".to_owned()),
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
            report
                .outcomes
                .error_samples
                .push("worker panicked".to_owned());
            continue;
        };
        lat.extend_from_slice(&w.lat);
        report.outcomes.merge(w.outcomes);
        report.connections += w.connections;
    }
    let wall = t0.elapsed();
    let o = &mut report.outcomes;
    report.requests = o.statuses.values().sum::<u64>() + o.failed
        - o.statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum::<u64>();
    o.ok = report.requests - o.failed;
    report.latency_us = summarize(&mut lat);
    report.wall_ms = micros(wall) / 1000;
    report.rps = report.outcomes.ok as f64 / wall.as_secs_f64().max(1e-9);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runner (bench/runner) reads these keys; `Outcomes` is flattened, so they stay top-level
    /// and in their old order.
    #[test]
    fn reports_serialize_flat_in_field_order() {
        let in_order = |json: String, keys: &[&str]| {
            let at: Vec<Option<usize>> = keys
                .iter()
                .map(|k| json.find(&format!("\"{k}\":")))
                .collect();
            assert!(at.iter().all(Option::is_some), "{json}");
            assert!(at.is_sorted(), "{json}");
        };
        let mut stream = StreamReport::default();
        stream.outcomes.statuses.insert(200, 1);
        let json = serde_json::to_string(&stream).unwrap();
        assert!(json.contains(r#""statuses":{"200":1}"#), "{json}");
        in_order(
            json,
            &[
                "streams",
                "ok",
                "failed",
                "statuses",
                "error_samples",
                "frames",
                "frames_expected",
                "lost_frames",
                "text_mismatch",
                "stalls",
                "tool_checked",
                "tool_exact",
                "ttft_us",
                "gap_us",
                "stream_us",
                "wall_ms",
            ],
        );
        in_order(
            serde_json::to_string(&LoadReport::default()).unwrap(),
            &[
                "requests",
                "ok",
                "failed",
                "statuses",
                "error_samples",
                "connections",
                "rps",
                "latency_us",
                "wall_ms",
            ],
        );
    }

    #[test]
    fn outcomes_keep_at_most_five_failure_texts() {
        let mut a = Outcomes::default();
        for i in 0..4 {
            a.fail(|| format!("a{i}"));
        }
        let mut b = Outcomes::default();
        for i in 0..3 {
            b.fail(|| format!("b{i}"));
        }
        a.merge(b);
        assert_eq!(a.failed, 7);
        assert_eq!(a.error_samples, ["a0", "a1", "a2", "a3", "b0"]);
    }
}
