//! `stored_responses` rows: one Responses API answer kept for `previous_response_id`; `items` is the
//! encrypted JSON list of its input and output items.
#![expect(
    clippy::struct_field_names,
    reason = "column names are the schema's (`model`)"
)]
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stored_responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub key_id: Option<String>,
    /// The model name the client asked for.
    pub model: String,
    pub created_at: i64,
    #[sea_orm(column_type = "Text")]
    pub items: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
