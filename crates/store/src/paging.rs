//! Pages of a list in id order, and changes of a stored value.

use crate::StoreError;
use sqlx::any::AnyRow;

/// One page of a list, ordered by id; `next_after` is the last id when more follow.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub next_after: Option<i64>,
}

/// Where a page starts (after which id) and how long it is.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub after: Option<i64>,
    pub limit: u32,
}

impl PageRequest {
    pub const MAX_LIMIT: u32 = 200;

    pub fn first(limit: u32) -> Self {
        Self { after: None, limit }
    }

    /// How many rows to fetch: one more than asked, to learn whether more follow.
    pub(crate) fn fetch_limit(&self) -> i64 {
        i64::from(self.limit.clamp(1, Self::MAX_LIMIT)) + 1
    }

    pub(crate) fn after_id(&self) -> i64 {
        self.after.unwrap_or(0)
    }

    /// Where a page of a list newest first (in descending id order) starts:
    /// below `after`, or at the top.
    pub(crate) fn before_id(&self) -> i64 {
        self.after.unwrap_or(i64::MAX)
    }

    /// [`PageRequest::into_listing`] of the rows fetched for the page, each
    /// read by `from_row`.
    pub(crate) fn listing_from<T>(
        self,
        rows: &[AnyRow],
        from_row: impl FnMut(&AnyRow) -> Result<T, StoreError>,
        id_of: impl Fn(&T) -> i64,
    ) -> Result<Listing<T>, StoreError> {
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(self.into_listing(items, id_of))
    }

    pub(crate) fn into_listing<T>(
        self,
        mut items: Vec<T>,
        id_of: impl Fn(&T) -> i64,
    ) -> Listing<T> {
        let limit = usize::try_from(self.limit.clamp(1, Self::MAX_LIMIT)).unwrap_or(usize::MAX);
        let next_after = if items.len() > limit {
            items.truncate(limit);
            items.last().map(id_of)
        } else {
            None
        };
        Listing { items, next_after }
    }
}

/// Every item of a listing, read page by page from the first in the
/// listing's order; `read` reads the page it is given.
pub async fn every_page<T, E, Page>(mut read: impl FnMut(PageRequest) -> Page) -> Result<Vec<T>, E>
where
    Page: Future<Output = Result<Listing<T>, E>>,
{
    let mut items = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listing = read(page).await?;
        items.extend(listing.items);
        match listing.next_after {
            Some(after) => page.after = Some(after),
            None => return Ok(items),
        }
    }
}

/// Changes of a stored value: `Keep` leaves it, `Set` replaces it. For optional
/// values `Set(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
}

impl<T> From<Option<T>> for Change<T> {
    /// `Some` sets, `None` keeps: the shape of an optional PATCH field.
    fn from(value: Option<T>) -> Self {
        match value {
            Some(value) => Change::Set(value),
            None => Change::Keep,
        }
    }
}

impl<T> Change<T> {
    pub fn or(self, current: T) -> T {
        match self {
            Change::Keep => current,
            Change::Set(value) => value,
        }
    }

    pub fn is_set(&self) -> bool {
        matches!(self, Change::Set(_))
    }
}
