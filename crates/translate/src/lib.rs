//! Pure translation (no I/O, no async) between the client dialects (OpenAI Chat Completions, Anthropic
//! Messages, OpenAI Responses — [`responses`]), one intermediate representation ([`ir`]) and the Amazon Q upstream (issue 10; specs:
//! `client-api-conformance.md` §1–§4 and `amazon-q-protocol.md` §4–§7 + Addendum).
//!
//! The gateway's handlers drive it in four steps:
//!
//! 1. **parse** a body into a [`ir::ChatRequest`] ([`openai::parse`], [`anthropic::parse`]) — errors
//!    name the field ([`TranslateError::param`]) for the dialect's error body;
//! 2. **resolve** the model ([`models::ModelTable::resolve_with`] and the live catalog,
//!    [`models::Catalog`]) and **count** the prompt ([`tokens::count_request`]) — the same number
//!    serves `count_tokens`, `message_start`, usage and the pre-flight check against
//!    [`models::ResolvedModel::max_input_tokens`];
//! 3. **normalize** into the upstream body ([`normalize::normalize`]), which also reports the named
//!    rules that fired;
//! 4. per upstream event, run the **state machine** ([`stream::StreamMachine`]) and hand its
//!    [`ir::OutEvent`]s to a dialect **encoder** ([`sse::AnthropicSse`], [`sse::OpenAiSse`]) for
//!    SSE, or to a [`collect::Collector`] and the dialect's `response` module for a JSON body.
//!
//! ```
//! use amazonq::events::StreamEvent;
//! use translate::{anthropic, models::ModelTable, normalize, sse::AnthropicSse, stream, tokens};
//!
//! let body = br#"{"model":"claude-sonnet-4-5-20250929","max_tokens":256,"stream":true,
//!                 "messages":[{"role":"user","content":"Say hi"}]}"#;
//! let req = anthropic::parse(body, anthropic::Endpoint::Messages)?;
//! let model = ModelTable::default().resolve(&req.model)?;          // unknown → 404 in the gateway
//! let input_tokens = tokens::count_request(&req);
//! let opts = normalize::UpstreamOptions { conversation_id: "c-1".into(), ..Default::default() };
//! let norm = normalize::normalize(&req, &model, &opts)?;
//! assert_eq!(norm.model_id, "claude-sonnet-4.5");
//! // … the gateway sends `norm.request` upstream and decodes frames into `StreamEvent`s …
//! let mut machine = stream::StreamMachine::new(stream::StreamConfig::for_request(&req, &norm, input_tokens));
//! let mut sse = AnthropicSse::new("msg_1", &req.model, input_tokens);
//! let mut wire = sse.start();
//! for ev in [StreamEvent::AssistantResponse { content: "Hi!".into() }] {
//!     for out in machine.push(&ev) {
//!         wire.push_str(&sse.encode(&out));
//!     }
//! }
//! for out in machine.finish() {
//!     wire.push_str(&sse.encode(&out));
//! }
//! assert!(wire.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
//! # Ok::<(), translate::TranslateError>(())
//! ```

pub mod anthropic;
pub mod collect;
pub mod error;
pub mod failure;
pub mod image;
pub mod ir;
mod json;
pub mod model_list;
pub mod models;
pub mod normalize;
pub mod openai;
pub mod responses;
pub mod sse;
pub mod stream;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod tokens;
pub mod web_search;

pub use error::{ErrorKind, Result, TranslateError};
