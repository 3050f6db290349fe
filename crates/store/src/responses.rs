//! Stored Responses API answers (issue 18: "`previous_response_id` works: responses are kept in the
//! database, bounded by age and count"). A row holds the whole item list of one answer — the items
//! it continued, its own input and its output — so a follow-up naming it needs nothing else.
//!
//! The items are conversation content, so they are encrypted at rest like credentials (bound to the
//! row id: a value copied into another row does not open). A row belongs to the API key that
//! created it: another key asking for it gets nothing, as if it did not exist.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _,
};
use serde_json::Value;

use crate::entity::stored_responses::{self, Column, Entity};
use crate::time::{from_ms, to_ms};
use crate::{Store, StoreError};

/// A kept response. Nothing is added on the way in (the id and time are the caller's), so what
/// is read back is exactly what was saved.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredResponse {
    /// `resp_…`
    pub id: String,
    /// The API key that created it (`None` when the gateway runs without keys).
    pub key_id: Option<String>,
    pub model: String,
    pub created_at: DateTime<Utc>,
    /// Input and output items, in order.
    pub items: Vec<Value>,
}

/// A response to keep: the same record as [`StoredResponse`].
pub type NewStoredResponse = StoredResponse;

fn context(id: &str) -> String {
    format!("stored_responses.items:{id}")
}

impl Store {
    /// Keeps one response (replacing nothing: ids are unique).
    pub async fn save_response(&self, r: &NewStoredResponse) -> Result<(), StoreError> {
        let json = serde_json::to_string(&r.items)
            .map_err(|e| StoreError::Invalid(format!("response items: {e}")))?;
        let row = stored_responses::ActiveModel {
            id: Set(r.id.clone()),
            key_id: Set(r.key_id.clone()),
            model: Set(r.model.clone()),
            created_at: Set(to_ms(r.created_at)),
            items: Set(self.cipher().encrypt(&context(&r.id), &json)?),
        };
        Entity::insert(row)
            .exec_without_returning(self.db())
            .await
            .map_err(|e| StoreError::unique(e, "response id already stored"))?;
        Ok(())
    }

    /// The response `id` if `key_id` created it (`None` otherwise, and for unknown ids).
    pub async fn stored_response(
        &self,
        id: &str,
        key_id: Option<&str>,
    ) -> Result<Option<StoredResponse>, StoreError> {
        let Some(m) = Entity::find_by_id(id.to_owned()).one(self.db()).await? else {
            return Ok(None);
        };
        if m.key_id.as_deref() != key_id {
            return Ok(None);
        }
        let json = self.cipher().decrypt(&context(&m.id), &m.items)?;
        let items: Vec<Value> = serde_json::from_str(json.expose())
            .map_err(|e| StoreError::Corrupt(format!("stored response {}: {e}", m.id)))?;
        Ok(Some(StoredResponse {
            id: m.id,
            key_id: m.key_id,
            model: m.model,
            created_at: from_ms(m.created_at),
            items,
        }))
    }

    /// Deletes responses created before `older_than`, then the oldest beyond the newest `keep`;
    /// returns how many went.
    pub async fn purge_responses(
        &self,
        older_than: DateTime<Utc>,
        keep: u64,
    ) -> Result<u64, StoreError> {
        let mut deleted = Entity::delete_many()
            .filter(Column::CreatedAt.lt(to_ms(older_than)))
            .exec(self.db())
            .await?
            .rows_affected;
        let total = Entity::find().count(self.db()).await?;
        if total > keep {
            let ids: Vec<String> = Entity::find()
                .select_only()
                .column(Column::Id)
                .order_by_asc(Column::CreatedAt)
                .order_by_asc(Column::Id)
                .limit(total - keep)
                .into_tuple()
                .all(self.db())
                .await?;
            for chunk in ids.chunks(500) {
                deleted += Entity::delete_many()
                    .filter(Column::Id.is_in(chunk.iter().cloned()))
                    .exec(self.db())
                    .await?
                    .rows_affected;
            }
        }
        Ok(deleted)
    }
}
