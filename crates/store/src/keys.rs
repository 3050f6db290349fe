//! Client API keys (issue 7 "Client API keys", ADMIN_API.md Keys). Only the SHA-256 of a secret
//! is stored, plus a short prefix so the operator can tell keys apart. Lookup is by hash equality:
//! the database compares digests, never secrets, so a timing difference can at most reveal a
//! prefix of a digest, which gives nothing about the secret.

use chrono::{DateTime, Utc};
use rand::Rng as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _,
};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::entity::api_keys::{self, Column, Entity};
use crate::model_ids;
use crate::page::SortBy;
use crate::query::{SetSome as _, delete_row, found, update_row};
use crate::time::{from_ms, now_ms, opt_from_ms, opt_to_ms, to_ms};
use crate::{Secret, Store, StoreError};

/// Characters shown to identify a key (`sk-` + 6).
const PREFIX_LEN: usize = 9;

/// Lowercase hex SHA-256 of `secret`: how API keys and session tokens are stored.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
    }
    out
}

/// What a key may use: which models, how many requests a minute and at once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct KeyLimits {
    /// Allowed model ids; `None` allows all.
    pub models: Option<Vec<String>>,
    /// Requests per minute; `None` means unlimited.
    pub rpm: Option<u32>,
    pub max_concurrency: Option<u32>,
}

