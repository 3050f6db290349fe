//! `accounts` rows. `client_secret`, `refresh_token` and `access_token` hold ciphertext.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub label: String,
    pub auth_method: String,
    pub oidc_region: String,
    pub api_region: String,
    pub start_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub client_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub client_secret: Option<String>,
    pub client_expires_at: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub refresh_token: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub access_token: Option<String>,
    pub expires_at: Option<i64>,
    pub profile_arn: Option<String>,
    pub weight: i32,
    pub max_concurrency: i32,
    pub proxy_url: Option<String>,
    pub enabled: bool,
    pub status: String,
    pub status_reason: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub models: Option<String>,
    pub quota_used: Option<f64>,
    pub quota_limit: Option<f64>,
    pub quota_resets_at: Option<i64>,
    pub success_count: i64,
    pub error_count: i64,
    pub last_used_at: Option<i64>,
    pub last_refresh_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
