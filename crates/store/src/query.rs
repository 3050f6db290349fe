//! Query helpers shared by the domain modules.

use sea_orm::sea_query::{Expr, ExprTrait as _, Func, IntoColumnRef, LikeExpr};
use sea_orm::{DatabaseConnection, EntityTrait, UpdateMany};

use crate::StoreError;

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