/// A stored key (never the secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The first characters of the secret, for display.
    pub prefix: String,
    pub enabled: bool,
    #[serde(flatten)]
    pub limits: KeyLimits,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /v2/keys`.
#[derive(Clone, Debug, Default)]
pub struct NewApiKey {
    pub name: String,
    /// `None` means enabled.
    pub enabled: Option<bool>,
    pub limits: KeyLimits,
    pub expires_at: Option<DateTime<Utc>>,
}

/// `PATCH /v2/keys/:id`. `Some(None)` clears an optional limit.
#[derive(Clone, Debug, Default)]
pub struct ApiKeyPatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub models: Option<Option<Vec<String>>>,
    pub rpm: Option<Option<u32>>,
    pub max_concurrency: Option<Option<u32>>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

fn generate_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let body: String = (0..40)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("sk-{body}")
}

fn opt_u32(v: Option<u32>) -> Option<i32> {
    v.map(|n| i32::try_from(n).unwrap_or(i32::MAX))
}

fn decode(m: api_keys::Model) -> Result<ApiKey, StoreError> {
    let models = model_ids::from_json(m.models.as_deref(), &format!("api key {}", m.id))?;
    Ok(ApiKey {
        name: m.name,
        prefix: m.prefix,
        enabled: m.enabled,
        limits: KeyLimits {
            models,
            rpm: m.rpm.map(|v| v.max(0) as u32),
            max_concurrency: m.max_concurrency.map(|v| v.max(0) as u32),
        },
        expires_at: opt_from_ms(m.expires_at),
        last_used_at: opt_from_ms(m.last_used_at),
        created_at: from_ms(m.created_at),
        updated_at: from_ms(m.updated_at),
        id: m.id,
    })
}

impl Store {
    /// Creates a key with a fresh random secret (`sk-` + 40 alphanumerics). The secret is
    /// returned once and not stored.
    pub async fn create_api_key(&self, new: NewApiKey) -> Result<(ApiKey, Secret), StoreError> {
        let secret = generate_secret();
        let key = self.create_api_key_with_secret(new, &secret).await?;
        Ok((key, Secret::new(secret)))
    }

    /// Creates a key for a secret chosen by the caller (the original `apiKey` setting, imports).
    pub async fn create_api_key_with_secret(
        &self,
        new: NewApiKey,
        secret: &str,
    ) -> Result<ApiKey, StoreError> {
        if secret.len() < 8 {
            return Err(StoreError::Invalid(
                "API key secret must be at least 8 characters".into(),
            ));
        }
        let hash = hash_secret(secret);
        if Entity::find()
            .filter(Column::KeyHash.eq(&hash))
            .count(self.db())
            .await?
            > 0
        {
            return Err(StoreError::Conflict(
                "an API key with this secret already exists".into(),
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        let prefix: String = secret.chars().take(PREFIX_LEN).collect();
        let model = api_keys::ActiveModel {
            id: Set(id.clone()),
            name: Set(new.name),
            key_hash: Set(hash),
            prefix: Set(prefix),
            enabled: Set(new.enabled.unwrap_or(true)),
            models: Set(model_ids::to_json(new.limits.models.as_deref())?),
            rpm: Set(opt_u32(new.limits.rpm)),
            max_concurrency: Set(opt_u32(new.limits.max_concurrency)),
            expires_at: Set(opt_to_ms(new.expires_at)),
            last_used_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        Entity::insert(model)
            .exec_without_returning(self.db())
            .await
            .map_err(|e| StoreError::unique(e, "an API key with this secret already exists"))?;
        found(self.get_api_key(&id).await?, "api key", id)
    }

    /// The key whose secret is `secret`, if any (enabled or not: the caller decides).
    pub async fn find_api_key(&self, secret: &str) -> Result<Option<ApiKey>, StoreError> {
        self.find_api_key_by_hash(&hash_secret(secret)).await
    }

    /// The key whose stored digest is `key_hash` ([`hash_secret`] form), if any. Callers that
    /// already hashed the presented secret look it up without the secret.
    pub async fn find_api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKey>, StoreError> {
        Entity::find()
            .filter(Column::KeyHash.eq(key_hash))
            .one(self.db())
            .await?
            .map(decode)
            .transpose()
    }

    /// `(id, digest)` of every key, digest in [`hash_secret`] form. The gateway's key ring holds
    /// them all, so a presented key that matches none is rejected without a database query.
    pub async fn api_key_hashes(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(Entity::find()
            .select_only()
            .column(Column::Id)
            .column(Column::KeyHash)
            .order_by_asc(Column::Id)
            .into_tuple::<(String, String)>()
            .all(self.db())
            .await?)
    }

    pub async fn get_api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError> {
        Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await?
            .map(decode)
            .transpose()
    }

    /// All keys, oldest first.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let sort = SortBy::oldest_first(Column::CreatedAt, Column::Id);
        let rows = sort.apply(Entity::find()).all(self.db()).await?;
        rows.into_iter().map(decode).collect()
    }

    pub async fn count_api_keys(&self) -> Result<u64, StoreError> {
        Ok(Entity::find().count(self.db()).await?)
    }

    pub async fn update_api_key(&self, id: &str, patch: ApiKeyPatch) -> Result<ApiKey, StoreError> {
        let models = patch
            .models
            .map(|v| model_ids::to_json(v.as_deref()))
            .transpose()?;
        let q = Entity::update_many()
            .col_expr(Column::UpdatedAt, Expr::val(now_ms()))
            .filter(Column::Id.eq(id))
            .set_some(Column::Name, patch.name)
            .set_some(Column::Enabled, patch.enabled)
            .set_some(Column::Models, models)
            .set_some(Column::Rpm, patch.rpm.map(opt_u32))
            .set_some(Column::MaxConcurrency, patch.max_concurrency.map(opt_u32))
            .set_some(Column::ExpiresAt, patch.expires_at.map(opt_to_ms));
        update_row(self.db(), q, "api key", id).await?;
        found(self.get_api_key(id).await?, "api key", id)
    }

    pub async fn delete_api_key(&self, id: &str) -> Result<bool, StoreError> {
        delete_row::<Entity>(self.db(), id).await
    }

    /// Records use of a key (the gateway may call this at most every few seconds per key).
    pub async fn touch_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        Entity::update_many()
            .col_expr(Column::LastUsedAt, Expr::val(Some(to_ms(at))))
            .filter(Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_known_vector() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn generated_secrets_are_distinct_and_shaped() {
        let a = generate_secret();
        let b = generate_secret();
        assert_ne!(a, b);
        assert!(a.starts_with("sk-") && a.len() == 43);
    }
}
