//! Paging and sorting for list queries: 1-based `page`, `per_page` clamped to 1..=500, a
//! timestamp-then-id order ([`SortBy`]) so pages are stable.

use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait as _, PartialModelTrait,
    QueryOrder as _, QuerySelect as _, Select,
};
use serde::Serialize;
use std::convert::Infallible;

use crate::{Store, StoreError};

/// One page of a list plus the total count matching the filter.
#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    /// The same page with every item converted (rows into records).
    pub(crate) fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        match self.try_map(|t| Ok::<_, Infallible>(f(t))) {
            Ok(page) => page,
            Err(never) => match never {},
        }
    }

    /// [`Page::map`] for a conversion that can fail (the first failure is the answer).
    pub(crate) fn try_map<U, Er>(self, f: impl FnMut(T) -> Result<U, Er>) -> Result<Page<U>, Er> {
        let items = self.items.into_iter().map(f).collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        })
    }
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

/// How a list is sorted: one direction over a timestamp column, then the id so rows with the
/// same timestamp still come in a stable order from page to page.
pub(crate) struct SortBy<C> {
    dir: Order,
    time: C,
    id: C,
}

impl<C: ColumnTrait> SortBy<C> {
    pub(crate) fn oldest_first(time: C, id: C) -> Self {
        Self {
            dir: Order::Asc,
            time,
            id,
        }
    }

    pub(crate) fn newest_first(time: C, id: C) -> Self {
        Self {
            dir: Order::Desc,
            time,
            id,
        }
    }

    /// `q` in this order.
    pub(crate) fn apply<E: EntityTrait<Column = C>>(self, q: Select<E>) -> Select<E> {
        q.order_by(self.time, self.dir.clone())
            .order_by(self.id, self.dir)
    }
}

impl Store {
    /// One page of `filtered` (the list's WHERE, no order yet): the total it matches, then the
    /// rows of page `page` (1-based, with `per_page` rows; both made safe by [`clamp`]) in `sort`
    /// order, read as `M` (the entity's model, or a partial model that leaves out columns a list
    /// does not show).
    pub(crate) async fn page<E, M>(
        &self,
        filtered: Select<E>,
        sort: SortBy<E::Column>,
        (page, per_page): (u64, u64),
    ) -> Result<Page<M>, StoreError>
    where
        E: EntityTrait,
        E::Model: FromQueryResult + Sized + Send + Sync,
        M: PartialModelTrait + Send + Sync,
    {
        let (page, per_page) = clamp(page, per_page);
        let total = filtered.clone().count(self.db()).await?;
        let items = sort
            .apply(filtered)
            .offset((page - 1) * per_page)
            .limit(per_page)
            .into_partial_model::<M>()
            .all(self.db())
            .await?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }
}
