//! The audit log (issue 7 "every state-changing admin call is written to the audit log",
//! ADMIN_API.md `/v2/audit`): who, what, which target, details, from which IP, when.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait as _, Condition, EntityTrait as _, QueryFilter as _, QueryOrder as _,
};
use serde::Serialize;

use crate::entity::audit_log::{self, Column, Entity};
use crate::page::{Page, page_of};
use crate::time::{from_ms, to_ms};
use crate::{Store, StoreError};

/// One audit row.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<serde_json::Value>,
    pub ip: Option<String>,
}

/// What to append. `detail` must not contain secrets (the caller redacts).
#[derive(Clone, Debug, Default)]
pub struct NewAuditEntry {
    pub actor: String,
    /// e.g. `account.create`, `key.delete`, `settings.update`, `login.failed`.
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
        actor: m.actor,
        action: m.action,
        target: m.target,
        // A detail that no longer parses is shown as a string rather than lost.
        detail: m
            .detail
            .map(|d| serde_json::from_str(&d).unwrap_or(serde_json::Value::String(d))),
        ip: m.ip,
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
        let mut cond = Condition::all();
        if let Some(v) = &filter.action {
            cond = cond.add(Column::Action.eq(v.as_str()));
        }
        if let Some(v) = &filter.actor {
            cond = cond.add(Column::Actor.eq(v.as_str()));
        }
        if let Some(v) = &filter.target {
            cond = cond.add(Column::Target.eq(v.as_str()));
        }
        if let Some(v) = filter.from {
            cond = cond.add(Column::At.gte(to_ms(v)));
        }
        if let Some(v) = filter.to {
            cond = cond.add(Column::At.lt(to_ms(v)));
        }
        let filtered = Entity::find().filter(cond);
        page_of(
            self.db(),
            filtered,
            filter.page,
            filter.per_page,
            |q| async move {
                let rows = q
                    .order_by_desc(Column::At)
                    .order_by_desc(Column::Id)
                    .all(self.db())
                    .await?;
                Ok(rows.into_iter().map(decode).collect())
            },
        )
        .await
    }
}
