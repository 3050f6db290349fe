//! From rendered frames to bytes on the socket: pacing, byte-level faults (fragmentation,
//! coalescing, mid-frame drops) and the response body stream (issue 3 "Pacing", §8.5 rows
//! "Connection drop", "Byte-level fragmentation", "Slow stream").
//!
//! [`plan`] is pure; [`body`] walks a plan with real sleeps. A separate benchmark body sends one
//! pre-encoded frame N times so the simulator's own CPU per frame stays minimal.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::config::Pacing;
use crate::faults::Fault;
use crate::render::Ev;

/// One thing the body stream does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Write bytes; `frames` = complete frames finished by this write (for statistics).
    Write {
        bytes: Bytes,
        frames: u32,
    },
    Sleep(u64),
    /// Return control to hyper so the previous write leaves as its own chunk / segment.
    Yield,
    /// Abort the connection (FIN, or RST when `rst`).
    Fail {
        rst: bool,
    },
}

/// Builds the action list for a response.
pub fn plan(evs: Vec<Ev>, pacing: Pacing, faults: &[Fault]) -> Vec<Action> {
    let mut first_ms = pacing.first_frame_ms;
    let mut interval_ms = pacing.interval_ms;
    for f in faults {
        match f {
            Fault::DelayFirst { ms } => first_ms = *ms,
            Fault::Drip { ms } => interval_ms = *ms,
            _ => {}
        }
    }
    let mut acts = Vec::with_capacity(evs.len() * 2 + 1);
    if first_ms > 0 {
        acts.push(Action::Sleep(first_ms));
    }
    let mut wrote = false;
    for ev in evs {
        match ev {
            Ev::Frame(bytes, _) => {
                if wrote && interval_ms > 0 {
                    acts.push(Action::Sleep(interval_ms));
                }
                wrote = true;
                acts.push(Action::Write { bytes, frames: 1 });
            }
            Ev::Sleep(ms) => acts.push(Action::Sleep(ms)),
            Ev::Abort { rst } => acts.push(Action::Fail { rst }),
        }
    }
    for f in faults {
        match f {
            Fault::DropAfterBytes { bytes, rst } => acts = cut_after_bytes(acts, *bytes, *rst),
            Fault::Coalesce => acts = regroup(acts, |_| usize::MAX),
            Fault::Fragment { size } => {
                let size = *size;
                acts = regroup(acts, move |_| size);
            }
            Fault::FragmentRandom { seed, max } => {
                let mut state = *seed | 1;
                let max = *max as u64;
                acts = regroup(acts, move |_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    1 + (state % max.max(1)) as usize
                });
            }
            _ => {}
        }
    }
    acts
}

fn cut_after_bytes(acts: Vec<Action>, limit: usize, rst: bool) -> Vec<Action> {
    let mut out = Vec::new();
    let mut sent = 0usize;
    for a in acts {
        match a {
            Action::Write { bytes, frames } => {
                if sent + bytes.len() > limit {
                    let keep = limit - sent;
                    if keep > 0 {
                        out.push(Action::Write {
                            bytes: bytes.slice(..keep),
                            frames: 0,
                        });
                        out.push(Action::Yield);
                    }
                    out.push(Action::Fail { rst });
                    return out;
                }
                sent += bytes.len();
                out.push(Action::Write { bytes, frames });
            }
            Action::Fail { .. } => {
                out.push(a);
                return out;
            }
            other => out.push(other),
        }
    }
    out
}

/// Concatenates runs of writes (between sleeps / fails) and re-cuts them with `next_size`,
/// yielding between pieces so each piece becomes its own body chunk.
fn regroup(acts: Vec<Action>, mut next_size: impl FnMut(usize) -> usize) -> Vec<Action> {
    let mut out = Vec::new();
    let mut run = BytesMut::new();
    let mut run_frames = 0u32;
    let mut flush = |run: &mut BytesMut, run_frames: &mut u32, out: &mut Vec<Action>| {
        let mut data = run.split().freeze();
        let mut i = 0;
        while !data.is_empty() {
            let n = next_size(i).min(data.len()).max(1);
            let piece = data.split_to(n);
            let frames = if data.is_empty() { *run_frames } else { 0 };
            out.push(Action::Write {
                bytes: piece,
                frames,
            });
            out.push(Action::Yield);
            i += 1;
        }
        *run_frames = 0;
    };
    for a in acts {
        match a {
            Action::Write { bytes, frames } => {
                run.extend_from_slice(&bytes);
                run_frames += frames;
            }
            Action::Yield => {}
            other => {
                flush(&mut run, &mut run_frames, &mut out);
                out.push(other);
            }
        }
    }
    flush(&mut run, &mut run_frames, &mut out);
    out
}

/// Per-connection control shared with the I/O wrapper (RST on close).
#[derive(Debug, Default)]
pub struct ConnCtl {
    pub rst_on_close: AtomicBool,
    /// Fail every further read and write: the connection dies before (more) bytes leave.
    pub kill: AtomicBool,
}

/// Streaming counters the benchmark reads: atomics while streams run ([`Counters`]), plain
/// numbers in a [`Counters::snapshot`] (one field list for both).
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StreamCounters<N = AtomicU64> {
    pub frames: N,
    pub bytes: N,
    pub streams_started: N,
    pub streams_active: N,
}

/// The live counters.
pub type Counters = StreamCounters<AtomicU64>;

