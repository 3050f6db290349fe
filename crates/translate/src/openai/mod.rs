//! OpenAI Chat Completions dialect (client doc §1): request parsing and response shapes.

pub(crate) mod messages;
pub mod request;
pub mod response;

pub use request::{parse, parse_value};
