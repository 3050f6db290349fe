//! Benchmark harness for claude-server (issue 11; shared/research/performance-anchors.md §4).
//!
//! Two programs live here, the rest of the harness is the Python runner in `bench/runner/`:
//! * `b0-proxy` ([`b0`]): a trivial hyper pass-through proxy with a keep-alive upstream pool. It is
//!   the floor every gateway ratio is expressed against.
//! * `sse-driver` ([`driver`]): a load and streaming client on a minimal HTTP/1.1 implementation
//!   ([`http1`]). It measures latency, time to first token, inter-token gaps and lost frames, and
//!   checks tool-argument reassembly byte for byte, for Amazon Q event streams (the direct and B0
//!   legs) and for OpenAI and Anthropic SSE (the gateway legs) — see [`frames`]; [`encode`] writes
//!   the event-stream frames its tests read.
//!
//! Everything talks to loopback addresses given on the command line only.

pub mod b0;
pub mod driver;
pub mod encode;
pub mod frames;
pub mod http1;
pub mod stats;
