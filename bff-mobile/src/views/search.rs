//! `GET /v1/search`.

use serde::Serialize;
use serde_with::skip_serializing_none;
use shared::aggregate::Section;
use utoipa::ToSchema;

use super::Card;

/// `GET /v1/search`.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults<'a> {
    /// This page's products.
    pub items: Vec<Card<'a>>,
    /// Matches in all.
    pub total: u32,
    /// Pass back as `cursor` for the next page; absent on the last page.
    #[schema(nullable = false)]
    pub next_cursor: Option<String>,
    /// Sections left out; absent when complete.
    #[schema(nullable = false)]
    pub degraded: Option<Vec<Section>>,
}
