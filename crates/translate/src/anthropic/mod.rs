//! Anthropic Messages dialect (client doc §2): request parsing and response shapes.

pub mod request;
pub mod response;

pub use request::{Endpoint, parse, parse_value};
