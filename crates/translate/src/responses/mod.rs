//! OpenAI Responses API dialect (`POST /v1/responses`, issue 18; client doc Addendum "what Codex CLI
//! 0.171.0 sends"): request parsing into the IR and the answer's shapes.
//!
//! Two steps, because a request may continue a stored one (`previous_response_id`) and only the
//! gateway can read the store:
//!
//! 1. [`parse`] reads the envelope and turns `input` (a string or a list of items) into a list of
//!    input items ([`Envelope::input`]); nothing is resolved yet.
//! 2. [`Envelope::build`] prepends the items of the earlier response (if any), and turns the whole
//!    list into a [`ChatRequest`](crate::ir::ChatRequest) — plus the [`Head`] the answer echoes and
//!    the item history the gateway keeps when `store` is not false.
//!
//! Reasoning items leave with an `encrypted_content` sealed by the caller's [`Seal`] (the gateway
//! uses its encryption key), and come back through it: a value that does not open (tampered, or
//! sealed by another server such as OpenAI's) is dropped and reported in [`Turn::dropped`] — the
//! upstream never sees earlier reasoning anyway, so dropping it cannot change the answer.
//!
//! Tools and items of types this gateway cannot serve (`namespace`, `local_shell`,
//! `custom`, `item_reference`, …) are dropped the same way instead of failing the request: Codex
//! sends several of them on every turn.
//!
//! The answer: [`crate::sse::ResponsesSse`] renders the stream events and builds the final
//! [`object::Response`]; [`object::response_body`] renders a non-stream answer through the same
//! encoder, so both cannot diverge.

mod items;
pub mod object;
mod request;

pub use object::{Response, response_body};
pub use request::{Envelope, Head, Turn, parse};

/// Seals and opens reasoning text (`encrypted_content`). The gateway implements it with its
/// encryption key; tests use a transparent one.
pub trait Seal: Send + Sync {
    /// The sealed form of `plain`, or `None` when sealing failed (the item then has no
    /// `encrypted_content`).
    fn seal(&self, plain: &str) -> Option<String>;
    /// The text inside a value [`Seal::seal`] produced, or `None` for anything else.
    fn open(&self, sealed: &str) -> Option<String>;
}

/// The id of an output item: `prefix` + the response id's random part + the item's index, so every
/// id of one response is unique and derived from it (deterministic for a given response id).
pub fn item_id(prefix: &str, response_id: &str, index: usize) -> String {
    let core = response_id.strip_prefix("resp_").unwrap_or(response_id);
    format!("{prefix}_{core}{index:04x}")
}
