//! Harness shared by the gateway integration tests (each `tests/*.rs` binary declares
//! `mod support;` and uses the parts it needs):
//! - [`server`]: a real `gateway::serve_with` on 127.0.0.1:0 over a fresh SQLite data folder,
//!   with the admin-API calls every test makes (login, keys, JSON calls);
//! - [`admin`]: that server with every upstream host on a closed loopback port and `/v1` echo
//!   routes in place of the chat handlers (admin and guard tests);
//! - [`v1`]: the gateway with `amazonq-sim` as upstream and accounts seeded in the store (client
//!   API tests);
//! - [`sse`]: whole SSE answers parsed into events;
//! - [`anthropic`], [`openai`]: request bodies and error-body checks of each client dialect.

#![allow(dead_code, reason = "each test binary uses a subset")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test harness: a failed setup step must fail the test"
)]

pub mod admin;
pub mod anthropic;
pub mod openai;
pub mod server;
pub mod sse;
pub mod v1;
