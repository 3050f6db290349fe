//! Query helpers shared by the domain modules: list filters ([`Filters`]), patch updates
//! ([`SetSome`]), and the one-row write, read-back, delete and upsert steps every table repeats.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, IntoColumnRef, LikeExpr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PrimaryKeyTrait,
    UpdateMany, Value,
};

use crate::StoreError;
use crate::time::to_ms;

/// `%q%` with LIKE wildcards escaped by `!` (backslash means different things in MySQL literals).
pub(crate) fn like_pattern(q: &str) -> LikeExpr {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '!') {
            p.push('!');
        }
        p.push(c);
    }
    p.push('%');
    LikeExpr::new(p).escape('!')
}

/// `LOWER(col) LIKE '%q%'` for any column.
pub(crate) fn icontains(col: impl IntoColumnRef, q: &str) -> Expr {
    Expr::expr(Func::lower(Expr::col(col))).like(like_pattern(q))
}

/// The WHERE of a list query, built from the filter's optional fields: each one that is set adds
/// a condition, one that is not adds nothing.
pub(crate) struct Filters(Condition);

impl Filters {
    pub(crate) fn new() -> Self {
        Self(Condition::all())
    }

    /// `col = v` when `v` is set.
    pub(crate) fn eq<V: Into<Value>>(self, col: impl ColumnTrait, v: Option<V>) -> Self {
        self.when(v.map(|v| col.eq(v)))
    }

    /// `from <= col < to` (epoch milliseconds), each bound only when set.
    pub(crate) fn within(
        self,
        col: impl ColumnTrait,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Self {
        self.when(from.map(|v| col.gte(to_ms(v))))
            .when(to.map(|v| col.lt(to_ms(v))))
    }

    /// Any of `cols` contains `q` (case-insensitive), when `q` is set and not empty.
    pub(crate) fn search(self, cols: &[impl ColumnTrait], q: Option<&str>) -> Self {
        let q = q.filter(|q| !q.is_empty());
        self.when(q.map(|q| {
            cols.iter()
                .fold(Condition::any(), |any, col| any.add(icontains(*col, q)))
        }))
    }

    /// `c` when it is there.
    pub(crate) fn when(self, c: Option<impl Into<Condition>>) -> Self {
        Self(self.0.add_option(c))
    }

    pub(crate) fn all(self) -> Condition {
        self.0
    }
}

/// Adds `SET col = v` to an UPDATE when a patch field is set.
pub(crate) trait SetSome: Sized {
    fn set_some<V: Into<Value>>(self, col: impl ColumnTrait, v: Option<V>) -> Self;
}

impl<E: EntityTrait> SetSome for UpdateMany<E> {
    fn set_some<V: Into<Value>>(self, col: impl ColumnTrait, v: Option<V>) -> Self {
        match v {
            Some(v) => self.col_expr(col, Expr::val(v)),
            None => self,
        }
    }
}

/// Runs `update` (already filtered to the row `id`): a row must match, else
/// [`StoreError::NotFound`] naming `what` and `id` (an UPDATE of a vanished row is not a success).
pub(crate) async fn update_row<E: EntityTrait>(
    db: &DatabaseConnection,
    update: UpdateMany<E>,
    what: &'static str,
    id: &str,
) -> Result<(), StoreError> {
    if update.exec(db).await?.rows_affected == 0 {
        return Err(StoreError::not_found(what, id));
    }
    Ok(())
}

/// The row a write just touched, read back: missing means it vanished in between, reported as
/// [`StoreError::NotFound`] naming `what` and `id`.
pub(crate) fn found<T>(
    row: Option<T>,
    what: &'static str,
    id: impl Into<String>,
) -> Result<T, StoreError> {
    row.ok_or_else(|| StoreError::not_found(what, id))
}

/// Deletes the row whose (text) primary key is `id`; returns whether there was one.
pub(crate) async fn delete_row<E>(db: &DatabaseConnection, id: &str) -> Result<bool, StoreError>
where
    E: EntityTrait,
    String: Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
{
    Ok(E::delete_by_id(id.to_owned()).exec(db).await?.rows_affected > 0)
}

/// Inserts `row`, or where a row with the same `key` exists, overwrites that row's `update`
/// columns instead (one statement, so two writers of the same key cannot both insert).
pub(crate) async fn upsert<A>(
    db: &DatabaseConnection,
    row: A,
    key: <A::Entity as EntityTrait>::Column,
    update: impl IntoIterator<Item = <A::Entity as EntityTrait>::Column>,
) -> Result<(), StoreError>
where
    A: ActiveModelTrait,
{
    <A::Entity as EntityTrait>::insert(row)
        .on_conflict(OnConflict::column(key).update_columns(update).to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}
