//! `api_keys` rows: only the SHA-256 of the secret is stored, plus a short display prefix.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub key_hash: String,
    pub prefix: String,
    pub enabled: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub models: Option<String>,
    pub rpm: Option<i32>,
    pub max_concurrency: Option<i32>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
