//! `GET /api/search`: a page of result cards with facets.

use serde::Serialize;
use serde_with::skip_serializing_none;
use shared::aggregate::Section;
use shared::cards::CardExtras;
use shared::upstream::catalog::{FacetValue, SearchPage, SearchSort};
use utoipa::ToSchema;

use super::card::{self, Card};

/// Cards per result page.
pub const PAGE_SIZE: u32 = 24;
/// The last page a client may ask for (deeper pages are refused, not clamped).
pub const MAX_PAGE: u32 = 400;

/// A page of search results.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults<'a> {
    /// The search as understood, after validation and normalisation.
    pub query: QueryEcho<'a>,
    /// Matches in all.
    pub total: u32,
    /// This page's number, from 1.
    pub page: u32,
    /// Pages there are (at most [`MAX_PAGE`]).
    pub page_count: u32,
    /// This page's cards.
    pub items: Vec<Card<'a>>,
    /// Counts per category and brand, to refine the search.
    pub facets: FacetsView<'a>,
    /// Sections left out, absent when the page is complete.
    #[schema(nullable = false)]
    pub degraded: Option<Vec<Section>>,
}

impl<'a> SearchResults<'a> {
    /// Shapes the page from the catalog's results.
    pub fn new(
        query: QueryEcho<'a>,
        page: u32,
        results: &'a SearchPage,
        extras: &'a CardExtras,
        degraded: Option<Vec<Section>>,
    ) -> Self {
        Self {
            query,
            total: results.total,
            page,
            page_count: page_count(results.total),
            items: card::cards(&results.items, extras),
            facets: FacetsView {
                categories: results.facets.categories.iter().map(Facet::of).collect(),
                brands: results.facets.brands.iter().map(Facet::of).collect(),
            },
            degraded,
        }
    }
}

/// Pages needed for `total` matches, capped at the deepest page a client may ask for.
pub fn page_count(total: u32) -> u32 {
    total.div_ceil(PAGE_SIZE).min(MAX_PAGE)
}

/// The validated search, echoed so the page can show what it searched for.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct QueryEcho<'a> {
    /// The free text, trimmed; absent when none.
    #[schema(nullable = false)]
    pub q: Option<&'a str>,
    /// The category filter; absent when none.
    #[schema(nullable = false)]
    pub category: Option<&'a str>,
    /// The sort order.
    pub sort: &'static str,
}

impl<'a> QueryEcho<'a> {
    /// From validated parts.
    pub fn new(q: Option<&'a str>, category: Option<&'a str>, sort: SearchSort) -> Self {
        Self {
            q,
            category,
            sort: sort.as_str(),
        }
    }
}

/// Facets of the results.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetsView<'a> {
    /// Matches per category id.
    pub categories: Vec<Facet<'a>>,
    /// Matches per brand.
    pub brands: Vec<Facet<'a>>,
}

/// One facet value.
#[derive(Debug, Serialize, ToSchema)]
pub struct Facet<'a> {
    /// A category id or a brand.
    pub value: &'a str,
    /// How many matches have it.
    pub count: u32,
}

impl<'a> Facet<'a> {
    fn of(facet: &'a FacetValue) -> Self {
        Self {
            value: &facet.value,
            count: facet.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_count_rounds_up_and_is_capped() {
        for (total, pages) in [(0, 0), (1, 1), (24, 1), (25, 2), (1_000_000, MAX_PAGE)] {
            assert_eq!(page_count(total), pages, "{total}");
        }
    }
}