impl Counters {
    /// The counters' current values (each read on its own, `Relaxed`: they are statistics).
    pub fn snapshot(&self) -> StreamCounters<u64> {
        StreamCounters {
            frames: self.frames.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            streams_started: self.streams_started.load(Ordering::Relaxed),
            streams_active: self.streams_active.load(Ordering::Relaxed),
        }
    }
}

struct ActiveGuard(Arc<Counters>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.streams_active.fetch_sub(1, Ordering::Relaxed);
    }
}

fn started(counters: &Arc<Counters>) -> ActiveGuard {
    counters.streams_started.fetch_add(1, Ordering::Relaxed);
    counters.streams_active.fetch_add(1, Ordering::Relaxed);
    ActiveGuard(counters.clone())
}

/// The response body for a plan.
pub fn body(
    acts: Vec<Action>,
    ctl: Arc<ConnCtl>,
    counters: Arc<Counters>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let guard = started(&counters);
    let state = (VecDeque::from(acts), ctl, counters, guard);
    futures_util::stream::unfold(Some(state), |st| async move {
        let (mut q, ctl, counters, guard) = st?;
        loop {
            match q.pop_front()? {
                Action::Write { bytes, frames } => {
                    counters
                        .frames
                        .fetch_add(u64::from(frames), Ordering::Relaxed);
                    counters
                        .bytes
                        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    return Some((Ok(bytes), Some((q, ctl, counters, guard))));
                }
                Action::Sleep(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                Action::Yield => tokio::task::yield_now().await,
                Action::Fail { rst } => {
                    // Let hyper flush what was written (head included) before the connection dies;
                    // otherwise the client would see no response at all instead of a cut stream.
                    tokio::task::yield_now().await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    if rst {
                        ctl.rst_on_close.store(true, Ordering::Relaxed);
                    }
                    // An error body makes hyper drop the connection without the final chunk.
                    return Some((Err(std::io::Error::other("sim: connection dropped")), None));
                }
            }
        }
    })
}

/// Where absurd pacing values (directive input) end up instead of overflowing.
const FAR_FUTURE: Duration = Duration::from_hours(365 * 24);

/// Benchmark body: `frames` copies of one pre-encoded frame, one every `interval`.
pub fn bench_body(
    frame: Bytes,
    frames: usize,
    interval: Duration,
    first: Duration,
    counters: &Arc<Counters>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + use<> {
    let guard = started(counters);
    let start = tokio::time::Instant::now() + first;
    futures_util::stream::unfold((0usize, guard), move |(i, guard)| {
        let frame = frame.clone();
        async move {
            if i >= frames {
                return None;
            }
            // Absolute deadlines: pacing does not drift with scheduling delays.
            let step = interval.saturating_mul(u32::try_from(i).unwrap_or(u32::MAX));
            let deadline = start.checked_add(step).unwrap_or(start + FAR_FUTURE);
            tokio::time::sleep_until(deadline).await;
            guard.0.frames.fetch_add(1, Ordering::Relaxed);
            guard
                .0
                .bytes
                .fetch_add(frame.len() as u64, Ordering::Relaxed);
            Some((Ok::<_, std::io::Error>(frame), (i + 1, guard)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Kind;

    fn frame(n: u8, len: usize) -> Ev {
        Ev::Frame(Bytes::from(vec![n; len]), Kind::Text)
    }

    fn written(acts: &[Action]) -> Vec<u8> {
        acts.iter()
            .filter_map(|a| match a {
                Action::Write { bytes, .. } => Some(bytes.to_vec()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    #[test]
    fn pacing_inserts_first_delay_and_intervals() {
        let p = Pacing {
            first_frame_ms: 7,
            interval_ms: 3,
            chunk_chars: 4,
        };
        let acts = plan(vec![frame(1, 2), frame(2, 2)], p, &[]);
        assert_eq!(acts[0], Action::Sleep(7));
        assert_eq!(acts[2], Action::Sleep(3));
        assert_eq!(acts.len(), 4);
    }

    #[test]
    fn fragmentation_preserves_bytes_and_frame_counts() {
        let evs = vec![frame(1, 5), frame(2, 3)];
        for faults in [
            vec![Fault::Fragment { size: 1 }],
            vec![Fault::Coalesce],
            vec![Fault::FragmentRandom { seed: 9, max: 4 }],
        ] {
            let acts = plan(evs.clone(), Pacing::default(), &faults);
            assert_eq!(written(&acts), vec![1, 1, 1, 1, 1, 2, 2, 2]);
            let frames: u32 = acts
                .iter()
                .map(|a| {
                    if let Action::Write { frames, .. } = a {
                        *frames
                    } else {
                        0
                    }
                })
                .sum();
            assert_eq!(frames, 2);
        }
        let one = plan(
            evs.clone(),
            Pacing::default(),
            &[Fault::Fragment { size: 1 }],
        );
        assert_eq!(
            one.iter()
                .filter(|a| matches!(a, Action::Write { .. }))
                .count(),
            8
        );
        let co = plan(evs, Pacing::default(), &[Fault::Coalesce]);
        assert_eq!(
            co.iter()
                .filter(|a| matches!(a, Action::Write { .. }))
                .count(),
            1
        );
    }

    #[test]
    fn drop_after_bytes_cuts_mid_frame() {
        let acts = plan(
            vec![frame(1, 5), frame(2, 5)],
            Pacing::default(),
            &[Fault::DropAfterBytes {
                bytes: 7,
                rst: true,
            }],
        );
        assert_eq!(written(&acts).len(), 7);
        assert_eq!(acts.last(), Some(&Action::Fail { rst: true }));
    }
}
