//! Dialect encoders: IR [`OutEvent`](crate::ir::OutEvent)s → the exact SSE text of each dialect.
//! Non-stream bodies come from [`crate::collect`] and the dialects' `response` modules.

pub mod anthropic;
pub mod openai;
pub mod responses;

pub use anthropic::AnthropicSse;
pub use openai::OpenAiSse;
pub use responses::ResponsesSse;
