//! The answer to a batch request (`?ids=p00001,p00002`) of catalog, offers and reviews: the
//! products found, in the order asked, and the ids of those not found.

use serde::Serialize;

use crate::data::Dataset;

/// `{"items": [...], "missing": ["p09999"]}`.
#[derive(Serialize)]
pub(crate) struct Batch<'a, T> {
    items: Vec<T>,
    missing: Vec<&'a str>,
}

impl<'a, T> Batch<'a, T> {
    /// Looks each of `ids` up in `data`; `item` shapes a product that exists from its id and
    /// its index in `data`.
    pub(crate) fn of(
        data: &Dataset,
        ids: Vec<&'a str>,
        mut item: impl FnMut(&'a str, usize) -> T,
    ) -> Self {
        let mut batch = Self {
            items: Vec::with_capacity(ids.len()),
            missing: Vec::new(),
        };
        for id in ids {
            match data.product_index(id) {
                Some(index) => batch.items.push(item(id, index)),
                None => batch.missing.push(id),
            }
        }
        batch
    }
}
