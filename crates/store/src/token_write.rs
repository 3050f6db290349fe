//! Token rotation writes (issue 4 "Refresh" persist-before-use; issue 17 item 2 "compare-and-set
//! token writes"): [`Store::update_tokens`] writes a refresh result unconditionally;
//! [`Store::update_tokens_if`] writes it only while the row still holds the refresh token the
//! refresh was made with, so a slow refresh finishing after a faster one (another instance, an
//! operator re-login) never overwrites the newer token pair — the slow writer gets the stored
//! account back and adopts it.
//!
//! Why compare on the ciphertext: tokens are sealed with a random nonce, so SQL cannot compare
//! plaintexts. The writer reads the row, checks the decrypted refresh token, and updates
//! `WHERE refresh_token = <the ciphertext it read>`; any write in between changes that ciphertext
//! (a fresh nonce even for the same plaintext), which makes the update match no row and the loop
//! look again. No schema change, and the same statement on SQLite, MySQL and PostgreSQL.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, UpdateMany};

use crate::accounts::{Account, TokenUpdate, ctx, decode};
use crate::entity::accounts::{Column, Entity};
use crate::query::update_row;
use crate::time::{now_ms, to_ms};
use crate::{Secret, Store, StoreError};

/// What [`Store::update_tokens_if`] did.
#[derive(Debug)]
pub enum TokenWrite {
    /// The row still held the refresh token used: the new pair is stored.
    Written,
    /// Someone stored a newer refresh token first; nothing was written. The stored account is
    /// what the caller must use (its own result is discarded).
    Superseded(Box<Account>),
}

/// Attempts of the read-compare-update loop before giving up (each lost round means another
/// writer committed in between, so this only runs out under a write storm on one row).
const CAS_ROUNDS: usize = 5;

impl Store {
    /// Persists a refresh result in one UPDATE: the new access token and expiry, and the rotated
    /// refresh token when present (a refresh never renews the client registration: an expired one
    /// means a new login). Call this *before* using the new token so
    /// a crash never loses a rotated refresh token.
    pub async fn update_tokens(&self, id: &str, update: TokenUpdate) -> Result<(), StoreError> {
        let statement = self.token_statement(id, &update)?.filter(Column::Id.eq(id));
        update_row(self.db(), statement, "account", id).await
    }

    /// Like [`Store::update_tokens`], but only while the stored refresh token is still `used`
    /// (the one the refresh was made with); otherwise nothing is written and the stored account
    /// comes back as [`TokenWrite::Superseded`].
    pub async fn update_tokens_if(
        &self,
        id: &str,
        used: &Secret,
        update: TokenUpdate,
    ) -> Result<TokenWrite, StoreError> {
        for _ in 0..CAS_ROUNDS {
            let row = Entity::find_by_id(id.to_owned())
                .one(self.db())
                .await?
                .ok_or_else(|| StoreError::not_found("account", id))?;
            let sealed = row.refresh_token.clone();
            let stored = self.cipher().decrypt(&ctx("refresh_token", id), &sealed)?;
            if stored.expose() != used.expose() {
                return Ok(TokenWrite::Superseded(Box::new(decode(
                    row,
                    self.cipher(),
                )?)));
            }
            let res = self
                .token_statement(id, &update)?
                .filter(Column::Id.eq(id))
                .filter(Column::RefreshToken.eq(sealed))
                .exec(self.db())
                .await?;
            if res.rows_affected > 0 {
                return Ok(TokenWrite::Written);
            }
            // Another write landed between the read and the update: look again.
        }
        Err(StoreError::Conflict(format!(
            "account {id}: the token row kept changing during {CAS_ROUNDS} write attempts"
        )))
    }

    /// The UPDATE of a refresh result, without its row filter.
    fn token_statement(
        &self,
        id: &str,
        update: &TokenUpdate,
    ) -> Result<UpdateMany<Entity>, StoreError> {
        let cipher = self.cipher();
        let enc = |column: &str, s: &Secret| cipher.encrypt(&ctx(column, id), s.expose());
        let mut q = Entity::update_many()
            .col_expr(
                Column::AccessToken,
                Expr::val(Some(enc("access_token", &update.access_token)?)),
            )
            .col_expr(Column::ExpiresAt, Expr::val(Some(to_ms(update.expires_at))))
            .col_expr(
                Column::LastRefreshAt,
                Expr::val(Some(to_ms(update.refreshed_at))),
            )
            .col_expr(Column::UpdatedAt, Expr::val(now_ms()));
        if let Some(rt) = &update.refresh_token {
            if rt.is_empty() {
                return Err(StoreError::Invalid("rotated refresh_token is empty".into()));
            }
            q = q.col_expr(Column::RefreshToken, Expr::val(enc("refresh_token", rt)?));
        }
        Ok(q)
    }
}
