//! The account pool against `amazonq-sim`: selection and health, sign-in and refresh, the
//! pool through the admin API (including social sign-in and the feed-then-burst scenario), and
//! `claude-server doctor`. One binary; one module per area.
//!
//! A new pool test goes in the module of its area, or a new `pool/<area>.rs` declared below;
//! shared set-up goes in `tests/common/` (see `tests/README.md`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod auth;
mod doctor;
mod sim;
