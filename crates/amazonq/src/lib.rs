//! Client side of the Amazon Q / Kiro upstream (spec: shared/research/amazon-q-protocol.md).
//!
//! Pure wire modules (no I/O, always built):
//! - [`types`]: serde wire types for GenerateAssistantResponse (§4.2), the account APIs (§6)
//!   and the token services (§2, §3).
//! - [`eventstream`]: AWS event-stream frames (§5.2); incremental sans-IO decoder with CRC
//!   checks, a 16 MiB cap and truncation detection, and the encoder. Module docs say why it
//!   is hand-written and how it is checked against `aws-smithy-eventstream`.
//! - [`events`]: typed stream events (§5.3) decoded from frames, and encoded back (simulator).
//! - [`error`]: classification of upstream failures (§5.1, §7, Addendum) into one closed
//!   [`error::ErrorClass`].
//!
//! HTTP modules (feature `client`, on by default):
//! - [`client`]: the chat call on the 2026 hosts (`runtime.<r>.kiro.dev`, kiro-2026-endpoints.md)
//!   and on the legacy `q.*` fallback in both dialects (§1, §4.1), one persona per account kind
//!   ([`client::persona`]), with connect / first-byte / idle timeouts and proxies, returning a
//!   classified error or a stream of typed events; and the account APIs ListAvailableModels,
//!   GetUsageLimits, ListAvailableProfiles on `management.<r>.kiro.dev` (or `q.*`); and the web
//!   search on the chat host's `POST /mcp` ([`client::mcp`]).
//! - [`oidc`]: AWS SSO OIDC register / device authorization / token / refresh and the §2.7
//!   device-login loop.
//! - [`kiro_auth`]: Kiro social-token refresh (§3).
//! - [`kiro_login`]: Kiro GitHub / Google sign-in: login address, callback, code exchange (§3).
//!
//! Call [`install_crypto_provider`] once at start-up (the clients also call it; it is
//! idempotent). Base URLs are parameters everywhere; the defaults are the real AWS hosts.
//!
//! # Fuzzing
//!
//! The decoder has a libFuzzer target in `crates/amazonq/fuzz` (its own workspace, excluded
//! from the main one). With the nightly toolchain and `cargo install cargo-fuzz`:
//!
//! ```text
//! cd crates/amazonq && cargo +nightly fuzz run decode_frames -- -max_total_time=600
//! ```
//!
//! or `make fuzz` from the repository root.
//!
//! # Benchmark
//!
//! `cargo bench -p amazonq --bench decode` (`make bench`); results in
//! `bench/results/eventstream-decode.md`.

pub mod redact;

pub mod drift;
pub mod error;
pub mod events;
pub mod eventstream;
pub mod types;

#[cfg(feature = "client")]
mod auth_http;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
mod http;
#[cfg(feature = "client")]
pub mod kiro_auth;
#[cfg(feature = "client")]
pub mod kiro_login;
#[cfg(feature = "client")]
pub mod oidc;

#[cfg(feature = "client")]
pub use http::{TransportError, install_crypto_provider};
