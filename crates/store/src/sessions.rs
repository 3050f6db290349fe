//! Admin console sessions (ADMIN_API.md Session): created at login, expire, can be revoked.
//! Only the SHA-256 of the session token is stored, so a leaked database does not log anyone in.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait as _, Condition, EntityTrait as _, QueryFilter as _};
use serde::Serialize;

use crate::entity::admin_sessions::{self, Column, Entity};
use crate::keys::hash_secret;
use crate::query::found;
use crate::time::{from_ms, opt_from_ms, to_ms};
use crate::{Store, StoreError};

/// A stored session (identified by the hash of its token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdminSession {
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
}

impl AdminSession {
    /// Not revoked and not expired at `now`.
    pub fn is_valid(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

fn decode(m: admin_sessions::Model) -> AdminSession {
    AdminSession {
        token_hash: m.token_hash,
        created_at: from_ms(m.created_at),
        expires_at: from_ms(m.expires_at),
        revoked_at: opt_from_ms(m.revoked_at),
        last_seen_at: opt_from_ms(m.last_seen_at),
        ip: m.ip,
    }
}

impl Store {
    /// Records a session for `token` (the raw token; only its hash is stored).
    pub async fn create_session(
        &self,
        token: &str,
        ip: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<AdminSession, StoreError> {
        let now = Utc::now();
        let row = admin_sessions::ActiveModel {
            token_hash: Set(hash_secret(token)),
            created_at: Set(to_ms(now)),
            expires_at: Set(to_ms(expires_at)),
            revoked_at: Set(None),
            last_seen_at: Set(None),
            ip: Set(ip.map(str::to_owned)),
        };
        Entity::insert(row)
            .exec_without_returning(self.db())
            .await
            .map_err(|e| StoreError::unique(e, "session token already in use"))?;
        found(self.session(token).await?, "session", "(new)")
    }

    /// The session for a raw token, valid or not (check [`AdminSession::is_valid`]).
    pub async fn session(&self, token: &str) -> Result<Option<AdminSession>, StoreError> {
        Ok(Entity::find_by_id(hash_secret(token))
            .one(self.db())
            .await?
            .map(decode))
    }

    /// The session for `token` if it is valid at `now`, also stamping `last_seen_at`.
    pub async fn validate_session(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AdminSession>, StoreError> {
        let hash = hash_secret(token);
        let res = Entity::update_many()
            .col_expr(Column::LastSeenAt, Expr::val(Some(to_ms(now))))
            .filter(Column::TokenHash.eq(&hash))
            .filter(Column::RevokedAt.is_null())
            .filter(Column::ExpiresAt.gt(to_ms(now)))
            .exec(self.db())
            .await?;
        if res.rows_affected == 0 {
            return Ok(None);
        }
        Ok(Entity::find_by_id(hash).one(self.db()).await?.map(decode))
    }

    /// Revokes one session (logout). Returns whether a live session was revoked.
    pub async fn revoke_session(&self, token: &str) -> Result<bool, StoreError> {
        let res = Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::val(Some(to_ms(Utc::now()))))
            .filter(Column::TokenHash.eq(hash_secret(token)))
            .filter(Column::RevokedAt.is_null())
            .exec(self.db())
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Revokes every live session, optionally sparing one (the caller's, after a password change).
    pub async fn revoke_all_sessions(&self, except_token: Option<&str>) -> Result<u64, StoreError> {
        let mut q = Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::val(Some(to_ms(Utc::now()))))
            .filter(Column::RevokedAt.is_null());
        if let Some(t) = except_token {
            q = q.filter(Column::TokenHash.ne(hash_secret(t)));
        }
        Ok(q.exec(self.db()).await?.rows_affected)
    }

    /// Deletes sessions expired or revoked before `now`; returns how many.
    pub async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let res = Entity::delete_many()
            .filter(
                Condition::any()
                    .add(Column::ExpiresAt.lte(to_ms(now)))
                    .add(Column::RevokedAt.is_not_null()),
            )
            .exec(self.db())
            .await?;
        Ok(res.rows_affected)
    }
}
