//! Paging for list queries: 1-based `page`, `per_page` clamped to 1..=500.

use sea_orm::{
    DatabaseConnection, EntityTrait, FromQueryResult, PaginatorTrait as _, QuerySelect as _, Select,
};
use serde::Serialize;

use crate::StoreError;

/// One page of a list plus the total count matching the filter.
#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

pub(crate) const MAX_PER_PAGE: u64 = 500;

/// `(page, per_page)` made safe: page ≥ 1, 1 ≤ per_page ≤ 500 (0 means the default of 50).
pub(crate) fn clamp(page: u64, per_page: u64) -> (u64, u64) {
    let per_page = match per_page {
        0 => 50,
        n => n.min(MAX_PER_PAGE),
    };
    (page.max(1), per_page)
}

/// One page of `filtered` (the list's WHERE, no order yet): the total it matches, then `rows` run
/// on the query cut to page `page` of `per_page` (made safe by [`clamp`]); `rows` adds the order
/// and reads the rows into the list's type.
pub(crate) async fn page_of<E, T, Fut>(
    db: &DatabaseConnection,
    filtered: Select<E>,
    page: u64,
    per_page: u64,
    rows: impl FnOnce(Select<E>) -> Fut,
) -> Result<Page<T>, StoreError>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Sized + Send + Sync,
    Fut: Future<Output = Result<Vec<T>, StoreError>>,
{
    let (page, per_page) = clamp(page, per_page);
    let total = filtered.clone().count(db).await?;
    let items = rows(filtered.offset((page - 1) * per_page).limit(per_page)).await?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}
