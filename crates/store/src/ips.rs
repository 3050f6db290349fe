//! The IP blocklist (issue 7 "Security controls", ADMIN_API.md `/v2/ips/*`): addresses or CIDR
//! ranges, a reason, optional expiry. Entries are stored in canonical form, so `10.1.2.3/8` and
//! `10.0.0.0/8` are the same entry.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait as _, Condition, EntityTrait as _, QueryFilter as _,
};
use serde::Serialize;

use crate::entity::blocked_ips::{self, Column, Entity};
use crate::page::SortBy;
use crate::query::upsert;
use crate::time::{from_ms, opt_from_ms, opt_to_ms, to_ms};
use crate::{IpBlock, Store, StoreError};

/// One blocklist entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BlockedIp {
    pub id: i64,
    /// Canonical address or `network/prefix`.
    pub ip: String,
    pub reason: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub block: IpBlock,
}

impl BlockedIp {
    /// Whether this entry blocks `ip` at `now` (expired entries block nothing).
    pub fn blocks(&self, ip: IpAddr, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|e| e > now) && self.block.contains(ip)
    }
}

fn decode(m: blocked_ips::Model) -> Result<BlockedIp, StoreError> {
    let block = IpBlock::parse(&m.ip).map_err(StoreError::Corrupt)?;
    Ok(BlockedIp {
        id: m.id,
        ip: m.ip,
        reason: m.reason,
        expires_at: opt_from_ms(m.expires_at),
        created_at: from_ms(m.created_at),
        block,
    })
}

fn canonical(ip: &str) -> Result<String, StoreError> {
    IpBlock::parse(ip)
        .map(|b| b.to_string())
        .map_err(StoreError::Invalid)
}

impl Store {
    /// Blocks an address or range; blocking it again replaces reason and expiry.
    pub async fn block_ip(
        &self,
        ip: &str,
        reason: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<BlockedIp, StoreError> {
        let ip = canonical(ip)?;
        let row = blocked_ips::ActiveModel {
            id: NotSet,
            ip: Set(ip.clone()),
            reason: Set(reason.map(str::to_owned)),
            expires_at: Set(opt_to_ms(expires_at)),
            created_at: Set(to_ms(Utc::now())),
        };
        // Blocking an address again updates its reason and expiry; it keeps its creation time.
        upsert(
            self.db(),
            row,
            Column::Ip,
            [Column::Reason, Column::ExpiresAt],
        )
        .await?;
        let m = Entity::find()
            .filter(Column::Ip.eq(&ip))
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::not_found("blocked ip", ip))?;
        decode(m)
    }

    /// Removes an entry (given in any form that canonicalises to it). Returns whether one existed.
    pub async fn unblock_ip(&self, ip: &str) -> Result<bool, StoreError> {
        let ip = canonical(ip)?;
        let res = Entity::delete_many()
            .filter(Column::Ip.eq(ip))
            .exec(self.db())
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Entries not expired at `now` (all entries when `now` is `None`), newest first.
    pub async fn list_blocked_ips(
        &self,
        now: Option<DateTime<Utc>>,
    ) -> Result<Vec<BlockedIp>, StoreError> {
        let mut q = Entity::find();
        if let Some(now) = now {
            q = q.filter(
                Condition::any()
                    .add(Column::ExpiresAt.is_null())
                    .add(Column::ExpiresAt.gt(to_ms(now))),
            );
        }
        let sort = SortBy::newest_first(Column::CreatedAt, Column::Id);
        let rows = sort.apply(q).all(self.db()).await?;
        rows.into_iter().map(decode).collect()
    }

    /// Deletes entries expired at `now`; returns how many.
    pub async fn purge_expired_blocks(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let res = Entity::delete_many()
            .filter(Column::ExpiresAt.lte(to_ms(now)))
            .exec(self.db())
            .await?;
        Ok(res.rows_affected)
    }
}
