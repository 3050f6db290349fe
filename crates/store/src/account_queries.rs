//! Account queries (issue 4 "Accounts", ADMIN_API.md Accounts): CRUD, filters and paging, token
//! rotation, status, counters, quota and models. Credentials are encrypted with the store's
//! [`crate::Cipher`] on the way in and decrypted on the way out; callers only ever see
//! [`Secret`]s.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _,
    QuerySelect as _, UpdateMany,
};

use crate::accounts::{
    Account, AccountFilter, AccountPatch, AccountStatus, NewAccount, Quota, clamp_i32, ctx, decode,
    decrypt_credentials,
};
use crate::entity::accounts::{self, Column, Entity};
use crate::model_ids;
use crate::page::{Page, SortBy};
use crate::query::{Filters, SetSome as _, delete_row, found, update_row};
use crate::time::{now_ms, opt_to_ms, to_ms};
use crate::{Secret, Store, StoreError};

impl Store {
    /// Stores a new account (secrets encrypted) and returns it as read back.
    pub async fn create_account(&self, new: NewAccount) -> Result<Account, StoreError> {
        let id = new.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if id.is_empty() || id.len() > 64 {
            return Err(StoreError::Invalid(
                "account id must be 1..=64 characters".into(),
            ));
        }
        let (settings, credentials) = (new.settings, new.credentials);
        if credentials.refresh_token.is_empty() {
            return Err(StoreError::Invalid("refresh_token is required".into()));
        }
        let cipher = self.cipher();
        let enc = |column: &str, s: &Secret| cipher.encrypt(&ctx(column, &id), s.expose());
        let now = now_ms();
        let (client_id, client_secret, client_expires_at) = match &credentials.client {
            Some(c) => (
                Some(c.client_id.clone()),
                Some(enc("client_secret", &c.client_secret)?),
                opt_to_ms(c.expires_at),
            ),
            None => (None, None, None),
        };
        let model = accounts::ActiveModel {
            id: Set(id.clone()),
            label: Set(settings.label),
            auth_method: Set(new.auth_method.as_str().to_owned()),
            oidc_region: Set(settings.oidc_region),
            api_region: Set(settings.api_region),
            start_url: Set(settings.start_url),
            client_id: Set(client_id),
            client_secret: Set(client_secret),
            client_expires_at: Set(client_expires_at),
            refresh_token: Set(enc("refresh_token", &credentials.refresh_token)?),
            access_token: Set(credentials
                .access_token
                .as_ref()
                .map(|t| enc("access_token", t))
                .transpose()?),
            expires_at: Set(opt_to_ms(credentials.expires_at)),
            profile_arn: Set(settings.profile_arn),
            weight: Set(clamp_i32(settings.weight)),
            max_concurrency: Set(clamp_i32(settings.max_concurrency)),
            proxy_url: Set(settings.proxy_url),
            enabled: Set(settings.enabled),
            status: Set(if settings.enabled {
                AccountStatus::Active
            } else {
                AccountStatus::Disabled
            }
            .as_str()
            .to_owned()),
            status_reason: Set(None),
            models: Set(None),
            quota_used: Set(None),
            quota_limit: Set(None),
            quota_resets_at: Set(None),
            success_count: Set(0),
            error_count: Set(0),
            last_used_at: Set(None),
            last_refresh_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let exists = Entity::find_by_id(id.clone()).count(self.db()).await? > 0;
        if exists {
            return Err(StoreError::Conflict(format!("account {id} already exists")));
        }
        Entity::insert(model)
            .exec_without_returning(self.db())
            .await
            .map_err(|e| StoreError::unique(e, format!("account {id} already exists")))?;
        found(self.get_account(&id).await?, "account", id)
    }

    pub async fn get_account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await?
            .map(|m| decode(m, self.cipher()))
            .transpose()
    }

    /// Accounts whose stored credentials do not decrypt with this store's key (issue 16 §6):
    /// `(rows checked, [(account id, reason)])`. Every row is checked (each has at least an
    /// encrypted refresh token), so `failures == rows > 0` means the key itself is wrong.
    pub async fn undecryptable_accounts(
        &self,
    ) -> Result<(usize, Vec<(String, String)>), StoreError> {
        let rows = self.account_rows().await?;
        let failures = rows
            .iter()
            .filter_map(|m| match decrypt_credentials(m, self.cipher()) {
                Err(e) => Some((m.id.clone(), e.to_string())),
                Ok(_) => None,
            })
            .collect();
        Ok((rows.len(), failures))
    }

