//! sea-orm entities: the row shapes the queries use. All timestamps are `BIGINT` Unix epoch
//! milliseconds (see the crate docs for why); JSON values are stored as text.
//!
//! These are private to the crate: callers see the record types in the domain modules, which decode
//! enums, JSON and encrypted columns. The DDL lives in `migrate.rs`, frozen per version, and not
//! here: editing an entity must never silently change what an old migration creates.

pub mod accounts;
pub mod admin_sessions;
pub mod api_keys;
pub mod audit_log;
pub mod blocked_ips;
pub mod request_logs;
pub mod settings;
pub mod stored_responses;
