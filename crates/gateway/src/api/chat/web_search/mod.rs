//! Web search for Anthropic Messages and the Responses API (issue 18 item 2): the gateway half.
//! The pure half (the tool, its options, result text, blocks, citations, bodies) is
//! `translate::web_search`.
//!
//! The upstream sees `web_search` as an ordinary tool and decides whether to call it. The
//! [`Driver`] sits between the upstream events and the client's encoder, turn by turn:
//!
//! 1. **Stream a turn.** The model's text, thinking and client tool calls pass through; its
//!    `web_search` calls are held back; so is its finish.
//! 2. **No search call** → the finish goes out (usage summed over all turns): done.
//! 3. **Search calls** → for each, in order: the call is announced (Anthropic `server_tool_use`,
//!    Responses `web_search_call` in progress), the search runs on the account this answer
//!    leased (`PoolStream::web_search`, the account's Kiro search and credits), the domain lists
//!    filter its hits, and the outcome goes out (`web_search_tool_result` / the completed or
//!    failed item). A call beyond `max_uses`, without a query, or whose search failed (no
//!    profile, plan without search, throttled, service error) gets an error result; the model
//!    reads it and answers without the search: nothing waits on a search that cannot happen.
//! 4. **Continue.** The model's turn and the results (as tool results) are appended to the
//!    conversation and the next call opens on the same lease (`PoolStream::follow_up`).
//!    After an error result for `max_uses`, the next turn is offered no tools, so it answers.
//!    At most `max_uses + 2` turns run; then the answer ends as it stands.
//!
//! **Mixed turns.** When the model calls client tools and `web_search` in the same turn, the
//! searches run (their blocks go out) and the turn ends with `tool_use` as usual: the client
//! runs its tools and sends the next request. Its history carries the search blocks, which the
//! dialect parsers drop (the answer text that used them stays).
//!
//! **Request log.** Each search adds `web_search` (or `web_search_failed`) to the row's rules, so
//! the console shows how many searches a request ran; the metrics are
//! `gateway_web_search_total{outcome}` and `gateway_web_search_seconds`.

mod answer;
mod turn;

pub use answer::{collect, stream};
pub use turn::Driver;

/// Whether a body mentions web search at all: only then are its tools read again for the
/// search options (most requests never pay for a second parse).
pub fn mentions(body: &[u8]) -> bool {
    body.windows(b"web_search".len())
        .any(|w| w == b"web_search")
}