    /// Every account, oldest first (the pool loads these at start).
    pub async fn all_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = self.account_rows().await?;
        rows.into_iter().map(|m| decode(m, self.cipher())).collect()
    }

    /// Every account row, oldest first, still encrypted.
    async fn account_rows(&self) -> Result<Vec<accounts::Model>, StoreError> {
        let sort = SortBy::oldest_first(Column::CreatedAt, Column::Id);
        Ok(sort.apply(Entity::find()).all(self.db()).await?)
    }

    pub async fn list_accounts(&self, filter: &AccountFilter) -> Result<Page<Account>, StoreError> {
        let searched = [
            Column::Id,
            Column::Label,
            Column::ProfileArn,
            Column::StartUrl,
        ];
        let cond = Filters::new()
            .eq(Column::Status, filter.status.map(AccountStatus::as_str))
            .search(&searched, filter.q.as_deref())
            .all();
        let sort = SortBy::oldest_first(Column::CreatedAt, Column::Id);
        let page = (filter.page, filter.per_page);
        let rows: Page<accounts::Model> =
            self.page(Entity::find().filter(cond), sort, page).await?;
        rows.try_map(|m| decode(m, self.cipher()))
    }

    /// Applies an operator edit; `enabled: false` also sets status `disabled`, `enabled: true`
    /// brings a disabled account back to `active`.
    pub async fn update_account(
        &self,
        id: &str,
        patch: AccountPatch,
    ) -> Result<Account, StoreError> {
        let mut q = account_update(id)
            .set_some(Column::Label, patch.label)
            .set_some(Column::Weight, patch.weight.map(clamp_i32))
            .set_some(Column::MaxConcurrency, patch.max_concurrency.map(clamp_i32))
            .set_some(Column::ProxyUrl, patch.proxy_url)
            .set_some(Column::ProfileArn, patch.profile_arn)
            .set_some(Column::OidcRegion, patch.oidc_region)
            .set_some(Column::ApiRegion, patch.api_region)
            .set_some(Column::StartUrl, patch.start_url);
        if let Some(enabled) = patch.enabled {
            q = q.col_expr(Column::Enabled, Expr::val(enabled));
            if enabled {
                // Only a disabled account comes back; a banned one stays banned.
                q = q.col_expr(
                    Column::Status,
                    Expr::case(
                        Expr::col(Column::Status).eq(AccountStatus::Disabled.as_str()),
                        AccountStatus::Active.as_str(),
                    )
                    .finally(Expr::col(Column::Status))
                    .into(),
                );
            } else {
                q = q.col_expr(Column::Status, Expr::val(AccountStatus::Disabled.as_str()));
            }
        }
        update_row(self.db(), q, "account", id).await?;
        found(self.get_account(id).await?, "account", id)
    }

    /// Returns whether a row was deleted.
    pub async fn delete_account(&self, id: &str) -> Result<bool, StoreError> {
        delete_row::<Entity>(self.db(), id).await
    }

    /// Sets the health status and its reason (e.g. `needs_login` + "invalid_grant").
    pub async fn set_account_status(
        &self,
        id: &str,
        status: AccountStatus,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let update = account_update(id)
            .col_expr(Column::Status, Expr::val(status.as_str()))
            .col_expr(Column::StatusReason, Expr::val(reason.map(str::to_owned)));
        update_row(self.db(), update, "account", id).await
    }

    /// Adds to the success/error counters (increments in SQL, so concurrent writers do not lose
    /// counts) and moves `last_used_at` forward when given.
    pub async fn record_account_usage(
        &self,
        id: &str,
        successes: u64,
        errors: u64,
        last_used_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let s = i64::try_from(successes).unwrap_or(i64::MAX);
        let e = i64::try_from(errors).unwrap_or(i64::MAX);
        let mut q = Entity::update_many()
            .col_expr(Column::SuccessCount, Expr::col(Column::SuccessCount).add(s))
            .col_expr(Column::ErrorCount, Expr::col(Column::ErrorCount).add(e))
            .filter(Column::Id.eq(id));
        if let Some(at) = last_used_at {
            q = q.col_expr(Column::LastUsedAt, Expr::val(Some(to_ms(at))));
        }
        update_row(self.db(), q, "account", id).await
    }

    /// Stores (or clears) the quota snapshot from GetUsageLimits.
    pub async fn set_account_quota(
        &self,
        id: &str,
        quota: Option<Quota>,
    ) -> Result<(), StoreError> {
        let (used, limit, resets) = match quota {
            Some(q) => (Some(q.used), Some(q.limit), opt_to_ms(q.resets_at)),
            None => (None, None, None),
        };
        let update = account_update(id)
            .col_expr(Column::QuotaUsed, Expr::val(used))
            .col_expr(Column::QuotaLimit, Expr::val(limit))
            .col_expr(Column::QuotaResetsAt, Expr::val(resets));
        update_row(self.db(), update, "account", id).await
    }

    /// Stores (or clears) the list of model ids the account may use.
    pub async fn set_account_models(
        &self,
        id: &str,
        models: Option<&[String]>,
    ) -> Result<(), StoreError> {
        let json = model_ids::to_json(models)?;
        let update = account_update(id).col_expr(Column::Models, Expr::val(json));
        update_row(self.db(), update, "account", id).await
    }

    /// The raw stored text of a credential column, for tests and audits that must prove the value
    /// at rest is ciphertext. `column` is `refresh_token`, `access_token` or `client_secret`.
    pub async fn raw_account_secret_column(
        &self,
        id: &str,
        column: &str,
    ) -> Result<Option<String>, StoreError> {
        let col = match column {
            "refresh_token" => Column::RefreshToken,
            "access_token" => Column::AccessToken,
            "client_secret" => Column::ClientSecret,
            other => return Err(StoreError::Invalid(format!("not a secret column: {other}"))),
        };
        let row: Option<Option<String>> = Entity::find_by_id(id.to_owned())
            .select_only()
            .column(col)
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(row.flatten())
    }
}

/// An UPDATE of account `id` that also moves `updated_at`, as every operator and pool write
/// does (usage counters alone do not: they are not an edit of the account).
fn account_update(id: &str) -> UpdateMany<Entity> {
    Entity::update_many()
        .col_expr(Column::UpdatedAt, Expr::val(now_ms()))
        .filter(Column::Id.eq(id))
}
