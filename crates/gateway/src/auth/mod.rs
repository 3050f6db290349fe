//! Admin authentication (issue 7 §Admin API and auth; shared/ADMIN_API.md §Session): the argon2
//! admin password with its seed default, login lockout per IP, sessions with a CSRF guard, and
//! the audit trail of every state-changing admin call.

pub mod audit;
pub mod lockout;
pub mod password;
pub mod session;

pub use audit::{AuditActor, AuditDetail};
pub use lockout::LoginLockout;
pub use session::{AdminCtx, require_admin};
