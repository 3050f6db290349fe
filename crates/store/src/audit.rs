//! The audit log (issue 7 "every state-changing admin call is written to the audit log",
//! ADMIN_API.md `/v2/audit`): who, what, which target, details, from which IP, when.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    EntityTrait as _, QueryFilter as _,
};
use serde::Serialize;

use crate::entity::audit_log::{self, Column, Entity};
use crate::page::{Page, SortBy};
use crate::query::Filters;
use crate::time::{from_ms, to_ms};
use crate::{Store, StoreError};

/// One audit row.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    // What was appended, numbered and stamped; flat in the JSON, as in the row.
    #[serde(flatten)]
    pub entry: NewAuditEntry,
}

/// What to append. `detail` must not contain secrets (the caller redacts). `action` is e.g.
/// `account.create`, `key.delete`, `settings.update`, `login.failed`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct NewAuditEntry {
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<serde_json::Value>,
    pub ip: Option<String>,
}

/// `GET /v2/audit` filters.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub page: u64,
    pub per_page: u64,
}

fn decode(m: audit_log::Model) -> AuditEntry {
    AuditEntry {
        id: m.id,
        at: from_ms(m.at),
        entry: NewAuditEntry {
            actor: m.actor,
            action: m.action,
            target: m.target,
            // A detail that no longer parses is shown as a string rather than lost.
            detail: m
                .detail
                .map(|d| serde_json::from_str(&d).unwrap_or(serde_json::Value::String(d))),
            ip: m.ip,
        },
    }
}

impl Store {
    /// Appends one entry stamped with the current time.
    pub async fn append_audit(&self, entry: NewAuditEntry) -> Result<(), StoreError> {
        let row = audit_log::ActiveModel {
            id: NotSet,
            at: Set(to_ms(Utc::now())),
            actor: Set(entry.actor),
            action: Set(entry.action),
            target: Set(entry.target),
            detail: Set(entry.detail.map(|d| d.to_string())),
            ip: Set(entry.ip),
        };
        Entity::insert(row)
            .exec_without_returning(self.db())
            .await?;
        Ok(())
    }

    /// Entries newest first.
    pub async fn list_audit(&self, filter: &AuditFilter) -> Result<Page<AuditEntry>, StoreError> {
        let cond = Filters::new()
            .eq(Column::Action, filter.action.as_deref())
            .eq(Column::Actor, filter.actor.as_deref())
            .eq(Column::Target, filter.target.as_deref())
            .within(Column::At, filter.from, filter.to)
            .all();
        let sort = SortBy::newest_first(Column::At, Column::Id);
        let page = (filter.page, filter.per_page);
        let rows: Page<audit_log::Model> =
            self.page(Entity::find().filter(cond), sort, page).await?;
        Ok(rows.map(decode))
    }
}
