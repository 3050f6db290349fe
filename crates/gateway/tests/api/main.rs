//! The gateway's HTTP surface over real sockets: the `/v1` client APIs of each dialect against
//! `amazonq-sim`, the guard stack, hardening, and the admin API. One binary (one link of
//! sea-orm, redis and axum); one module per area, named after what it covers.
//!
//! A new test of the HTTP surface goes in the module of its area, or a new `api/<area>.rs`
//! declared below; shared set-up goes in `tests/common/` (see `tests/README.md`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]
#![allow(
    clippy::many_single_char_names,
    reason = "short names for status/body pairs"
)]

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod anthropic;
mod anthropic_requests;
mod drift;
mod error_taxonomy;
mod gateway;
mod guard;
mod hardening;
mod model_fallback;
mod openai;
mod responses;
mod warm_up;
mod web_search;
