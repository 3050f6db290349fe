//! Dialect encoders: IR [`OutEvent`](crate::ir::OutEvent)s → the exact SSE text of each dialect.
//! Non-stream bodies come from [`crate::collect`] and the dialects' `response` modules; the framing
//! bytes they all write are in `frame`.

pub mod anthropic;
mod frame;
pub mod openai;
pub mod responses;

pub use anthropic::AnthropicSse;
pub(crate) use frame::encoder_surface;
pub use openai::OpenAiSse;
pub use responses::ResponsesSse;
