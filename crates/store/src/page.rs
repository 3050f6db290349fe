//! Paging for list queries: 1-based `page`, `per_page` clamped to 1..=500.

use serde::Serialize;

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
