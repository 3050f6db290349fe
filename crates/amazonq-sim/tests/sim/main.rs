//! `amazonq-sim` end to end: the binary, the device-code and social sign-in flows, the request
//! pipeline and validation rules, the runtime host, the event-stream encoding (decoded by an
//! independent decoder), and the `amazonq` client against the simulator (auth and faults). One
//! binary; one module per area.
//!
//! A new simulator test goes in the module of its area, or a new `sim/<area>.rs` declared below;
//! set-up two modules share goes in `tests/common/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::many_single_char_names,
    reason = "test code: a failed unwrap is a failed test; short names for client/body pairs"
)]

#[path = "../common/mod.rs"]
mod common;

mod binary;
mod client_auth;
mod client_faults;
mod device_flow;
mod mcp;
mod pipeline;
mod rules;
mod runtime_host;
mod stream_decode;
