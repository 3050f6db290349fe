//! HTTP-level tests of the `amazonq` clients against loopback axum servers
//! (127.0.0.1:0 only). One test binary, several modules, to keep link time down.

// clippy.toml allows these inside #[test] functions only; the helpers (servers,
// handlers) of this test binary fail loudly on purpose too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account;
mod chat;
mod chat_faults;
mod hosts;
mod mcp;
mod oidc;
mod proxy;
mod server;
