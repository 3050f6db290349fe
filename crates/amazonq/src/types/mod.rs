//! Serde wire types for every upstream JSON body (spec §2–§4.2, §6, §10).
//!
//! - [`chat`]: the `GenerateAssistantResponse` request.
//! - [`account`]: ListAvailableModels, GetUsageLimits, ListAvailableProfiles.
//! - [`auth`]: SSO OIDC, Kiro refresh and the Q error body.
//!
//! Everything is re-exported here, so `amazonq::types::UserInputMessage` works.

pub mod account;
pub mod auth;
pub mod chat;

pub use account::*;
pub use auth::*;
pub use chat::*;

#[cfg(test)]
mod tests;
