//! `translate` end to end, one binary: client request parsing (`parse`), the normalized upstream
//! bodies (`snapshots`, checked by the simulator's validator in `sim_rules` and `invariants`),
//! streams into each client dialect (`sse_transcripts`, `responses`) and thinking chunking
//! (`chunking`). Expected files live under `tests/snapshots/` (see `common::assert_snapshot`);
//! proptest keeps its regression seeds next to each module (`wire/<module>.proptest-regressions`).
//!
//! A new test goes in the module of its area, or a new `wire/<area>.rs` declared below; helpers
//! two modules share go in `tests/common/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: failing loudly is the point"
)]

#[path = "../common/mod.rs"]
mod common;

mod chunking;
mod invariants;
mod parse;
mod responses;
mod sim_rules;
mod snapshots;
mod sse_transcripts;
mod web_search;
