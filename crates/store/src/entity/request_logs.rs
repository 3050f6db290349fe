//! `request_logs` rows (the original's table name), one per `/v1` request.
#![expect(clippy::struct_field_names, reason = "column names are the schema's")]
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_logs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: i64,
    pub client_ip: String,
    pub key_id: Option<String>,
    pub account_id: Option<String>,
    pub model_requested: String,
    pub model_used: Option<String>,
    pub dialect: String,
    pub stream: bool,
    pub status: i32,
    pub error_class: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub ttfb_ms: Option<i64>,
    pub duration_ms: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub rules_fired: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub request_body: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_body: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
